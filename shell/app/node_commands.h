// Typed lines -> the running node: parses each line (shell/ui/command_parser)
// and turns it into calls on the engine and the runtime, answering on the
// console (tables for /peers /conn /rtt /routes, errors for refused sends).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.h"
#include "shell/app/chat_log.h"
#include "shell/runtime/node_runtime.h"
#include "shell/ui/command_parser.h"
#include "shell/ui/console.h"

namespace p2p::shell {

// A peer id or scope kept across commands (/reply, plain text), without
// allocating once reserved.
class IdBuffer {
  public:
    IdBuffer() { text_.reserve(2 * kMaxNameBytes + 2); }
    void set(std::string_view id) { text_.assign(id.substr(0, 2 * kMaxNameBytes + 1)); }
    std::string_view get() const { return text_; }
    bool empty() const { return text_.empty(); }

  private:
    std::string text_;
};

// Every peer of the engine's table, in slot order: the one walk of it the
// shell makes (/peers /rtt /routes, Tab completion, `attach`'s peer ids). The
// view is reused from peer to peer: copy what must outlive the call.
template <class Visit>
void for_each_peer(const Node& node, Visit&& visit) {
    PeerView v;
    for (std::size_t i = 0; i < node.peer_slots(); ++i)
        if (node.peer_view(i, v)) visit(v);
}

// The ids of the peers that have one (a peer known only by its address has
// none yet): what Tab completes.
template <class Visit>
void for_each_peer_id(const Node& node, Visit&& visit) {
    for_each_peer(node, [&](const PeerView& v) {
        if (!v.peer_id.empty()) visit(std::string_view(v.peer_id));
    });
}

class NodeCommands;
// A NOT delivered event for a /msg that `commands` is refusing right now: on
// a terminal the command's own error says it, once (scripts get both).
bool refused_now(const NodeCommands& commands, const Console& console, const NodeEvent& event);

class NodeCommands {
  public:
    // /quit (and only /quit) calls `quit`; the program decides what exiting means.
    NodeCommands(NodeRuntime& runtime, Console& console, std::string_view default_namespace,
                 std::function<void()> quit);

    // One typed line. Ignored once the runtime is shutting down. False when the
    // command failed (an error was shown), for `p2pchat attach -c`'s exit status.
    bool handle_line(std::string_view line);
    // An engine event passing to the console: remembers who to /reply to.
    void note_event(const NodeEvent& event);
    // The terminal's or the pipe's commands can wait (the app then stops
    // reading them until retry_held() lets the held line through): a /pub
    // that finds an in-scope link's queue full, and a /msg to a peer not
    // known yet while the first discovery round and its handshakes are still
    // going (at most kDiscoveryWaitMs). Off (attach): refused or sent at once.
    void hold_input(bool on) { hold_input_ = on; }
    bool holding() const { return held_; }
    // Runs the held line again; true once nothing is held any more.
    bool retry_held();
    // True during the engine's send() of a /msg: a NOT delivered event then
    // is the refusal the command reports itself (terminals show it once).
    bool sending() const { return sending_; }
    // Commands that failed so far (errors shown), for the exit status.
    std::uint64_t errors() const { return errors_; }
    // handle_line() also returns false for a /msg to a peer the node does not
    // know, sent to the relays to find: its outcome is not known yet.
    // Called whenever where plain text goes (`to`) or where /reply goes
    // (`reply`) changes: the shell shows them in the prompt.
    void on_targets(std::function<void(std::string_view to, std::string_view reply)> changed) {
        targets_changed_ = std::move(changed);
    }

    // Read-only (an `attach --read-only` client): only commands that show
    // something run (command_only_reads); the others fail with an error that says
    // why. Enforced here, in the node, whatever the client claims later.
    void set_read_only(bool on) { read_only_ = on; }

    // --chat-log: what this shell sends and publishes is written there too.
    void set_chat_log(ChatLog* log) { chat_log_ = log; }

    static constexpr MonoMs kDiscoveryWaitMs = 10'000;

  private:
    void run_line(std::string_view line);
    void fail(std::string_view text);  // shows an error and counts it
    void refuse_read_only(CommandKind kind);
    void send_to(std::string_view peer_id, std::string_view text);
    bool known_peer(std::string_view peer_id) const;  // in the engine's peer table
    bool discovery_settled() const;                   // first round over, no handshake in progress
    void hold(std::string_view why);                  // keeps the current line for retry_held()
    void set_target(std::string_view peer_id);        // where plain text goes now
    void publish(std::string_view scope, std::string_view text);
    void action(std::string_view text);  // /me
    void connect(const Command& cmd);
    void collect_peers();
    void show_peers(std::string_view ns);
    void show_rtt();
    void show_links();
    void show_routes();
    void show_relay_counters();
    bool link_of(LinkId id, LinkView& out) const;  // the view of link `id`, if open
    void ask_metrics(std::string_view peer_id);
    void whoami();

    NodeRuntime& runtime_;
    Node& node_;
    Console& console_;
    std::function<void()> quit_;
    CommandParser parser_;

    std::vector<PeerView> peer_rows_;
    std::vector<LinkView> link_rows_;
    std::vector<std::string> fingerprints_;  // what the rows' fingerprint views point into
    std::string_view fingerprint_of(LinkId link);
    std::vector<RouteRow> route_rows_;
    IdBuffer last_from_;    // /reply goes here
    IdBuffer last_target_;  // plain text goes here
    IdBuffer looking_for_;  // an unknown peer a WHO_HAS looks for
    std::function<void(std::string_view, std::string_view)> targets_changed_;
    std::string action_text_;  // /me payload, reused
    std::uint64_t errors_ = 0;
    std::uint64_t unsure_ = 0;  // sent to a peer not known here (WHO_HAS)
    bool hold_input_ = false;
    bool read_only_ = false;
    ChatLog* chat_log_ = nullptr;
    bool held_ = false;
    bool retrying_ = false;  // running the held line again
    bool sending_ = false;   // inside node_.send()
    std::string_view line_;  // the line being run
    std::string held_line_;  // the held line
    MonoMs held_since_ = 0;  // when it was first held
};

}  // namespace p2p::shell
