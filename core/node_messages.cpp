// Messages: chat traffic on the links — SEND/ACK with retransmission, PUB,
// ERROR — the pending SENDs' clocks, and the user commands that originate
// it: /msg (a SEND with require_ack, direct, through a known route, or after
// asking the neighbours WHO_HAS) and /pub (a PUB on every in-scope link, or
// none).
#include <cstring>

#include "core/civil_time.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/message_rules.h"
#include "core/messages.h"
#include "core/peer_book.h"
#include "core/relay.h"
#include "core/wire_util.h"

namespace p2p {

Messages::Messages(EngineContext& ctx, LinkTable& links, PeerBook& peers, Relay& relay)
    : ctx_(ctx),
      links_(links),
      peers_(peers),
      relay_(relay),
      pending_(PendingAcks::slots_for(ctx.cfg.max_user_queue_bytes)),
      seen_(ctx.cfg.seen_cache_entries, ctx.cfg.seen_cache_age_ms, ctx.cfg.max_links + 1) {}

bool Messages::already_seen(std::string_view origin, std::string_view msg_id, const Link* from) {
    // Each link owns the entries it brought (owner 0: ours), so a link's
    // flood of fresh msg_ids replaces its own entries only (seen_cache.h).
    std::size_t owner = from ? links_.slot_of(*from) + 1 : 0;
    return seen_.check_and_insert(origin, msg_id, ctx_.now(), owner);
}

void Messages::emit_undelivered(std::string_view msg_id, std::string_view to,
                                std::string_view reason) {
    NodeEvent ev;
    ev.kind = EventKind::kUndelivered;
    ev.msg_id = msg_id;
    ev.peer_id = to;
    ev.reason = reason;
    ctx_.emit(ev);
}

void Messages::on_send(Link& l, const PeerMessage& m) {
    if (l.peer < 0) return;
    PeerRecord& r = peers_.at(l.peer);
    if (!src_allowed(l, r, m)) {
        links_.send_error(l, "unauthorized", m.msg_id, "src is not the sending peer");
        return;
    }
    if (!m.dst.empty() && m.dst != ctx_.self) {
        relay_.forward_send(l, m);  // for someone else: the forwarding gate decides
        return;
    }
    std::string_view origin = origin_of(r, m);
    bool dup = m.has_msg_id && already_seen(origin, m.msg_id, &l);
    if (dup) {
        ++ctx_.stats.duplicates;
    } else {
        NodeEvent ev;
        ev.kind = EventKind::kMsg;
        ev.peer_id = origin;
        ev.text = m.payload;
        ev.msg_id = m.msg_id;
        ctx_.emit(ev);
    }
    // Every copy is ACKed: a repeat means our previous ACK was lost.
    if (m.require_ack && m.has_msg_id) {
        PeerMessage ack;
        ack.type = MsgType::kAck;
        ack.msg_id = m.msg_id;
        ack.has_msg_id = true;
        ack.from = ctx_.self;
        ack.timestamp = ctx_.iso_now();
        ack.ttl = 1;
        links_.queue_msg(l, ack, true);
    }
}

void Messages::on_ack(Link& l, const PeerMessage& m) {
    if (!m.has_msg_id) return;  // broken legacy ACK with "" or null msg_id
    int k = pending_.find(m.msg_id);
    if (k >= 0) {
        const PendingSend& ps = pending_.at(k);
        // From the destination itself, or from the relay the copy went through.
        if (ps.tx_link == l.id || (ps.peer >= 0 && ps.peer == l.peer)) finish(k, true, {});
        return;
    }
    // The ACK of a SEND we relayed: pass it back toward its origin.
    if (relay_.pass_back(l, m)) return;
    P2P_DEBUG("Chat", "ACK for unknown msg_id %.*s", static_cast<int>(m.msg_id.size()),
              m.msg_id.data());
}

void Messages::on_pub(Link& l, const PeerMessage& m) {
    if (l.peer < 0) return;
    PeerRecord& r = peers_.at(l.peer);
    if (!src_allowed(l, r, m)) {
        links_.send_error(l, "unauthorized", m.msg_id, "src is not the sending peer");
        return;
    }
    std::string_view ns;
    bool all = false;
    if (!parse_scope(m.dst, ns, all)) {
        links_.send_error(l, "bad_format", m.msg_id, "PUB dst must be * or #namespace");
        return;
    }
    std::string_view origin = origin_of(r, m);
    if (m.has_msg_id && already_seen(origin, m.msg_id, &l)) {
        ++ctx_.stats.duplicates;
        return;
    }
    relay_.flood_pub(l, m, ns, all);
    if (!all && ns != ctx_.self_ns) return;  // not in our scope
    char scope[kMaxNameBytes + 2];
    NodeEvent ev;
    ev.kind = EventKind::kPub;
    ev.scope = scope_text(all, ns, scope);
    ev.peer_id = origin;
    ev.text = m.payload;
    ev.msg_id = m.msg_id;
    ctx_.emit(ev);
}

void Messages::on_error(Link& l, const PeerMessage& m) {
    // Logged, never answered (no ERROR ping-pong). A failure naming one of our
    // pending SENDs ends it with that reason.
    P2P_INFO_LIMITED("Link", "ERRORs received", l.remote_view(), "%s: ERROR %.*s ref=%.*s %.*s",
                     l.remote, static_cast<int>(m.error.size()), m.error.data(),
                     static_cast<int>(m.ref.size()), m.ref.data(),
                     static_cast<int>(m.detail.size()), m.detail.data());
    if (m.ref.empty()) return;
    int k = pending_.find(m.ref);
    if (k < 0) return;
    if (pending_.at(k).tx_link != l.id && pending_.at(k).peer != l.peer) return;
    if (m.error == "no_route" || m.error == "peer_unreachable" || m.error == "message_too_large" ||
        m.error == "unauthorized" || m.error == "relay_not_supported")
        finish(k, false, m.error);
}

bool Messages::transmit(int k) {
    PendingSend& ps = pending_.at(k);
    Link* l = ps.peer >= 0 ? peers_.active_link(ps.peer) : nullptr;
    if (l) {
        ps.routed = false;
    } else if (relay_.on()) {
        l = relay_.route_link(ps.dst_id());
        if (!l) return false;
        ps.routed = true;
    } else {
        return false;
    }
    ps.route_deadline = 0;
    std::size_t n = ps.line.peek(ctx_.scratch.get(), EngineContext::kScratchBytes);
    if (!links_.queue_line(*l, ctx_.scratch.get(), n, false)) return false;
    ++ps.transmissions;
    if (ps.transmissions > 1) ++ctx_.stats.retransmits;
    MonoMs t = ctx_.now();
    ps.last_tx = t;
    ps.tx_link = l->id;
    ps.tx_line = l->lines_queued;
    if (ps.routed) {
        // Through a relay: its link carries others' traffic too, and the
        // copy is found again by route, not by peer; the clock starts now.
        set_clock(k, t + ctx_.cfg.ack_timeout_ms);
    } else {
        // Direct: the ACK clock starts when the host writes the line
        // (written()), not while it waits behind a paced link.
        ps.deadline = 0;
        ctx_.timers.clear(ctx_.slots.pending(k));
    }
    if (ps.transmissions == 1) {
        NodeEvent ev;
        ev.kind = EventKind::kSent;
        ev.msg_id = ps.id();
        ev.peer_id = ps.dst_id();
        ctx_.emit(ev);
    }
    return true;
}

// Pending SENDs to peer p, oldest first: the one after k (k < 0: the first).
// Walks only the SENDs to that peer's id, never the whole table.
int Messages::next_pending_of(int p, int k) const {
    k = k < 0 ? pending_.first_to(peers_.at(p).peer_id()) : pending_.next_to(k);
    while (k >= 0 && pending_.at(k).peer != p)
        k = pending_.next_to(k);
    return k;
}

// Never sent, or its last copy went on a link that is gone: the ACK cannot
// come back that way, so it goes (again) on the current link.
bool Messages::needs_copy(const PendingSend& ps) const {
    if (ps.transmissions == 0) return true;
    const Link* l = links_.find(ps.tx_link);
    return !l || l->state != LinkState::kEstablished;
}

// The peer's SENDs go in submission order, at most a window of them awaiting
// their ACK: one for a legacy peer (it may handle one line per read), the
// configured window for a full peer. The rest wait their turn off the clock.
// Walks at most the window (plus one), so calling it on every write is cheap.
void Messages::flush(int p) {
    Link* l = peers_.active_link(p);
    if (!l) return;
    std::size_t window = l->legacy ? 1 : ctx_.cfg.max_pending_sends;
    std::size_t in_flight = 0;
    for (int k = next_pending_of(p, -1); k >= 0 && in_flight < window; k = next_pending_of(p, k)) {
        PendingSend& ps = pending_.at(k);
        if (ps.routed && ps.transmissions > 0 && !needs_copy(ps)) continue;  // via a relay
        if (needs_copy(ps) && !transmit(k)) return;  // the link's queue is full: on consumed()
        ++in_flight;
    }
}

// Lines of `l` the host has now written: the direct SENDs among them start
// their ACK clock. They are in the peer's window, at the front of its list.
void Messages::written(Link& l) {
    std::size_t window = l.legacy ? 1 : ctx_.cfg.max_pending_sends;
    std::size_t seen_sent = 0;
    MonoMs t = ctx_.now();
    for (int k = next_pending_of(l.peer, -1); k >= 0 && seen_sent <= window;
         k = next_pending_of(l.peer, k)) {
        PendingSend& ps = pending_.at(k);
        if (ps.transmissions == 0) break;  // the rest were never sent
        ++seen_sent;
        if (ps.tx_link != l.id || ps.deadline != 0 || ps.routed) continue;
        if (ps.tx_line > l.lines_written) continue;  // not written yet
        ps.last_tx = t;
        set_clock(k, t + ctx_.cfg.ack_timeout_ms);
    }
}

void Messages::timer_fired(int k) {
    PendingSend& ps = pending_.at(k);
    int p = ps.peer;
    Link* l = p >= 0 ? peers_.active_link(p) : nullptr;
    if (l && !ps.routed && needs_copy(ps)) {
        ps.deadline = 0;  // a live link: it waits its turn, off the clock
        flush(p);
        return;
    }
    if (ps.route_deadline != 0 && ps.transmissions == 0) {
        // WHO_HAS went unanswered: nobody we know can reach it.
        if (!transmit(k)) finish(k, false, "no_route");
        return;
    }
    ++ps.timeouts;
    if (ps.timeouts > ctx_.cfg.ack_retries) {
        const char* why = ps.transmissions == 0                          ? "peer_unreachable"
                          : ps.routed && !relay_.route_link(ps.dst_id()) ? "no_route"
                          : (l || ps.routed)                             ? "ack_timeout"
                                                                         : "peer_unreachable";
        finish(k, false, why);
        return;
    }
    NodeEvent ev;
    ev.kind = EventKind::kAckTimeout;
    ev.msg_id = ps.id();
    ev.peer_id = ps.dst_id();
    ev.retry = ps.timeouts;
    ev.max_retries = ctx_.cfg.ack_retries;
    ctx_.emit(ev);
    if (!transmit(k)) {
        // No link right now (or its queue is full): try again next period;
        // a rebuilt link retransmits at once (flush()). A routed
        // message whose relay went away asks for a route again.
        if (ps.routed && relay_.on() && relay_.has_who_has_neighbour(ps.dst_id()))
            relay_.send_who_has(ps.dst_id());
        set_clock(k, ctx_.now() + ctx_.cfg.ack_timeout_ms);
    }
}

void Messages::finish(int k, bool delivered, std::string_view reason) {
    PendingSend& ps = pending_.at(k);
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
        ev.rtt_ms = ctx_.now() - ps.last_tx;
    } else {
        ev.kind = EventKind::kUndelivered;
        ev.reason = reason;
    }
    ctx_.timers.clear(ctx_.slots.pending(k));
    user_bytes_ -= ps.charge;
    pending_.release(k, ctx_.pool);
    ctx_.emit(ev);
    if (p >= 0) flush(p);  // a legacy peer's next SEND may go now
}

