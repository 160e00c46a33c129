// Node: chat traffic — SEND/ACK with retransmission, PUB, BYE, ERROR — and
// the user commands that originate it.
#include <cstdio>
#include <cstring>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/node_impl.h"

namespace p2p {

namespace {

// "*" stays "*"; "#ns" and a bare "ns" (older peers) both mean namespace ns.
// Returns false for an empty or unusable scope.
bool parse_scope(std::string_view dst, std::string_view& ns_out, bool& all) {
    all = false;
    if (dst == "*") {
        all = true;
        return true;
    }
    if (!dst.empty() && dst[0] == '#') dst.remove_prefix(1);
    if (!is_valid_name(dst)) return false;
    ns_out = dst;
    return true;
}

}  // namespace

void Node::Impl::emit_undelivered(std::string_view msg_id, std::string_view to,
                                  std::string_view reason) {
    NodeEvent ev;
    ev.kind = EventKind::kUndelivered;
    ev.msg_id = msg_id;
    ev.peer_id = to;
    ev.reason = reason;
    emit(ev);
}

// A message from a direct neighbour must carry its own peer_id as src, unless
// that neighbour negotiated relaying (docs/protocol.md §5: no spoofing of src).
static bool src_allowed(const Link& l, const PeerRecord& r, const PeerMessage& m) {
    return m.src.empty() || m.src == r.peer_id() || (l.features & kFeatureRelay) != 0;
}

void Node::Impl::on_send(Link& l, const PeerMessage& m) {
    if (l.peer < 0) return;
    PeerRecord& r = peers.at(l.peer);
    if (!src_allowed(l, r, m)) {
        send_error(l, "unauthorized", m.msg_id, "src is not the sending peer");
        return;
    }
    if (!m.dst.empty() && m.dst != self) {
        if (!relaying() || !(l.features & kFeatureRelay)) {
            send_error(l, relaying() ? "no_route" : "relay_not_supported", m.msg_id,
                       "not relayed on this link");
            return;
        }
        relay_send(l, m);
        return;
    }
    std::string_view origin = m.src.empty() ? r.peer_id() : m.src;
    bool dup = m.has_msg_id && seen.check_and_insert(origin, m.msg_id, now());
    if (dup) {
        ++stats.duplicates;
    } else {
        NodeEvent ev;
        ev.kind = EventKind::kMsg;
        ev.peer_id = origin;
        ev.text = m.payload;
        ev.msg_id = m.msg_id;
        emit(ev);
    }
    // Every copy is ACKed: a repeat means our previous ACK was lost.
    if (m.require_ack && m.has_msg_id) {
        char ts[kIsoTimeBytes];
        PeerMessage ack;
        ack.type = MsgType::kAck;
        ack.msg_id = m.msg_id;
        ack.has_msg_id = true;
        ack.from = self;
        ack.timestamp = format_iso8601(clock.wall_ms(), ts);
        ack.ttl = 1;
        queue_msg(l, ack, true);
    }
}

void Node::Impl::on_ack(Link& l, const PeerMessage& m) {
    if (!m.has_msg_id) return;  // broken legacy ACK with "" or null msg_id
    int k = pending.find(m.msg_id);
    if (k >= 0) {
        const PendingSend& ps = pending.at(k);
        // From the destination itself, or from the relay the copy went through.
        if (ps.tx_link == l.id || (ps.peer >= 0 && ps.peer == l.peer)) finish_pending(k, true, {});
        return;
    }
    // The ACK of a SEND we relayed: pass it back toward its origin.
    if (Link* back = backtrack_link(m.msg_id)) {
        if (back != &l) queue_msg(*back, m, true);
        return;
    }
    P2P_DEBUG("Chat", "ACK for unknown msg_id %.*s", static_cast<int>(m.msg_id.size()),
              m.msg_id.data());
}

void Node::Impl::on_pub(Link& l, const PeerMessage& m) {
    if (l.peer < 0) return;
    PeerRecord& r = peers.at(l.peer);
    if (!src_allowed(l, r, m)) {
        send_error(l, "unauthorized", m.msg_id, "src is not the sending peer");
        return;
    }
    std::string_view ns;
    bool all = false;
    if (!parse_scope(m.dst, ns, all)) {
        send_error(l, "bad_format", m.msg_id, "PUB dst must be * or #namespace");
        return;
    }
    std::string_view origin = m.src.empty() ? r.peer_id() : m.src;
    if (m.has_msg_id && seen.check_and_insert(origin, m.msg_id, now())) {
        ++stats.duplicates;
        return;
    }
    relay_pub(l, m, ns, all);
    if (!all && ns != self_ns) return;  // not in our scope
    char scope[kMaxNameBytes + 2];
    NodeEvent ev;
    ev.kind = EventKind::kPub;
    if (all) {
        ev.scope = "*";
    } else {
        scope[0] = '#';
        std::memcpy(scope + 1, ns.data(), ns.size());
        ev.scope = std::string_view(scope, ns.size() + 1);
    }
    ev.peer_id = origin;
    ev.text = m.payload;
    ev.msg_id = m.msg_id;
    emit(ev);
}

void Node::Impl::on_bye(Link& l, const PeerMessage& m) {
    PeerMessage ok;
    ok.type = MsgType::kByeOk;
    ok.msg_id = m.msg_id;
    ok.has_msg_id = m.has_msg_id;
    ok.src = self;
    if (l.peer >= 0) ok.dst = peers.at(l.peer).peer_id();
    ok.ttl = 1;
    queue_msg(l, ok, true);
    // BYE "duplicate" closes a spare link only; any other BYE on the link we
    // use means the peer left: no redial until it registers again.
    bool duplicate = m.reason == "duplicate";
    if (!duplicate && l.peer >= 0 && peers.at(l.peer).link == l.id)
        peers.at(l.peer).said_bye = true;
    if (l.state != LinkState::kClosing) {
        detach(l, duplicate ? "duplicate" : "bye", false);
        l.state = LinkState::kClosing;
        l.close_deadline = now() + cfg.close_grace_ms;
    }
    l.await_bye_ok = false;  // they close too; flushing our BYE_OK is enough
    if (l.out.empty()) {
        close_now(l, nullptr, false);
        return;
    }
    rearm_link(l);
}

void Node::Impl::on_error(Link& l, const PeerMessage& m) {
    // Logged, never answered (no ERROR ping-pong). A failure naming one of our
    // pending SENDs ends it with that reason.
    P2P_INFO_LIMITED("Link", "ERRORs received", l.remote_view(), "%s: ERROR %.*s ref=%.*s %.*s",
                     l.remote, static_cast<int>(m.error.size()), m.error.data(),
                     static_cast<int>(m.ref.size()), m.ref.data(),
                     static_cast<int>(m.detail.size()), m.detail.data());
    if (m.ref.empty()) return;
    int k = pending.find(m.ref);
    if (k < 0) return;
    if (pending.at(k).tx_link != l.id && pending.at(k).peer != l.peer) return;
    if (m.error == "no_route" || m.error == "peer_unreachable" || m.error == "message_too_large" ||
        m.error == "unauthorized" || m.error == "relay_not_supported")
        finish_pending(k, false, m.error);
}

bool Node::Impl::transmit(int k) {
    PendingSend& ps = pending.at(k);
    Link* l = ps.peer >= 0 ? active_link(ps.peer) : nullptr;
    if (l) {
        ps.routed = false;
    } else if (relaying()) {
        l = route_link(ps.dst_id());
        if (!l) return false;
        ps.routed = true;
    } else {
        return false;
    }
    ps.route_deadline = 0;
    std::size_t n = ps.line.peek(scratch.get(), kScratchBytes);
    if (!queue_line(*l, scratch.get(), n, false)) return false;
    ++ps.transmissions;
    if (ps.transmissions > 1) ++stats.retransmits;
    MonoMs t = now();
    ps.last_tx = t;
    ps.tx_link = l->id;
    ps.tx_line = l->lines_queued;
    if (ps.routed) {
        // Through a relay: its link carries others' traffic too, and the
        // copy is found again by route, not by peer; the clock starts now.
        ps.deadline = t + cfg.ack_timeout_ms;
        timers.set(pending_timer(k), ps.deadline);
    } else {
        // Direct: the ACK clock starts when the host writes the line
        // (start_ack_clocks), not while it waits behind a paced link.
        ps.deadline = 0;
        timers.clear(pending_timer(k));
    }
    if (ps.transmissions == 1) {
        NodeEvent ev;
        ev.kind = EventKind::kSent;
        ev.msg_id = ps.id();
        ev.peer_id = ps.dst_id();
        emit(ev);
    }
    return true;
}

// Pending SENDs to peer p, oldest first: the one after k (k < 0: the first).
// Walks only the SENDs to that peer's id, never the whole table.
int Node::Impl::next_pending_of(int p, int k) const {
    k = k < 0 ? pending.first_to(peers.at(p).peer_id()) : pending.next_to(k);
    while (k >= 0 && pending.at(k).peer != p)
        k = pending.next_to(k);
    return k;
}

// Never sent, or its last copy went on a link that is gone: the ACK cannot
// come back that way, so it goes (again) on the current link.
bool Node::Impl::needs_copy(const PendingSend& ps) const {
    if (ps.transmissions == 0) return true;
    const Link* l = find_link(ps.tx_link);
    return !l || l->state != LinkState::kEstablished;
}

// The peer's SENDs go in submission order, at most a window of them awaiting
// their ACK: one for a legacy peer (it may handle one line per read), the
// configured window for a full peer. The rest wait their turn off the clock.
// Walks at most the window (plus one), so calling it on every write is cheap.
void Node::Impl::flush_pending(int p) {
    Link* l = active_link(p);
    if (!l) return;
    std::size_t window = l->legacy ? 1 : cfg.max_pending_sends;
    std::size_t in_flight = 0;
    for (int k = next_pending_of(p, -1); k >= 0 && in_flight < window; k = next_pending_of(p, k)) {
        PendingSend& ps = pending.at(k);
        if (ps.routed && ps.transmissions > 0 && !needs_copy(ps)) continue;  // via a relay
        if (needs_copy(ps) && !transmit(k)) return;  // the link's queue is full: on consumed()
        ++in_flight;
    }
}

// Lines of `l` the host has now written: the direct SENDs among them start
// their ACK clock. They are in the peer's window, at the front of its list.
void Node::Impl::start_ack_clocks(Link& l) {
    std::size_t window = l.legacy ? 1 : cfg.max_pending_sends;
    std::size_t seen_sent = 0;
    MonoMs t = now();
    for (int k = next_pending_of(l.peer, -1); k >= 0 && seen_sent <= window;
         k = next_pending_of(l.peer, k)) {
        PendingSend& ps = pending.at(k);
        if (ps.transmissions == 0) break;  // the rest were never sent
        ++seen_sent;
        if (ps.tx_link != l.id || ps.deadline != 0 || ps.routed) continue;
        if (ps.tx_line > l.lines_written) continue;  // not written yet
        ps.last_tx = t;
        ps.deadline = t + cfg.ack_timeout_ms;
        timers.set(pending_timer(k), ps.deadline);
    }
}

void Node::Impl::pending_timer_fired(int k) {
    PendingSend& ps = pending.at(k);
    int p = ps.peer;
    Link* l = p >= 0 ? active_link(p) : nullptr;
    if (l && !ps.routed && needs_copy(ps)) {
        ps.deadline = 0;  // a live link: it waits its turn, off the clock
        flush_pending(p);
        return;
    }
    if (ps.route_deadline != 0 && ps.transmissions == 0) {
        // WHO_HAS went unanswered: nobody we know can reach it.
        if (!transmit(k)) finish_pending(k, false, "no_route");
        return;
    }
    ++ps.timeouts;
    if (ps.timeouts > cfg.ack_retries) {
        const char* why = ps.transmissions == 0                   ? "peer_unreachable"
                          : ps.routed && !route_link(ps.dst_id()) ? "no_route"
                          : (l || ps.routed)                      ? "ack_timeout"
                                                                  : "peer_unreachable";
        finish_pending(k, false, why);
        return;
    }
    NodeEvent ev;
    ev.kind = EventKind::kAckTimeout;
    ev.msg_id = ps.id();
    ev.peer_id = ps.dst_id();
    ev.retry = ps.timeouts;
    ev.max_retries = cfg.ack_retries;
    emit(ev);
    if (!transmit(k)) {
        // No link right now (or its queue is full): try again next period;
        // a rebuilt link retransmits at once (flush_pending). A routed
        // message whose relay went away asks for a route again.
        if (ps.routed && relaying() && has_who_has_neighbour(ps.dst_id()))
            send_who_has(ps.dst_id());
        ps.deadline = now() + cfg.ack_timeout_ms;
        timers.set(pending_timer(k), ps.deadline);
    }
}

void Node::Impl::finish_pending(int k, bool delivered, std::string_view reason) {
    PendingSend& ps = pending.at(k);
    int p = ps.peer;
    char id[kMsgIdBytes];
    std::memcpy(id, ps.msg_id, ps.id_len + 1u);
    std::string_view msg_id(id, ps.id_len);
    char dst[sizeof(PendingSend::dst)];
    std::memcpy(dst, ps.dst, ps.dst_len + 1u);
    NodeEvent ev;
    ev.peer_id = std::string_view(dst, ps.dst_len);
    ev.msg_id = msg_id;
    if (delivered) {
        ev.kind = EventKind::kDelivered;
        ev.rtt_ms = now() - ps.last_tx;
    } else {
        ev.kind = EventKind::kUndelivered;
        ev.reason = reason;
    }
    timers.clear(pending_timer(k));
    user_bytes -= ps.charge;
    pending.release(k, pool);
    emit(ev);
    if (p >= 0) flush_pending(p);  // a legacy peer's next SEND may go now
}

// ---- API -------------------------------------------------------------------------

SendResult Node::send(std::string_view dst, std::string_view text) {
    Impl& n = *impl_;
    SendResult res;
    if (n.quitting) {
        res.status = SendStatus::kShuttingDown;
        return res;
    }
    if (!dst.empty() && dst[0] == '@') dst.remove_prefix(1);
    if (!is_valid_peer_id(dst) || dst == n.self) {
        res.status = SendStatus::kBadDestination;
        return res;
    }
    std::string_view msg_id = make_msg_id(n.rng, res.msg_id);
    int p = n.peers.find(dst);
    Link* direct = p >= 0 ? n.active_link(p) : nullptr;
    bool direct_soon = false;  // a link to it is being made or will be retried
    if (p >= 0) {
        const PeerRecord& r = n.peers.at(p);
        direct_soon = r.link != kNoLink || r.dialing != kNoLink || r.next_attempt != 0;
    }
    // No direct link: through a relay if one of our neighbours can find it.
    bool via_relay =
        !direct && n.relaying() && (n.route_link(dst) != nullptr || n.has_who_has_neighbour(dst));
    if (!direct && !via_relay && !direct_soon) {
        res.status = SendStatus::kNoRoute;
        n.emit_undelivered(msg_id, dst, "no_route");
        return res;
    }
    PeerMessage m;
    m.type = MsgType::kSend;
    m.msg_id = msg_id;
    m.has_msg_id = true;
    m.src = n.self;
    m.dst = dst;
    m.payload = text;
    m.require_ack = true;
    m.ttl = n.cfg.relay_ttl;  // relays a message may still cross (1: direct or one relay)
    std::size_t len = encode_peer_message(m, n.scratch.get(), Impl::kScratchBytes);
    if (len == 0 || len > kMaxLineBytes + 1) {
        res.status = SendStatus::kTooLarge;
        n.emit_undelivered(msg_id, dst, "message_too_large");
        return res;
    }
    std::size_t charge = PendingAcks::charge(len);
    int k = n.user_bytes + charge <= n.cfg.max_user_queue_bytes
                ? n.pending.alloc(msg_id, dst, p, ++n.seq)
                : -1;
    if (k < 0 || !n.pending.at(k).line.append(n.pool, n.scratch.get(), len)) {
        // Only past the user queue's bound (the host stops reading input
        // before that) or with the memory pool spent.
        if (k >= 0) n.pending.release(k, n.pool);
        res.status = SendStatus::kBusy;
        n.emit_undelivered(msg_id, dst, "busy");
        return res;
    }
    PendingSend& ps = n.pending.at(k);
    ps.charge = charge;
    n.user_bytes += charge;
    if (direct) {
        n.flush_pending(p);  // goes now if the window allows, else waits its turn
    } else if (via_relay && n.route_link(dst)) {
        if (!n.transmit(k)) {
            ps.deadline = n.now() + n.cfg.ack_timeout_ms;  // relay link full: retried then
            n.timers.set(n.pending_timer(k), ps.deadline);
        }
    } else if (via_relay) {
        // Ask the neighbours; the SEND goes when a WHO_HAS_HIT names a route.
        n.send_who_has(dst);
        ps.routed = true;
        ps.route_deadline = n.now() + n.cfg.who_has_timeout_ms;
        n.timers.set(n.pending_timer(k), ps.route_deadline);
    } else {
        // The link is being made: the SEND goes when it is up, on the clock.
        ps.deadline = n.now() + n.cfg.ack_timeout_ms;
        n.timers.set(n.pending_timer(k), ps.deadline);
    }
    res.status = SendStatus::kQueued;
    return res;
}

SendResult Node::pub(std::string_view scope, std::string_view text) {
    Impl& n = *impl_;
    SendResult res;
    if (n.quitting) {
        res.status = SendStatus::kShuttingDown;
        return res;
    }
    std::string_view ns;
    bool all = false;
    if (!parse_scope(scope, ns, all)) {
        res.status = SendStatus::kBadDestination;
        return res;
    }
    char dst[kMaxNameBytes + 2];
    std::string_view dst_view = "*";
    if (!all) {
        dst[0] = '#';
        std::memcpy(dst + 1, ns.data(), ns.size());
        dst_view = std::string_view(dst, ns.size() + 1);
    }
    std::string_view msg_id = make_msg_id(n.rng, res.msg_id);
    PeerMessage m;
    m.type = MsgType::kPub;
    m.msg_id = msg_id;
    m.has_msg_id = true;
    m.src = n.self;
    m.dst = dst_view;
    m.payload = text;
    m.require_ack = false;
    m.ttl = n.cfg.relay_ttl;
    std::size_t len = encode_peer_message(m, n.scratch.get(), Impl::kScratchBytes);
    if (len == 0 || len > kMaxLineBytes + 1) {
        res.status = SendStatus::kTooLarge;
        return res;
    }
    // All or nothing: a PUB goes on every in-scope link or on none (kBusy), so
    // the app can hold it and stop reading its input until the links drain,
    // instead of a copy silently missing on the links that were full.
    auto in_scope = [&](int p) -> Link* {
        if (!n.peers.at(p).used || (!all && n.peers.at(p).ns() != ns)) return nullptr;
        return n.active_link(p);
    };
    const OutQueue::Limits lim = n.data_limits();
    const std::size_t chunks_per_copy = len / ChunkPool::kDataBytes + 2;
    std::size_t targets = 0;
    for (std::size_t i = 0; i < n.peers.linked_count(); ++i) {
        Link* l = in_scope(n.peers.linked_at(i));
        if (!l) continue;
        if (!l->out.within(len, lim)) {
            res.status = SendStatus::kBusy;
            return res;
        }
        ++targets;
    }
    if (targets == 0) {
        res.status = SendStatus::kNoRoute;
        return res;
    }
    if (n.pool.available() < targets * chunks_per_copy) {
        res.status = SendStatus::kBusy;
        return res;
    }
    n.seen.check_and_insert(n.self, msg_id, n.now());  // our own PUB coming back is dropped
    for (std::size_t i = 0; i < n.peers.linked_count(); ++i)
        if (Link* l = in_scope(n.peers.linked_at(i)))
            if (n.queue_line(*l, n.scratch.get(), len, false)) ++res.links;
    res.status = SendStatus::kQueued;
    return res;
}

}  // namespace p2p
