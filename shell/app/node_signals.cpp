#include "shell/app/node_signals.h"

#include <cinttypes>
#include <cstdio>

#include "core/log.h"
#include "core/rendezvous_client.h"

namespace p2p::shell {

namespace {

constexpr std::string_view kReloadable[] = {"log_level", "discovery_interval", "ping_interval",
                                            "relay_share_percent"};

// The row's key as the help lists it first: its historical key, else the
// flag's name.
std::string row_name(const OptionRow& row) {
    return row.key.empty() ? flag_key(row.flag) : std::string(row.key);
}

}  // namespace

bool is_reloadable_key(std::string_view key) {
    for (std::string_view k : kReloadable)
        if (k == key) return true;
    return false;
}

ReloadReport apply_reload(NodeOptions& running, const NodeOptions& fresh) {
    ReloadReport report;
    for (const OptionRow& row : node_option_rows()) {
        if (!row.show || !row.set) continue;  // --config, --help, setter-only keys
        std::string was = row.show(&running, row);
        std::string now = row.show(&fresh, row);
        if (was == now) continue;
        std::string name = row_name(row);
        if (!is_reloadable_key(name)) {
            report.needs_restart.push_back(name);
            continue;
        }
        report.changed.push_back(name + " " + was + " -> " + now);
        report.changed_keys.push_back(name);
    }
    // The fields of kReloadable.
    running.log_level = fresh.log_level;
    running.discovery_interval_ms = fresh.discovery_interval_ms;
    running.ping_interval_ms = fresh.ping_interval_ms;
    running.relay_share_percent = fresh.relay_share_percent;
    return report;
}

bool ReloadReport::has(std::string_view key) const {
    for (const std::string& k : changed_keys)
        if (k == key) return true;
    return false;
}

void apply_reloadable(const NodeOptions& o, const ReloadReport& r, Node& node,
                      RendezvousClient* client) {
    if (r.has("log_level")) logger().set_level(o.log_level);
    if (r.has("ping_interval")) node.set_ping_interval(o.ping_interval_ms);
    if (r.has("relay_share_percent")) node.set_relay_share(o.relay_share_percent);
    if (client && r.has("discovery_interval"))
        client->set_discovery_interval(o.discovery_interval_ms);
}

std::string node_stats_line(const Node& node, long rss_kib) {
    std::size_t queued = 0;
    LinkView v;
    for (std::size_t i = 0; i < node.link_slots(); ++i)
        if (node.link_view(i, v)) queued += v.queued_bytes;
    const Node::Stats& s = node.stats();
    char line[256];
    std::snprintf(line, sizeof line,
                  "stats: peers %zu, links %zu, relayed %" PRIu64 ", dropped %" PRIu64
                  ", refused %" PRIu64 ", queue bytes %zu, rss %ld KiB",
                  node.peer_count(), node.link_count(), s.relayed, s.dropped_out + s.relay_dropped,
                  s.relay_refused, queued, rss_kib);
    return line;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace p2p::shell