void Messages::set_clock(int k, MonoMs deadline) {
    pending_.at(k).deadline = deadline;
    ctx_.timers.set(ctx_.slots.pending(k), deadline);
}

// Messages waiting their turn behind a legacy in-flight SEND now wait for the
// link to come back, on the ACK clock like the rest.
void Messages::put_waiting_on_clock(int p, MonoMs t) {
    for (int k = next_pending_of(p, -1); k >= 0; k = next_pending_of(p, k)) {
        PendingSend& ps = pending_.at(k);
        if (ps.deadline == 0) set_clock(k, t + ctx_.cfg.ack_timeout_ms);
    }
}

void Messages::fail_waiting(int p, std::string_view reason) {
    for (int k = next_pending_of(p, -1); k >= 0;) {
        int after = next_pending_of(p, k);  // taken before k is released
        if (!pending_.at(k).routed) finish(k, false, reason);
        k = after;
    }
}

void Messages::forget_peer(int p) {
    fail_waiting(p, "peer_unreachable");
    for (int k = next_pending_of(p, -1); k >= 0;) {
        int after = next_pending_of(p, k);
        pending_.at(k).peer = -1;  // routed ones live on without the record
        k = after;
    }
}

bool Messages::fail_routed(std::string_view msg_id, LinkId via, std::string_view reason) {
    int k = pending_.find(msg_id);
    if (k < 0 || pending_.at(k).tx_link != via) return false;
    relay_.forget_route(pending_.at(k).dst_id());
    finish(k, false, reason);
    return true;
}

