// Relay: the relay extension (docs/protocol.md §5) — route discovery with
// WHO_HAS / WHO_HAS_HIT, forwarding SEND and PUB by the TTL rule with
// RELAY_OK / RELAY_FAIL / TTL_EXPIRED, ACKs passed back toward their origin,
// METRICS. What may be forwarded, from and to which link, at which rate, is
// the forwarding gate's rule (forward_gate.h); room for a relayed copy is
// the backpressure's (node_flow.cpp).
// The tables (route_cache.h, relay_acks.h, origin_rates.h) are fixed-size and
// hashed; a full one refuses (busy) or forgets an entry (the route or bucket
// closest to expiry; the answer-table entry of the link holding the most),
// it never grows.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/civil_time.h"
#include "core/flow.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/message_rules.h"
#include "core/messages.h"
#include "core/peer_book.h"
#include "core/relay.h"
#include "core/wire_util.h"

namespace p2p {

Relay::Relay(EngineContext& ctx, LinkTable& links, PeerBook& peers, Flow& flow, Messages& messages)
    : ctx_(ctx),
      links_(links),
      peers_(peers),
      flow_(flow),
      messages_(messages),
      routes_(ctx.cfg.max_routes, ctx.cfg.route_ttl_ms),
      acks_(ctx.cfg.max_relay_acks, ctx.cfg.max_links),
      gate_(ctx.cfg.features, ctx.cfg.relay_ttl, ctx.cfg.relay_rate_per_link,
            ctx.cfg.relay_rate_per_origin, kRateOrigins) {}

// ---- routes ----------------------------------------------------------------------

Link* Relay::route_link(std::string_view dst) {
    int s = routes_.find(dst, ctx_.now());
    if (s < 0) return nullptr;
    Link* l = links_.find(routes_.at(s).via);
    if (!l || l->state != LinkState::kEstablished) {
        routes_.forget(s);
        return nullptr;
    }
    return l;
}

bool Relay::has_who_has_neighbour(std::string_view except_peer) {
    for (std::size_t i = 0; i < peers_.linked_count(); ++i) {
        int p = peers_.linked_at(i);
        if (!peers_.at(p).used || peers_.at(p).peer_id() == except_peer) continue;
        Link* l = peers_.active_link(p);
        if (l && gate_.may_send_to(Forward::kWhoHas, nullptr, *l)) return true;
    }
    return false;
}

void Relay::send_who_has(std::string_view dst) {
    char id[kMsgIdBytes];
    PeerMessage q;
    q.type = MsgType::kWhoHas;
    q.msg_id = make_msg_id(ctx_.ids, id);
    q.has_msg_id = true;
    q.src = ctx_.self;
    q.dst = dst;
    q.ttl = ctx_.cfg.relay_ttl;
    messages_.already_seen(ctx_.self, q.msg_id, nullptr);  // our own WHO_HAS coming back is ignored
    for (std::size_t i = 0; i < peers_.linked_count(); ++i) {
        int p = peers_.linked_at(i);
        if (!peers_.at(p).used || peers_.at(p).peer_id() == dst) continue;
        Link* l = peers_.active_link(p);
        if (l && gate_.may_send_to(Forward::kWhoHas, nullptr, *l)) links_.queue_msg(*l, q, true);
    }
}

// ---- answers passed back ------------------------------------------------------------

void Relay::remember(std::string_view msg_id, const Link& prev, MonoMs keep) {
    MonoMs t = ctx_.now();
    // Owned by the link it came from: a link's flood replaces only its own
    // entries (relay_acks.h).
    acks_.remember(msg_id, prev.id, t, t + keep, links_.slot_of(prev));
}

Link* Relay::backtrack_link(std::string_view msg_id) {
    if (msg_id.empty()) return nullptr;
    Link* l = links_.find(acks_.lookup(msg_id, ctx_.now()));
    return (l && l->state == LinkState::kEstablished) ? l : nullptr;
}

// Queues a relayed copy from `from` on `next`. It may use the queue up to
// the data limit; past the relay share the link it came from stops being
// read (node_flow.cpp), so the share is a high-water mark with room above it
// for the line in hand. A slow reader's copies are dropped and counted.
bool Relay::queue_relayed(Link& from, Link& next, const PeerMessage& m) {
    return queue_relayed_line(
        from, next, encode_peer_message(m, ctx_.scratch.get(), EngineContext::kScratchBytes));
}

bool Relay::queue_relayed_line(Link& from, Link& next, std::size_t n) {
    if (flow_.slow_reader(next)) {
        ++next.dropped;
        return false;
    }
    if (n == 0 || !links_.queue_line(next, ctx_.scratch.get(), n, false)) {
        ++next.dropped;
        return false;
    }
    flow_.fed(from, next);
    return true;
}

void Relay::relay_reply(Link& l, MsgType type, const PeerMessage& m, std::string_view reason) {
    PeerMessage r;
    r.type = type;
    r.msg_id = m.msg_id;
    r.has_msg_id = m.has_msg_id;
    r.src = ctx_.self;
    r.dst = m.src;
    r.reason = reason;
    r.ttl = 1;
    links_.queue_msg(l, r, true);
}

// ---- forwarding -------------------------------------------------------------------

// A SEND for someone else (docs/protocol.md §5 "Forwarding"): refused with
// an ERROR when the link did not negotiate relaying, answered TTL_EXPIRED or
// RELAY_FAIL when the gate or the next hop says no, else queued one hop on
// and answered RELAY_OK.
void Relay::forward_send(Link& l, const PeerMessage& m) {
    std::string_view origin = origin_of(peers_.at(l.peer), m);
    switch (gate_.admit(Forward::kSend, l, m.ttl, origin, ctx_.now())) {
        case ForwardVerdict::kPass:
            break;
        case ForwardVerdict::kNotNegotiated:
            links_.send_error(l, on() ? "no_route" : "relay_not_supported", m.msg_id,
                              "not relayed on this link");
            return;
        case ForwardVerdict::kTtlExpired:
            ++ctx_.stats.relay_refused;
            relay_reply(l, MsgType::kTtlExpired, m, "ttl_expired");
            return;
        case ForwardVerdict::kOverQuota:
            ++ctx_.stats.relay_refused;
            relay_reply(l, MsgType::kRelayFail, m, "over_quota");
            return;
    }
    int p = peers_.find(m.dst);
    Link* next = p >= 0 ? peers_.active_link(p) : nullptr;
    if (!next) next = route_link(m.dst);
    if (!next || !gate_.may_send_to(Forward::kSend, &l, *next)) {
        ++ctx_.stats.relay_refused;
        relay_reply(l, MsgType::kRelayFail, m, "no_route");
        return;
    }
    PeerMessage copy = m;
    // A legacy peer drops ttl <= 0 and never forwards: its copy carries 1.
    copy.ttl = next->legacy ? 1 : gate_.next_ttl(m.ttl);
    if (!queue_relayed(l, *next, copy)) {
        ++ctx_.stats.relay_refused;
        relay_reply(l, MsgType::kRelayFail, m, "busy");
        return;
    }
    ++ctx_.stats.relayed;
    // Kept for the whole retransmission window of the origin.
    remember(m.msg_id, l, ctx_.cfg.ack_timeout_ms * (ctx_.cfg.ack_retries + 2));
    relay_reply(l, MsgType::kRelayOk, m, {});
}

void Relay::flood_pub(Link& l, const PeerMessage& m, std::string_view ns, bool all) {
    std::string_view origin = origin_of(peers_.at(l.peer), m);
    if (gate_.admit(Forward::kPub, l, m.ttl, origin, ctx_.now()) != ForwardVerdict::kPass) return;
    PeerMessage copy = m;
    copy.ttl = gate_.next_ttl(m.ttl);
    // Every copy is the same line: encoded once, at the first link that gets one
    // (issue 17: encoding was half the instructions of a PUB to 4 subscribers).
    std::size_t line_len = 0;
    bool encoded = false;
    for (std::size_t i = 0; i < peers_.linked_count(); ++i) {
        int p = peers_.linked_at(i);
        const PeerRecord& r = peers_.at(p);
        if (!r.used || r.peer_id() == origin) continue;
        if (!all && r.ns() != ns) continue;
        Link* next = peers_.active_link(p);
        if (!next || !gate_.may_send_to(Forward::kPub, &l, *next)) continue;
        if (!encoded) {
            line_len = encode_peer_message(copy, ctx_.scratch.get(), EngineContext::kScratchBytes);
            encoded = true;
        }
        if (queue_relayed_line(l, *next, line_len))
            ++ctx_.stats.relayed;
        else
            ++ctx_.stats.relay_dropped;
    }
}

bool Relay::pass_back(Link& l, const PeerMessage& m) {
    Link* back = backtrack_link(m.msg_id);
    if (!back) return false;
    if (gate_.may_send_to(Forward::kPassBack, &l, *back)) links_.queue_msg(*back, m, true);
    return true;
}

// ---- route discovery ----------------------------------------------------------------

void Relay::on_who_has(Link& l, const PeerMessage& m) {
    if (!gate_.negotiated(Forward::kWhoHas, l)) {
        links_.send_error(l, "relay_not_supported", m.msg_id, "who_has not negotiated");
        return;
    }
    std::string_view src = origin_of(peers_.at(l.peer), m);
    if (!m.has_msg_id || messages_.already_seen(src, m.msg_id, &l)) return;  // loop
    int p = peers_.find(m.dst);
    Link* to = p >= 0 ? peers_.active_link(p) : nullptr;
    if (m.dst == ctx_.self || (to && to != &l) || (!to && route_link(m.dst))) {
        PeerMessage hit;
        hit.type = MsgType::kWhoHasHit;
        hit.msg_id = m.msg_id;
        hit.has_msg_id = true;
        hit.src = ctx_.self;
        hit.dst = m.dst;
        hit.via = ctx_.self;
        hit.ttl = 1;
        links_.queue_msg(l, hit, true);
        return;
    }
    if (gate_.admit(Forward::kWhoHas, l, m.ttl, src, ctx_.now()) != ForwardVerdict::kPass) return;
    // Ask further, one hop less, and pass any HIT back to the asker.
    PeerMessage fwd = m;
    fwd.ttl = gate_.next_ttl(m.ttl);
    remember(m.msg_id, l, ctx_.cfg.who_has_timeout_ms * 2);
    for (std::size_t i = 0; i < peers_.linked_count(); ++i) {
        int q = peers_.linked_at(i);
        if (!peers_.at(q).used || peers_.at(q).peer_id() == src) continue;
        Link* n = peers_.active_link(q);
        if (n && gate_.may_send_to(Forward::kWhoHas, &l, *n)) links_.queue_msg(*n, fwd, true);
    }
}

void Relay::on_who_has_hit(Link& l, const PeerMessage& m) {
    if (!gate_.negotiated(Forward::kWhoHasHit, l) || m.dst.empty() || m.dst == ctx_.self) return;
    // The neighbour that answered is our next hop, whoever it names as via.
    // Under load many WHO_HAS may be answered for one destination: only a new
    // or changed route is worth an INFO line.
    LogLevel level = routes_.learn(m.dst, l.id, ctx_.now()) ? LogLevel::kInfo : LogLevel::kDebug;
    P2P_LOG_LIMITED(level, "Relay", "routes learnt", l.remote_view(), "route to %.*s via %s",
                    static_cast<int>(m.dst.size()), m.dst.data(),
                    l.peer >= 0 ? peers_.at(l.peer).id : l.remote);
    Link* back = backtrack_link(m.msg_id);
    if (back && gate_.may_send_to(Forward::kWhoHasHit, &l, *back) &&
        gate_.admit(Forward::kWhoHasHit, l, m.ttl, origin_of(peers_.at(l.peer), m), ctx_.now()) ==
            ForwardVerdict::kPass) {
        PeerMessage hit = m;
        hit.src = ctx_.self;
        hit.via = ctx_.self;
        hit.ttl = 1;
        links_.queue_msg(*back, hit, true);
    }
    messages_.flush_routed(m.dst);
}

void Relay::on_relay_answer(Link& l, const PeerMessage& m) {
    if (m.type == MsgType::kRelayOk) {
        P2P_DEBUG("Relay", "%s relayed %.*s", l.remote, static_cast<int>(m.msg_id.size()),
                  m.msg_id.data());
        return;
    }
    std::string_view reason = m.type == MsgType::kTtlExpired ? std::string_view("ttl_expired")
                              : m.reason.empty()             ? std::string_view("no_route")
                                                             : m.reason;
    if (messages_.fail_routed(m.msg_id, l.id, reason)) return;  // one of ours
    // A failure further down a chain we are part of: pass it back.
    pass_back(l, m);
}

// ---- metrics ----------------------------------------------------------------------

void Relay::on_metrics_req(Link& l, const PeerMessage& m) {
    if (!gate_.negotiated(Forward::kMetricsReq, l) || l.peer < 0) {
        links_.send_error(l, "relay_not_supported", m.msg_id, "metrics not negotiated");
        return;
    }
    const PeerRecord& r = peers_.at(l.peer);
    // An answer costs us a line: a neighbour asking without pause gets its rate.
    if (gate_.admit(Forward::kMetricsReq, l, m.ttl, r.peer_id(), ctx_.now()) !=
        ForwardVerdict::kPass)
        return;
    char ts[kIsoTimeBytes];
    MonoMs age = r.last_seen ? ctx_.now() - r.last_seen : 0;
    PeerMessage out;
    out.type = MsgType::kMetrics;
    out.msg_id = m.msg_id;
    out.has_msg_id = m.has_msg_id;
    out.src = ctx_.self;
    out.dst = r.peer_id();
    out.rtt_ms = r.rtt_mean();
    out.sent_count = r.sent;
    out.recv_count = r.recv;
    out.last_seen = format_iso8601(ctx_.clock.wall_ms() - age, ts);
    out.ttl = 1;
    links_.queue_msg(l, out, true);
}

void Relay::on_metrics(Link& l, const PeerMessage& m) {
    char text[256];
    int n = std::snprintf(text, sizeof text,
                          "metrics %.*s: rtt_ms=%.1f sent=%llu recv=%llu last_seen=%.*s",
                          static_cast<int>(m.src.size()), m.src.data(), m.rtt_ms,
                          static_cast<unsigned long long>(m.sent_count),
                          static_cast<unsigned long long>(m.recv_count),
                          static_cast<int>(m.last_seen.size()), m.last_seen.data());
    NodeEvent ev;
    ev.kind = EventKind::kMetrics;
    ev.peer_id = l.peer >= 0 ? peers_.at(l.peer).peer_id() : std::string_view();
    ev.text = std::string_view(text, static_cast<std::size_t>(std::clamp(n, 0, 255)));
    ev.metrics_rtt_ms = m.rtt_ms;
    ev.metrics_sent = m.sent_count;
    ev.metrics_recv = m.recv_count;
    ev.metrics_last_seen = m.last_seen;
    ev.metrics_dropped = l.dropped;
    ctx_.emit(ev);
}

// ---- API --------------------------------------------------------------------------

bool Relay::request_metrics(std::string_view peer_id) {
    if (!peer_id.empty() && peer_id[0] == '@') peer_id.remove_prefix(1);
    int p = peers_.find(peer_id);
    Link* l = p >= 0 ? peers_.active_link(p) : nullptr;
    if (!l || !gate_.may_send_to(Forward::kMetricsReq, nullptr, *l)) return false;
    char id[kMsgIdBytes];
    PeerMessage q;
    q.type = MsgType::kMetricsReq;
    q.msg_id = make_msg_id(ctx_.ids, id);
    q.has_msg_id = true;
    q.src = ctx_.self;
    q.dst = peer_id;
    q.ttl = 1;
    return links_.queue_msg(*l, q, true);
}

bool Relay::route_view(std::size_t slot, RouteView& out) const {
    if (slot >= routes_.capacity()) return false;
    int s = static_cast<int>(slot);
    if (!routes_.live(s, ctx_.now())) return false;
    const RouteEntry& r = routes_.at(s);
    const Link* l = links_.find(r.via);
    if (!l || l->state != LinkState::kEstablished) return false;
    out = RouteView{};
    out.dst = r.dst_id();
    out.link = r.via;
    if (l->peer >= 0) {
        out.via = peers_.at(l->peer).peer_id();
        out.via_rtt_ms = peers_.at(l->peer).rtt_mean();
    }
    out.learnt_at = r.learnt;
    out.expires_at = routes_.expires(s);
    return true;
}

}  // namespace p2p
