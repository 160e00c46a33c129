#include "shell/app/node_commands.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "core/log.h"

namespace p2p::shell {

NodeCommands::NodeCommands(NodeRuntime& runtime, Console& console,
                           std::string_view default_namespace, std::function<void()> quit)
    : runtime_(runtime), node_(runtime.node()), console_(console), quit_(std::move(quit)) {
    parser_.set_default_namespace(default_namespace);
    peer_rows_.reserve(node_.peer_slots());
    link_rows_.reserve(node_.link_slots());
    route_rows_.reserve(node_.peer_slots() + node_.route_slots());
}

// A direct message makes its sender the /reply target, and where plain text
// goes when no conversation was chosen yet (so the prompt names it).
void NodeCommands::note_event(const NodeEvent& event) {
    // A peer found through the relays becomes the conversation once it answers.
    if (event.kind == EventKind::kDelivered && !looking_for_.empty() &&
        event.peer_id == looking_for_.get()) {
        looking_for_.set({});
        set_target(event.peer_id);
        return;
    }
    if (event.kind != EventKind::kMsg || event.peer_id.empty()) return;
    if (last_from_.get() == event.peer_id) return;
    last_from_.set(event.peer_id);
    if (last_target_.empty()) last_target_.set(event.peer_id);
    if (targets_changed_) targets_changed_(last_target_.get(), last_from_.get());
}

void NodeCommands::set_target(std::string_view peer_id) {
    if (last_target_.get() == peer_id) return;
    last_target_.set(peer_id);
    if (targets_changed_) targets_changed_(last_target_.get(), last_from_.get());
}

// One case per command, each a line or a call: splitting it would only
// scatter the table of what each command does.
bool NodeCommands::handle_line(std::string_view line) {
    std::uint64_t errors_before = errors_;
    std::uint64_t unsure_before = unsure_;
    run_line(line);
    return errors_ == errors_before && unsure_ == unsure_before;
}

void NodeCommands::fail(std::string_view text) {
    ++errors_;
    console_.error(text);
}

void NodeCommands::refuse_read_only(CommandKind kind) {
    std::string_view name = command_name(kind);
    std::string text = "read-only attach: ";
    text += name.empty() ? std::string_view("sending a message") : name;
    text +=
        " is refused (only /peers /conn /rtt /routes /watch /metrics /help run here; "
        "attach without --read-only to act)";
    fail(text);
}

void NodeCommands::run_line(std::string_view line) {
    if (runtime_.shutting_down()) return;
    line_ = line;
    ParseResult parsed;
    parser_.parse(line, parsed);
    if (!parsed.ok()) {
        fail(parsed.error());
        return;
    }
    const Command& cmd = parsed.command();
    if (read_only_ && !command_only_reads(cmd.kind)) {
        refuse_read_only(cmd.kind);
        return;
    }
    switch (cmd.kind) {
        case CommandKind::kEmpty:
            return;
        case CommandKind::kQuit:
            quit_();
            return;
        case CommandKind::kHelp:
            console_.help(cmd.help_topic);
            return;
        case CommandKind::kPeers:
            show_peers(cmd.ns);
            return;
        case CommandKind::kConn:
            show_links();
            return;
        case CommandKind::kRtt:
            show_rtt();
            return;
        case CommandKind::kRoutes:
            show_routes();
            return;
        case CommandKind::kMsg:
            send_to(cmd.target, cmd.text);
            return;
        case CommandKind::kPub:
            publish(cmd.target, cmd.text);
            return;
        case CommandKind::kReply:
            if (last_from_.empty()) {
                fail("/reply: nobody has sent you a message yet");
                return;
            }
            send_to(last_from_.get(), cmd.text);
            return;
        case CommandKind::kText:
            if (last_target_.empty()) {
                fail("no conversation yet: use /msg <peer_id> <text> first");
                return;
            }
            send_to(last_target_.get(), cmd.text);
            return;
        case CommandKind::kMe:
            action(cmd.text);
            return;
        case CommandKind::kConnect:
            connect(cmd);
            return;
        case CommandKind::kReconnect:
            runtime_.rediscover();
            console_.info("redialing stale peers and asking the rendezvous for peers");
            return;
        case CommandKind::kWatch:
            node_.set_watch(!node_.watching());
            console_.info(node_.watching() ? "watch on: every protocol line is shown"
                                           : "watch off");
            return;
        case CommandKind::kLog:
            logger().set_level(cmd.level);
            console_.info(std::string("log level ") + log_level_name(cmd.level));
            return;
        case CommandKind::kMetrics:
            ask_metrics(cmd.target);
            return;
        case CommandKind::kWhoami:
            whoami();
            return;
    }
}

// Our id and key fingerprint, grouped for reading aloud (docs/protocol.md §8).
void NodeCommands::whoami() {
    std::string line = runtime_.self_id();
    if (const IdentityKey* key = runtime_.identity())
        line += "  fingerprint " + grouped_fingerprint(fingerprint(key->public_key));
    else
        line += "  no node key: links are not secured";
    console_.info(line);
}

bool refused_now(const NodeCommands& commands, const Console& console, const NodeEvent& event) {
    return event.kind == EventKind::kUndelivered && commands.sending() &&
           console.mode() == ConsoleMode::kTty;
}

bool NodeCommands::known_peer(std::string_view peer_id) const {
    bool known = false;
    for_each_peer_id(node_, [&](std::string_view id) { known = known || id == peer_id; });
    return known;
}

bool NodeCommands::discovery_settled() const {
    if (!runtime_.first_discovery_over()) return false;
    bool handshaking = false;
    for_each_peer(node_, [&](const PeerView& v) {
        handshaking = handshaking || v.state == PeerState::kConnecting;
    });
    return !handshaking;
}

void NodeCommands::hold(std::string_view why) {
    if (!retrying_) {
        held_line_.assign(line_);
        held_since_ = runtime_.now();
        if (!why.empty()) console_.info(why);
    }
    held_ = true;
}

bool NodeCommands::retry_held() {
    if (!held_) return true;
    held_ = false;
    retrying_ = true;
    run_line(held_line_);
    retrying_ = false;
    return !held_;
}

// The prompt's target changes only when a message really went (or waits to).
void NodeCommands::send_to(std::string_view peer_id, std::string_view text) {
    bool known = known_peer(peer_id);
    // A pipe or a terminal right after start: the peer may simply not be
    // discovered yet. Wait (bounded) rather than fail with no_route.
    if (!known && hold_input_ && !discovery_settled() &&
        !(retrying_ && runtime_.now() - held_since_ >= kDiscoveryWaitMs)) {
        hold(std::string(peer_id) + " is not known yet: waiting for discovery (at most " +
             std::to_string(kDiscoveryWaitMs / 1000) + " s)");
        return;
    }
    sending_ = true;
    SendResult r = node_.send(peer_id, text);
    sending_ = false;
    if (r.status == SendStatus::kNoRoute && !known) {
        fail("unknown peer " + std::string(peer_id) + ": not discovered (see /peers)");
        return;
    }
    if (r.status != SendStatus::kQueued) {
        fail("not sent to " + std::string(peer_id) + ": " + send_status_name(r.status));
        return;
    }
    if (chat_log_) chat_log_->sent(peer_id, text, r.msg_id);
    if (!known) {
        // The prompt keeps its target until this one proves reachable.
        looking_for_.set(peer_id);
        // Queued behind a WHO_HAS: the relays may know it. Not a "sent" yet:
        // delivered or NOT delivered follows. A failure for `attach -c`,
        // which cannot wait for the outcome.
        ++unsure_;
        console_.info(std::string(peer_id) +
                      " is not known here yet: looking for a route through the relays");
        return;
    }
    set_target(peer_id);
    console_.outgoing(peer_id, text, r.msg_id);
}

// "/me waves" sends "* alice waves" where plain text goes (docs/shell.md).
void NodeCommands::action(std::string_view text) {
    if (last_target_.empty()) {
        fail("/me: no conversation yet: use /msg <peer_id> <text> first");
        return;
    }
    action_text_ = action_payload(node_.config().name, text);
    send_to(last_target_.get(), action_text_);
}

void NodeCommands::publish(std::string_view scope, std::string_view text) {
    SendResult r = node_.pub(scope, text);
    if (r.status == SendStatus::kBusy && hold_input_) {
        hold({});
        return;
    }
    if (r.status != SendStatus::kQueued) {
        fail("not published to " + std::string(scope) + ": " + send_status_name(r.status));
        return;
    }
    if (chat_log_) chat_log_->sent(scope, text, r.msg_id);
    if (console_.mode() == ConsoleMode::kTty) {
        console_.outgoing(scope, text, {});  // the echo is enough on a terminal
        return;
    }
    char info[160];
    std::snprintf(info, sizeof info, "published %s to %.*s on %zu link%s", r.msg_id,
                  static_cast<int>(std::min<std::size_t>(scope.size(), 70)), scope.data(), r.links,
                  r.links == 1 ? "" : "s");
    console_.info(info);
}

void NodeCommands::connect(const Command& cmd) {
    if (cmd.target_kind == TargetKind::kHostPort) {
        if (!node_.add_static_peer(cmd.host, cmd.port))
            fail("cannot dial " + std::string(cmd.target) + ": peer table full or bad address");
        else
            console_.info("dialing " + std::string(cmd.target));
        return;
    }
    if (!node_.connect_peer(cmd.target))
        fail("unknown peer " + std::string(cmd.target) + " (see /peers)");
}

// The grouped fingerprint of `link`'s peer when the link is secured, kept in fingerprints_
// (reserved for every row first, so earlier views stay valid).
std::string_view NodeCommands::fingerprint_of(LinkId link) {
    const IdentityPublic* who = link == kNoLink ? nullptr : runtime_.link_identity(link);
    if (!who) return {};
    fingerprints_.push_back(grouped_fingerprint(fingerprint(*who)));
    return fingerprints_.back();
}

void NodeCommands::collect_peers() {
    peer_rows_.clear();
    fingerprints_.clear();
    fingerprints_.reserve(node_.peer_slots());
    for_each_peer(node_, [this](const PeerView& v) { peer_rows_.push_back(v); });
    for (PeerView& p : peer_rows_)
        if (p.state == PeerState::kConnected) p.fingerprint = fingerprint_of(p.link);
}

void NodeCommands::show_peers(std::string_view ns) {
    collect_peers();
    console_.peers(peer_rows_, runtime_.now(), ns);
}

void NodeCommands::show_rtt() {
    collect_peers();
    console_.rtt(peer_rows_);
}

void NodeCommands::show_links() {
    link_rows_.clear();
    LinkView v;
    for (std::size_t i = 0; i < node_.link_slots(); ++i)
        if (node_.link_view(i, v)) link_rows_.push_back(v);
    fingerprints_.clear();
    fingerprints_.reserve(link_rows_.size());
    for (LinkView& l : link_rows_)
        l.fingerprint = fingerprint_of(l.id);
    console_.links(link_rows_, runtime_.now());
}

bool NodeCommands::link_of(LinkId id, LinkView& out) const {
    for (std::size_t i = 0; i < node_.link_slots(); ++i)
        if (node_.link_view(i, out) && out.id == id) return true;
    return false;
}

// Direct links first, then the routes learnt from WHO_HAS_HIT (their RTT is
// the via link's), then the relay counters.
void NodeCommands::show_routes() {
    collect_peers();
    route_rows_.clear();
    for (const PeerView& p : peer_rows_) {
        if (p.state != PeerState::kConnected || p.peer_id.empty()) continue;
        RouteRow row;
        row.dst = p.peer_id;
        row.rtt_ms = p.rtt_count > 0 ? p.rtt_mean_ms : -1;
        LinkView link;
        if (link_of(p.link, link)) {
            row.dropped = link.dropped;
            row.slow_reader = link.slow_reader;
        }
        route_rows_.push_back(row);
    }
    MonoMs now = runtime_.now();
    RouteView v;
    for (std::size_t i = 0; i < node_.route_slots(); ++i) {
        if (!node_.route_view(i, v)) continue;
        RouteRow row;
        row.dst = v.dst;
        row.via = v.via.empty() ? std::string_view("?") : v.via;
        row.rtt_ms = v.via_rtt_ms > 0 ? v.via_rtt_ms : -1;
        row.age_ms = now - v.learnt_at;
        route_rows_.push_back(row);
    }
    console_.routes(route_rows_);
    show_relay_counters();
    console_.forwarding(node_.forward_counts());
}

void NodeCommands::show_relay_counters() {
    const Node::Stats& st = node_.stats();
    char text[160];
    std::snprintf(text, sizeof text,
                  "relay%s: relayed %" PRIu64 ", dropped %" PRIu64 ", refused %" PRIu64
                  ", reads paused %" PRIu64 ", slow readers %" PRIu64,
                  (node_.config().features & kFeatureRelay) ? "" : " (off)", st.relayed,
                  st.relay_dropped, st.relay_refused, st.reads_paused, st.slow_readers);
    console_.info(text);
}

// The answer arrives later as a kMetrics event.
void NodeCommands::ask_metrics(std::string_view peer_id) {
    // Our own side first: what this node admitted and refused for forwarding.
    console_.forwarding(node_.forward_counts());
    if (node_.request_metrics(peer_id))
        console_.info("metrics requested from " + std::string(peer_id));
    else
        fail("/metrics: no link to " + std::string(peer_id) + " that supports metrics (see /conn)");
}

}  // namespace p2p::shell
