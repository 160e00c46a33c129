// The relay (docs/protocol.md §5): route discovery (WHO_HAS / WHO_HAS_HIT),
// forwarding SEND and flooding PUB by the TTL rule, RELAY_OK / RELAY_FAIL /
// TTL_EXPIRED, ACKs passed back toward their origin, and METRICS. Owns the
// route cache, the table of forwarded msg_ids whose answers it passes back,
// and the forwarding gate (forward_gate.h), which every forwarded or
// fanned-out message goes through. A relayed copy's room on the next link
// is Flow's business (backpressure).
#pragma once
#include <cstddef>
#include <string_view>

#include "core/engine_context.h"
#include "core/forward_gate.h"
#include "core/link.h"
#include "core/relay_acks.h"
#include "core/route_cache.h"

namespace p2p {

class Flow;
class LinkTable;
class Messages;
class PeerBook;

class Relay {
  public:
    Relay(EngineContext& ctx, LinkTable& links, PeerBook& peers, Flow& flow, Messages& messages);

    bool on() const { return gate_.relaying(); }  // --no-relay: off
    ForwardGate& gate() { return gate_; }

    // ---- routes ----
    // The established link a cached route to `dst` goes on, or nullptr.
    Link* route_link(std::string_view dst);
    bool has_who_has_neighbour(std::string_view except_peer);
    // Our WHO_HAS for `dst` to every neighbour that speaks it.
    void send_who_has(std::string_view dst);
    void forget_route(std::string_view dst) { routes_.forget(dst); }
    void forget_via(LinkId link) { routes_.forget_via(link); }

    // ---- forwarding (each through the gate) ----
    void forward_send(Link& from, const PeerMessage& m);
    void flood_pub(Link& from, const PeerMessage& m, std::string_view ns, bool all);
    // An answer (ACK, relay answer) to a message we passed on goes back
    // toward its origin. False when no such message is remembered.
    bool pass_back(Link& from, const PeerMessage& m);

    // ---- incoming ----
    void on_who_has(Link& l, const PeerMessage& m);
    void on_who_has_hit(Link& l, const PeerMessage& m);
    void on_relay_answer(Link& l, const PeerMessage& m);
    void on_metrics_req(Link& l, const PeerMessage& m);
    void on_metrics(Link& l, const PeerMessage& m);

    // ---- commands and views ----
    bool request_metrics(std::string_view peer_id);
    std::size_t route_slots() const { return routes_.capacity(); }
    bool route_view(std::size_t slot, RouteView& out) const;

  private:
    static constexpr std::size_t kRateOrigins = 64;  // origins whose relay rate is tracked at once

    void remember(std::string_view msg_id, const Link& prev, MonoMs keep);
    Link* backtrack_link(std::string_view msg_id);
    bool queue_relayed(Link& from, Link& next, const PeerMessage& m);
    // The same for a line already encoded in ctx_.scratch (n bytes; 0: it could not be).
    bool queue_relayed_line(Link& from, Link& next, std::size_t n);
    void relay_reply(Link& l, MsgType type, const PeerMessage& m, std::string_view reason);

    EngineContext& ctx_;
    LinkTable& links_;
    PeerBook& peers_;
    Flow& flow_;
    Messages& messages_;
    RouteCache routes_;
    RelayAcks acks_;
    ForwardGate gate_;
};

}  // namespace p2p
