// What the node does on SIGHUP (headless) and SIGUSR1, apart from the event
// loop: which config keys a reload may change at run time, and the stats
// line. Pure functions of options and the engine, so unit tests drive them.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "core/rendezvous_client.h"
#include "shell/app/node_options.h"

namespace p2p::shell {

// Keys a running node takes from a reloaded config file: the log level,
// the DISCOVER and PING periods and the relay share. Everything else
// (identity, ports, table sizes, the rendezvous, outputs) is built into the
// running sockets and tables and needs a restart.
bool is_reloadable_key(std::string_view key);

struct ReloadReport {
    std::vector<std::string> changed;        // "log_level INFO -> DEBUG"
    std::vector<std::string> changed_keys;   // "log_level"
    std::vector<std::string> needs_restart;  // "max_peers"
    bool has(std::string_view key) const;    // among changed_keys
};

// Compares `fresh` (the config file and flags parsed again) with `running`
// row by row; copies the reloadable keys that differ into `running`.
ReloadReport apply_reload(NodeOptions& running, const NodeOptions& fresh);

// Makes the engine, client and logger follow `o` in the keys the reload
// changed (only those: a level set with /log stays unless the file changed it).
void apply_reloadable(const NodeOptions& o, const ReloadReport& r, Node& node,
                      RendezvousClient* client);

// "stats: peers 3, links 2, relayed 10, dropped 0, refused 1, queue bytes 0,
// rss 5120 KiB".
std::string node_stats_line(const Node& node, long rss_kib);

// "log_level INFO -> DEBUG, ping_interval 30 -> 5", or "" when empty.
std::string join_list(const std::vector<std::string>& items);

}  // namespace p2p::shell
