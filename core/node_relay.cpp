// Node: the relay extension (docs/protocol.md §5) — route discovery with
// WHO_HAS / WHO_HAS_HIT, forwarding SEND and PUB by the TTL rule with
// RELAY_OK / RELAY_FAIL / TTL_EXPIRED, ACKs passed back toward their origin,
// backpressure through the relay share of each queue (node_flow.cpp),
// per-link and per-origin rate limits, METRICS.
// The tables (route_cache.h, relay_acks.h, origin_rates.h) are fixed-size and
// hashed; a full one refuses (busy) or forgets the entry closest to expiry,
// it never grows.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/node_impl.h"

namespace p2p {

// ---- routes ----------------------------------------------------------------------

Link* Node::Impl::route_link(std::string_view dst) {
    int s = routes.find(dst, now());
    if (s < 0) return nullptr;
    Link* l = find_link(routes.at(s).via);
    if (!l || l->state != LinkState::kEstablished) {
        routes.forget(s);
        return nullptr;
    }
    return l;
}

bool Node::Impl::has_who_has_neighbour(std::string_view except_peer) {
    for (std::size_t i = 0; i < peers.linked_count(); ++i) {
        int p = peers.linked_at(i);
        if (!peers.at(p).used || peers.at(p).peer_id() == except_peer) continue;
        Link* l = active_link(p);
        if (l && (l->features & kFeatureWhoHas)) return true;
    }
    return false;
}

void Node::Impl::send_who_has(std::string_view dst) {
    char id[kMsgIdBytes];
    PeerMessage q;
    q.type = MsgType::kWhoHas;
    q.msg_id = make_msg_id(rng, id);
    q.has_msg_id = true;
    q.src = self;
    q.dst = dst;
    q.ttl = cfg.relay_ttl;
    seen.check_and_insert(self, q.msg_id, now());  // our own WHO_HAS coming back is ignored
    for (std::size_t i = 0; i < peers.linked_count(); ++i) {
        int p = peers.linked_at(i);
        if (!peers.at(p).used || peers.at(p).peer_id() == dst) continue;
        Link* l = active_link(p);
        if (l && (l->features & kFeatureWhoHas)) queue_msg(*l, q, true);
    }
}

void Node::Impl::flush_routed(std::string_view dst) {
    for (int k = pending.first_to(dst); k >= 0; k = pending.next_to(k)) {
        PendingSend& ps = pending.at(k);
        if (ps.peer >= 0 && active_link(ps.peer)) continue;  // direct after all
        if (needs_copy(ps)) transmit(k);
    }
}

// ---- answers passed back ------------------------------------------------------------

void Node::Impl::remember(std::string_view msg_id, LinkId prev, MonoMs keep) {
    MonoMs t = now();
    relay_acks.remember(msg_id, prev, t, t + keep);
}

Link* Node::Impl::backtrack_link(std::string_view msg_id) {
    if (msg_id.empty()) return nullptr;
    Link* l = find_link(relay_acks.lookup(msg_id, now()));
    return (l && l->state == LinkState::kEstablished) ? l : nullptr;
}

// Queues a relayed copy from `from` on `next`. It may use the queue up to
// the data limit; past the relay share the link it came from stops being
// read (node_flow.cpp), so the share is a high-water mark with room above it
// for the line in hand. A slow reader's copies are dropped and counted.
bool Node::Impl::queue_relayed(Link& from, Link& next, const PeerMessage& m) {
    if (slow_reader(next)) {
        ++next.dropped;
        return false;
    }
    std::size_t n = encode_peer_message(m, scratch.get(), kScratchBytes);
    if (n == 0 || !queue_line(next, scratch.get(), n, false)) {
        ++next.dropped;
        return false;
    }
    fed(from, next);
    return true;
}

void Node::Impl::relay_reply(Link& l, MsgType type, const PeerMessage& m, std::string_view reason) {
    PeerMessage r;
    r.type = type;
    r.msg_id = m.msg_id;
    r.has_msg_id = m.has_msg_id;
    r.src = self;
    r.dst = m.src;
    r.reason = reason;
    r.ttl = 1;
    queue_msg(l, r, true);
}

// ---- forwarding -------------------------------------------------------------------

void Node::Impl::relay_send(Link& l, const PeerMessage& m) {
    if (m.ttl < 1) {
        ++stats.relay_refused;
        relay_reply(l, MsgType::kTtlExpired, m, "ttl_expired");
        return;
    }
    std::string_view origin = m.src.empty() ? peers.at(l.peer).peer_id() : m.src;
    // Per link first: a made-up origin per message must not get a fresh budget.
    if (!l.relay_rate.admit(now(), cfg.relay_rate_per_link) || !rates.admit(origin, now())) {
        ++stats.relay_refused;
        relay_reply(l, MsgType::kRelayFail, m, "over_quota");
        return;
    }
    int p = peers.find(m.dst);
    Link* next = p >= 0 ? active_link(p) : nullptr;
    if (!next) next = route_link(m.dst);
    if (!next || next == &l) {
        ++stats.relay_refused;
        relay_reply(l, MsgType::kRelayFail, m, "no_route");
        return;
    }
    PeerMessage copy = m;
    // A legacy peer drops ttl <= 0 and never forwards: its copy carries 1.
    copy.ttl = next->legacy ? 1 : m.ttl - 1;
    if (!queue_relayed(l, *next, copy)) {
        ++stats.relay_refused;
        relay_reply(l, MsgType::kRelayFail, m, "busy");
        return;
    }
    ++stats.relayed;
    // Kept for the whole retransmission window of the origin.
    remember(m.msg_id, l.id, cfg.ack_timeout_ms * (cfg.ack_retries + 2));
    relay_reply(l, MsgType::kRelayOk, m, {});
}

void Node::Impl::relay_pub(Link& l, const PeerMessage& m, std::string_view ns, bool all) {
    if (!relaying() || m.ttl < 1) return;
    PeerMessage copy = m;
    copy.ttl = m.ttl - 1;
    std::string_view origin = m.src.empty() ? peers.at(l.peer).peer_id() : m.src;
    for (std::size_t i = 0; i < peers.linked_count(); ++i) {
        int p = peers.linked_at(i);
        const PeerRecord& r = peers.at(p);
        if (!r.used || r.peer_id() == origin) continue;
        if (!all && r.ns() != ns) continue;
        Link* next = active_link(p);
        // Relayed PUBs go only to relay neighbours: legacy peers do not
        // deduplicate and may already have it from its origin.
        if (!next || next == &l || !(next->features & kFeatureRelay)) continue;
        if (queue_relayed(l, *next, copy))
            ++stats.relayed;
        else
            ++stats.relay_dropped;
    }
}

// ---- route discovery ----------------------------------------------------------------

void Node::Impl::on_who_has(Link& l, const PeerMessage& m) {
    if (!(cfg.features & kFeatureWhoHas) || !(l.features & kFeatureWhoHas)) {
        send_error(l, "relay_not_supported", m.msg_id, "who_has not negotiated");
        return;
    }
    std::string_view src = m.src.empty() ? peers.at(l.peer).peer_id() : m.src;
    if (!m.has_msg_id || seen.check_and_insert(src, m.msg_id, now())) return;  // loop
    int p = peers.find(m.dst);
    Link* to = p >= 0 ? active_link(p) : nullptr;
    if (m.dst == self || (to && to != &l) || (!to && route_link(m.dst))) {
        PeerMessage hit;
        hit.type = MsgType::kWhoHasHit;
        hit.msg_id = m.msg_id;
        hit.has_msg_id = true;
        hit.src = self;
        hit.dst = m.dst;
        hit.via = self;
        hit.ttl = 1;
        queue_msg(l, hit, true);
        return;
    }
    if (m.ttl < 2 || !relaying()) return;
    // Ask further, one hop less, and pass any HIT back to the asker.
    PeerMessage fwd = m;
    fwd.ttl = m.ttl - 1;
    remember(m.msg_id, l.id, cfg.who_has_timeout_ms * 2);
    for (std::size_t i = 0; i < peers.linked_count(); ++i) {
        int q = peers.linked_at(i);
        if (!peers.at(q).used || peers.at(q).peer_id() == src) continue;
        Link* n = active_link(q);
        if (n && n != &l && (n->features & kFeatureWhoHas)) queue_msg(*n, fwd, true);
    }
}

void Node::Impl::on_who_has_hit(Link& l, const PeerMessage& m) {
    if (!(l.features & kFeatureWhoHas) || m.dst.empty() || m.dst == self) return;
    // The neighbour that answered is our next hop, whoever it names as via.
    // Under load many WHO_HAS may be answered for one destination: only a new
    // or changed route is worth an INFO line.
    LogLevel level = routes.learn(m.dst, l.id, now()) ? LogLevel::kInfo : LogLevel::kDebug;
    P2P_LOG_LIMITED(level, "Relay", "routes learnt", l.remote_view(), "route to %.*s via %s",
                    static_cast<int>(m.dst.size()), m.dst.data(),
                    l.peer >= 0 ? peers.at(l.peer).id : l.remote);
    if (Link* back = backtrack_link(m.msg_id)) {
        if (back != &l) {
            PeerMessage hit = m;
            hit.src = self;
            hit.via = self;
            hit.ttl = 1;
            queue_msg(*back, hit, true);
        }
    }
    flush_routed(m.dst);
}

void Node::Impl::on_relay_answer(Link& l, const PeerMessage& m) {
    if (m.type == MsgType::kRelayOk) {
        P2P_DEBUG("Relay", "%s relayed %.*s", l.remote, static_cast<int>(m.msg_id.size()),
                  m.msg_id.data());
        return;
    }
    int k = pending.find(m.msg_id);
    if (k >= 0 && pending.at(k).tx_link == l.id) {
        std::string_view reason = m.type == MsgType::kTtlExpired ? std::string_view("ttl_expired")
                                  : m.reason.empty()             ? std::string_view("no_route")
                                                                 : m.reason;
        routes.forget(pending.at(k).dst_id());
        finish_pending(k, false, reason);
        return;
    }
    // A failure further down a chain we are part of: pass it back.
    if (Link* back = backtrack_link(m.msg_id)) {
        if (back != &l) queue_msg(*back, m, true);
    }
}

// ---- metrics ----------------------------------------------------------------------

void Node::Impl::on_metrics_req(Link& l, const PeerMessage& m) {
    if (!(l.features & kFeatureMetrics) || l.peer < 0) {
        send_error(l, "relay_not_supported", m.msg_id, "metrics not negotiated");
        return;
    }
    const PeerRecord& r = peers.at(l.peer);
    char ts[kIsoTimeBytes];
    MonoMs age = r.last_seen ? now() - r.last_seen : 0;
    PeerMessage out;
    out.type = MsgType::kMetrics;
    out.msg_id = m.msg_id;
    out.has_msg_id = m.has_msg_id;
    out.src = self;
    out.dst = r.peer_id();
    out.rtt_ms = r.rtt_mean();
    out.sent_count = r.sent;
    out.recv_count = r.recv;
    out.last_seen = format_iso8601(clock.wall_ms() - age, ts);
    out.ttl = 1;
    queue_msg(l, out, true);
}

void Node::Impl::on_metrics(Link& l, const PeerMessage& m) {
    char text[256];
    int n = std::snprintf(text, sizeof text,
                          "metrics %.*s: rtt_ms=%.1f sent=%llu recv=%llu last_seen=%.*s",
                          static_cast<int>(m.src.size()), m.src.data(), m.rtt_ms,
                          static_cast<unsigned long long>(m.sent_count),
                          static_cast<unsigned long long>(m.recv_count),
                          static_cast<int>(m.last_seen.size()), m.last_seen.data());
    NodeEvent ev;
    ev.kind = EventKind::kMetrics;
    ev.peer_id = l.peer >= 0 ? peers.at(l.peer).peer_id() : std::string_view();
    ev.text = std::string_view(text, static_cast<std::size_t>(std::clamp(n, 0, 255)));
    ev.metrics_rtt_ms = m.rtt_ms;
    ev.metrics_sent = m.sent_count;
    ev.metrics_recv = m.recv_count;
    ev.metrics_last_seen = m.last_seen;
    ev.metrics_dropped = l.dropped;
    emit(ev);
}

// ---- API --------------------------------------------------------------------------

bool Node::request_metrics(std::string_view peer_id) {
    Impl& n = *impl_;
    if (!peer_id.empty() && peer_id[0] == '@') peer_id.remove_prefix(1);
    int p = n.peers.find(peer_id);
    Link* l = p >= 0 ? n.active_link(p) : nullptr;
    if (!l || !(l->features & kFeatureMetrics)) return false;
    char id[kMsgIdBytes];
    PeerMessage q;
    q.type = MsgType::kMetricsReq;
    q.msg_id = make_msg_id(n.rng, id);
    q.has_msg_id = true;
    q.src = n.self;
    q.dst = peer_id;
    q.ttl = 1;
    return n.queue_msg(*l, q, true);
}

std::size_t Node::route_slots() const {
    return impl_->routes.capacity();
}

bool Node::route_view(std::size_t slot, RouteView& out) const {
    const Impl& n = *impl_;
    if (slot >= n.routes.capacity()) return false;
    int s = static_cast<int>(slot);
    if (!n.routes.live(s, n.now())) return false;
    const RouteEntry& r = n.routes.at(s);
    const Link* l = n.find_link(r.via);
    if (!l || l->state != LinkState::kEstablished) return false;
    out = RouteView{};
    out.dst = r.dst_id();
    out.link = r.via;
    if (l->peer >= 0) {
        out.via = n.peers.at(l->peer).peer_id();
        out.via_rtt_ms = n.peers.at(l->peer).rtt_mean();
    }
    out.learnt_at = r.learnt;
    out.expires_at = n.routes.expires(s);
    return true;
}

}  // namespace p2p