void Messages::flush_routed(std::string_view dst) {
    for (int k = pending_.first_to(dst); k >= 0; k = pending_.next_to(k)) {
        PendingSend& ps = pending_.at(k);
        if (ps.peer >= 0 && peers_.active_link(ps.peer)) continue;  // direct after all
        if (needs_copy(ps)) transmit(k);
    }
}

// ---- user commands ----------------------------------------------------------------

bool Messages::user_queue_has_room() const {
    std::size_t longest = PendingAcks::charge(kMaxLineBytes + 1);
    // The pool is shared with the links' queues: room there too.
    return user_bytes_ + longest <= ctx_.cfg.max_user_queue_bytes &&
           pending_.size() < pending_.capacity() &&
           ctx_.pool.available() * ChunkPool::kChunkBytes >= longest;
}

SendResult Messages::send(std::string_view dst, std::string_view text) {
    SendResult res;
    if (ctx_.quitting) {
        res.status = SendStatus::kShuttingDown;
        return res;
    }
    if (!dst.empty() && dst[0] == '@') dst.remove_prefix(1);
    if (!is_valid_peer_id(dst) || dst == ctx_.self) {
        res.status = SendStatus::kBadDestination;
        return res;
    }
    std::string_view msg_id = make_msg_id(ctx_.ids, res.msg_id);
    int p = peers_.find(dst);
    Link* direct = p >= 0 ? peers_.active_link(p) : nullptr;
    bool direct_soon = false;  // a link to it is being made or will be retried
    if (p >= 0) {
        const PeerRecord& r = peers_.at(p);
        direct_soon = r.link != kNoLink || r.dialing != kNoLink || r.next_attempt != 0;
    }
    // No direct link: through a relay if one of our neighbours can find it.
    bool via_relay = !direct && relay_.on() &&
                     (relay_.route_link(dst) != nullptr || relay_.has_who_has_neighbour(dst));
    if (!direct && !via_relay && !direct_soon) {
        res.status = SendStatus::kNoRoute;
        emit_undelivered(msg_id, dst, "no_route");
        return res;
    }
    PeerMessage m;
    m.type = MsgType::kSend;
    m.msg_id = msg_id;
    m.has_msg_id = true;
    m.src = ctx_.self;
    m.dst = dst;
    m.payload = text;
    m.require_ack = true;
    m.ttl = ctx_.cfg.relay_ttl;  // relays a message may still cross (1: direct or one relay)
    std::size_t len = encode_peer_message(m, ctx_.scratch.get(), EngineContext::kScratchBytes);
    if (len == 0 || len > kMaxLineBytes + 1) {
        res.status = SendStatus::kTooLarge;
        emit_undelivered(msg_id, dst, "message_too_large");
        return res;
    }
    std::size_t charge = PendingAcks::charge(len);
    int k = user_bytes_ + charge <= ctx_.cfg.max_user_queue_bytes
                ? pending_.alloc(msg_id, dst, p, ++seq_)
                : -1;
    if (k < 0 || !pending_.at(k).line.append(ctx_.pool, ctx_.scratch.get(), len)) {
        // Only past the user queue's bound (the host stops reading input
        // before that) or with the memory pool spent.
        if (k >= 0) pending_.release(k, ctx_.pool);
        res.status = SendStatus::kBusy;
        emit_undelivered(msg_id, dst, "busy");
        return res;
    }
    PendingSend& ps = pending_.at(k);
    ps.charge = charge;
    user_bytes_ += charge;
    if (direct) {
        flush(p);  // goes now if the window allows, else waits its turn
    } else if (via_relay && relay_.route_link(dst)) {
        if (!transmit(k)) {
            set_clock(k, ctx_.now() + ctx_.cfg.ack_timeout_ms);  // relay link full: retried then
        }
    } else if (via_relay) {
        // Ask the neighbours; the SEND goes when a WHO_HAS_HIT names a route.
        relay_.send_who_has(dst);
        ps.routed = true;
        ps.route_deadline = ctx_.now() + ctx_.cfg.who_has_timeout_ms;
        ctx_.timers.set(ctx_.slots.pending(k), ps.route_deadline);
    } else {
        // The link is being made: the SEND goes when it is up, on the clock.
        set_clock(k, ctx_.now() + ctx_.cfg.ack_timeout_ms);
    }
    res.status = SendStatus::kQueued;
    return res;
}

SendResult Messages::pub(std::string_view scope, std::string_view text) {
    SendResult res;
    if (ctx_.quitting) {
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
    std::string_view dst_view = scope_text(all, ns, dst);
    std::string_view msg_id = make_msg_id(ctx_.ids, res.msg_id);
    PeerMessage m;
    m.type = MsgType::kPub;
    m.msg_id = msg_id;
    m.has_msg_id = true;
    m.src = ctx_.self;
    m.dst = dst_view;
    m.payload = text;
    m.require_ack = false;
    m.ttl = ctx_.cfg.relay_ttl;
    std::size_t len = encode_peer_message(m, ctx_.scratch.get(), EngineContext::kScratchBytes);
    if (len == 0 || len > kMaxLineBytes + 1) {
        res.status = SendStatus::kTooLarge;
        return res;
    }
    // All or nothing: a PUB goes on every in-scope link or on none (kBusy), so
    // the app can hold it and stop reading its input until the links drain,
    // instead of a copy silently missing on the links that were full.
    auto in_scope = [&](int p) -> Link* {
        if (!peers_.at(p).used || (!all && peers_.at(p).ns() != ns)) return nullptr;
        Link* l = peers_.active_link(p);
        return l && relay_.gate().may_send_to(Forward::kPub, nullptr, *l) ? l : nullptr;
    };
    const OutQueue::Limits lim = links_.data_limits();
    const std::size_t chunks_per_copy = len / ChunkPool::kDataBytes + 2;
    std::size_t targets = 0;
    for (std::size_t i = 0; i < peers_.linked_count(); ++i) {
        Link* l = in_scope(peers_.linked_at(i));
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
    if (ctx_.pool.available() < targets * chunks_per_copy) {
        res.status = SendStatus::kBusy;
        return res;
    }
    already_seen(ctx_.self, msg_id, nullptr);  // our own PUB coming back is dropped
    for (std::size_t i = 0; i < peers_.linked_count(); ++i)
        if (Link* l = in_scope(peers_.linked_at(i)))
            if (links_.queue_line(*l, ctx_.scratch.get(), len, false)) ++res.links;
    res.status = SendStatus::kQueued;
    return res;
}

}  // namespace p2p
