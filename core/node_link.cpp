// Node: one link's life — slots, framing, keep-alive, close. The handshake
// is in node_handshake.cpp.
#include <algorithm>
#include <cstring>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/node_impl.h"

namespace p2p {

namespace {
constexpr std::uint32_t kSlotBits = 20;
constexpr std::uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr std::uint16_t kGenMask = 0xFFF;

bool handshaking(const Link& l) {
    return l.state == LinkState::kDialing || l.state == LinkState::kAwaitHello ||
           l.state == LinkState::kAwaitHelloOk;
}
}  // namespace

Link* Node::Impl::find_link(LinkId id) {
    return const_cast<Link*>(static_cast<const Impl*>(this)->find_link(id));
}

const Link* Node::Impl::find_link(LinkId id) const {
    if (id == kNoLink) return nullptr;
    std::size_t slot = (id & kSlotMask) - 1;
    if (slot >= links.size()) return nullptr;
    const Link& l = link_at(slot);
    return (l.used && l.id == id) ? &l : nullptr;
}

Link* Node::Impl::alloc_link(LinkDirection dir, std::string_view remote) {
    MonoMs hs_timeout = cfg.handshake_timeout_ms;
    if (!make_room_for_link(dir, remote, &hs_timeout) || free_links.empty()) return nullptr;
    int slot = free_links.back();
    free_links.pop_back();
    Link& l = link_at(static_cast<std::size_t>(slot));
    l.gen = static_cast<std::uint16_t>((l.gen + 1) & kGenMask);
    if (l.gen == 0) l.gen = 1;
    l.id = (static_cast<LinkId>(l.gen) << kSlotBits) | static_cast<LinkId>(slot + 1);
    l.used = true;
    l.state = dir == LinkDirection::kOutbound ? LinkState::kDialing : LinkState::kAwaitHello;
    l.dir = dir;
    l.peer = -1;
    std::size_t n = std::min(remote.size(), sizeof l.remote - 1);
    std::memcpy(l.remote, remote.data(), n);
    l.remote[n] = '\0';
    l.remote_len = static_cast<std::uint8_t>(n);
    l.version[0] = '\0';
    l.features = 0;
    l.legacy = true;
    l.detached = false;
    l.await_bye_ok = false;
    l.got_reject = false;
    l.framer.reset();
    l.opened_at = now();
    l.established_at = 0;
    l.hs_deadline = now() + hs_timeout;
    l.next_ping = 0;
    l.close_deadline = 0;
    l.write_ready_at = 0;
    l.probe_deadline = 0;
    l.lines_queued = 0;
    l.lines_written = 0;
    l.lines_in = 0;
    l.echo = false;
    l.missed = 0;
    l.ping_postponed = false;
    for (Link::Ping& p : l.pings)
        p = Link::Ping{0, 0};
    l.ping_next = 0;
    l.read_paused = false;
    l.blocked_by = kNoLink;
    l.resume_at = 0;
    l.full_since = 0;
    l.slow = false;
    l.dropped = 0;
    l.relay_rate.reset();
    ++open_links;
    return &l;
}

void Node::Impl::free_slot(Link& l) {
    std::size_t slot = static_cast<std::size_t>(&l - links.data());
    flow_closed(l);
    timers.clear(link_timer(slot));
    l.out.clear(pool);
    l.framer.reset();
    l.used = false;
    --open_links;
    // A slot freed while its own bytes are being parsed is recycled only
    // after feed() returns, so the framer is never reused mid-parse.
    if (feeding_slot == static_cast<int>(slot))
        feeding_released = true;
    else
        free_links.push_back(static_cast<int>(slot));
}

void Node::Impl::rearm_link(Link& l) {
    std::size_t slot = static_cast<std::size_t>(&l - links.data());
    MonoMs t = Node::kNoDeadline;
    if (handshaking(l)) t = std::min(t, l.hs_deadline);
    if (l.state == LinkState::kEstablished) t = std::min(t, l.next_ping);
    if (l.state == LinkState::kClosing) t = std::min(t, l.close_deadline);
    if (l.legacy && !l.out.empty() && l.write_ready_at > now()) t = std::min(t, l.write_ready_at);
    if (l.probe_deadline != 0) t = std::min(t, l.probe_deadline);
    if (l.read_paused) t = std::min(t, l.resume_at);
    if (t == Node::kNoDeadline)
        timers.clear(link_timer(slot));
    else
        timers.set(link_timer(slot), t);
}

void Node::Impl::link_timer_fired(Link& l) {
    MonoMs t = now();
    if (handshaking(l) && l.hs_deadline <= t) {
        P2P_INFO_LIMITED("Link", "connections closed without a handshake", l.remote_host(),
                         "%s: no handshake in time, closing", l.remote);
        close_now(l, "handshake timeout", true);
        return;
    }
    if (l.state == LinkState::kClosing && l.close_deadline <= t) {
        close_now(l, nullptr, false);
        return;
    }
    if (l.state == LinkState::kEstablished && l.probe_deadline != 0 && l.probe_deadline <= t) {
        // A HELLO claimed this peer's id and was refused; this link did not
        // answer the PING sent then: it is dead and the next claimant may link.
        P2P_WARN("Link", "%s: no PONG to the duplicate-link probe: link dead",
                 l.peer >= 0 ? peers.at(l.peer).id : l.remote);
        close_now(l, "dead: duplicate-link probe unanswered", false);
        return;
    }
    if (l.state == LinkState::kEstablished && l.next_ping <= t) {
        keepalive(l);
        if (!l.used || l.state != LinkState::kEstablished) return;
    }
    if (l.legacy && !l.out.empty() && l.write_ready_at <= t) host.want_write(l.id);
    if (l.read_paused && l.resume_at <= t) {
        try_resume(l);
        if (!l.used) return;
    }
    rearm_link(l);
}

void Node::Impl::feed(Link& l, char* data, std::size_t len) {
    int slot = static_cast<int>(&l - links.data());
    LinkId id = l.id;
    feeding_slot = slot;
    feeding_released = false;
    // A paused link's lines stay in its framer (backpressure, node_flow.cpp).
    l.framer.feed_gated(
        data, len, [&] { return !l.read_paused; },
        [&](LineFramer::Event ev, char* line, std::size_t n) { on_framed(l, id, ev, line, n); });
    feeding_slot = -1;
    if (feeding_released) free_links.push_back(slot);
}

void Node::Impl::on_framed(Link& l, LinkId id, LineFramer::Event ev, char* line, std::size_t n) {
    if (!l.used || l.id != id) return;  // closed by an earlier line of this read
    if (ev == LineFramer::Event::kTooLong) {
        ++stats.bad_lines;
        send_error(l, "line_too_long", {}, {});
        if (handshaking(l)) close_after_flush(l, "line too long before handshake", true);
        return;
    }
    handle_line(l, line, n);
}

void Node::Impl::handle_line(Link& l, char* line, std::size_t len) {
    if (len == 0) return;  // empty lines are ignored on peer links
    ++stats.lines_in;
    if (l.peer >= 0 && l.state == LinkState::kEstablished) {
        PeerRecord& r = peers.at(l.peer);
        ++r.recv;
        r.last_seen = now();
        ++l.lines_in;
    }
    if (watch) {
        NodeEvent ev;
        ev.kind = EventKind::kWire;
        ev.link = l.id;
        ev.direction = l.dir;
        ev.outgoing = false;
        if (l.peer >= 0) ev.peer_id = peers.at(l.peer).peer_id();
        ev.line = std::string_view(line, len);
        emit(ev);
    }
    PeerMessage m;
    DecodeResult d = decode_peer_message(line, len, arena, m);
    if (!d.ok()) {
        ++stats.bad_lines;
        P2P_DEBUG("Link", "%s: bad line: %.*s", l.remote, static_cast<int>(d.detail.size()),
                  d.detail.data());
        send_error(l, "bad_format", {}, d.detail);
        if (handshaking(l)) close_after_flush(l, "bad line before handshake", true);
        return;
    }
    if (handshaking(l))
        handle_before_handshake(l, m);
    else
        handle_established(l, m);
}

void Node::Impl::keepalive(Link& l) {
    if (l.missed >= cfg.max_missed_pongs) {
        P2P_WARN_LIMITED("KeepAlive", "links dead (PINGs unanswered)", l.remote_host(),
                         "%s: %d PINGs without PONG: link dead",
                         l.peer >= 0 ? peers.at(l.peer).id : l.remote, l.missed);
        begin_close(l, "keep-alive timeout", "dead: PINGs unanswered", false, true);
        return;
    }
    MonoMs t = now();
    if (l.legacy && !l.ping_postponed && (t < l.write_ready_at || !l.out.empty())) {
        // Paced link busy: a PING queued now would wait, and its RTT would
        // measure our own pacing. Send it when the link is free — but only
        // once per period, so a peer that stops reading is still found dead.
        l.ping_postponed = true;
        l.next_ping = std::max(l.write_ready_at, t + cfg.legacy_write_gap_ms);
        return;
    }
    l.ping_postponed = false;
    send_ping(l);
    ++l.missed;
    l.next_ping = t + cfg.ping_interval_ms;
}

bool Node::Impl::send_ping(Link& l) {
    char id[kMsgIdBytes];
    char ts[kIsoTimeBytes];
    PeerMessage ping;
    ping.type = MsgType::kPing;
    ping.msg_id = make_msg_id(rng, id);
    ping.has_msg_id = true;
    ping.timestamp = format_iso8601(clock.wall_ms(), ts);
    ping.ttl = 1;
    if (!queue_msg(l, ping, true)) return false;
    l.pings[l.ping_next] = Link::Ping{SeenCache::hash(ping.msg_id), now()};
    l.ping_next = (l.ping_next + 1) % Link::kPings;
    return true;
}

void Node::Impl::on_pong(Link& l, const PeerMessage& m) {
    if (!m.has_msg_id || l.peer < 0) return;
    std::uint64_t h = SeenCache::hash(m.msg_id);
    for (Link::Ping& p : l.pings) {
        if (p.at == 0 || p.hash != h) continue;
        std::int64_t rtt = now() - p.at;
        p = Link::Ping{0, 0};
        l.missed = 0;
        l.probe_deadline = 0;  // it answers: a duplicate HELLO was an impostor
        PeerRecord& r = peers.at(l.peer);
        if (r.link != l.id) return;  // a spare link's RTT says nothing of the one we use
        r.add_rtt(rtt, cfg.rtt_samples);
        P2P_DEBUG("KeepAlive", "PONG from %s: RTT %lld ms | Average RTT = %.1f ms", r.id,
                  static_cast<long long>(rtt), r.rtt_mean());
        return;
    }
}

void Node::Impl::handle_established(Link& l, const PeerMessage& m) {
    switch (m.type) {
        case MsgType::kPing: {
            char ts[kIsoTimeBytes];
            PeerMessage pong;
            pong.type = MsgType::kPong;
            pong.msg_id = m.msg_id;
            pong.has_msg_id = m.has_msg_id;
            pong.timestamp = format_iso8601(clock.wall_ms(), ts);
            pong.ttl = 1;
            queue_msg(l, pong, true);
            return;
        }
        case MsgType::kPong:
            on_pong(l, m);
            return;
        case MsgType::kSend:
            on_send(l, m);
            return;
        case MsgType::kAck:
            on_ack(l, m);
            return;
        case MsgType::kPub:
            on_pub(l, m);
            return;
        case MsgType::kBye:
            on_bye(l, m);
            return;
        case MsgType::kByeOk:
            if (l.state == LinkState::kClosing && l.await_bye_ok) close_now(l, nullptr, false);
            return;
        case MsgType::kError:
            on_error(l, m);
            return;
        case MsgType::kHelloReject:
            // Some deployed peers send this after HELLO_OK and then close:
            // "already connected". Remember it so the close costs no backoff.
            l.got_reject = true;
            P2P_INFO_LIMITED("Link", "HELLO_REJECTs after HELLO_OK", l.remote_host(),
                             "%s: HELLO_REJECT (already connected)", l.remote);
            return;
        case MsgType::kHello:
        case MsgType::kHelloOk:
            P2P_DEBUG("Link", "%s: repeated handshake ignored", l.remote);
            return;
        case MsgType::kWhoHas:
            on_who_has(l, m);
            return;
        case MsgType::kWhoHasHit:
            on_who_has_hit(l, m);
            return;
        case MsgType::kRelayOk:
        case MsgType::kRelayFail:
        case MsgType::kTtlExpired:
            on_relay_answer(l, m);
            return;
        case MsgType::kMetricsReq:
            on_metrics_req(l, m);
            return;
        case MsgType::kMetrics:
            on_metrics(l, m);
            return;
        case MsgType::kUnknown:
            ++stats.bad_lines;
            send_error(l, "p2p_unknown_command", m.msg_id, m.type_name);
            return;
    }
}

void Node::Impl::detach(Link& l, const char* why, bool penalize) {
    if (l.detached) return;
    l.detached = true;
    routes.forget_via(l.id);
    if (l.established_at != 0) emit_link(l, false, why ? why : "closed");
    if (l.peer < 0) return;
    int p = l.peer;
    PeerRecord& r = peers.at(p);
    if (!r.used) return;
    if (r.dialing == l.id) r.dialing = kNoLink;
    if (r.link == l.id) {
        peers.set_link(p, kNoLink);
        for (Link& o : links) {
            if (o.used && &o != &l && o.peer == p && o.state == LinkState::kEstablished &&
                !o.detached) {
                peers.set_link(p, o.id);
                P2P_INFO_LIMITED("Link", "traffic moved to another link", r.peer_id(),
                                 "%s: traffic moves to its other (%s) link", r.id,
                                 link_direction_name(o.dir));
                flush_pending(p);
                return;
            }
        }
    } else if (r.link != kNoLink) {
        return;  // a spare link or a dial that lost the race: the peer is fine
    }
    if (r.dialing != kNoLink) {
        set_state(p, PeerState::kConnecting, why ? why : "closed");
        return;
    }
    if (l.got_reject) r.rejected = true;
    peer_lost(p, why ? why : "closed", penalize);
}

void Node::Impl::begin_close(Link& l, std::string_view bye_reason, const char* why,
                             bool await_bye_ok, bool penalize) {
    if (l.state == LinkState::kClosing) return;
    char id[kMsgIdBytes];
    PeerMessage bye;
    bye.type = MsgType::kBye;
    bye.msg_id = make_msg_id(rng, id);
    bye.has_msg_id = true;
    bye.src = self;
    if (l.peer >= 0) bye.dst = peers.at(l.peer).peer_id();
    bye.reason = bye_reason;
    bye.ttl = 1;
    queue_msg(l, bye, true);
    detach(l, why, penalize);  // after the BYE is built: detaching may forget the peer
    l.state = LinkState::kClosing;
    l.await_bye_ok = await_bye_ok;
    l.close_deadline = now() + cfg.close_grace_ms;
    if (!await_bye_ok && l.out.empty()) {
        close_now(l, nullptr, false);
        return;
    }
    rearm_link(l);
}

void Node::Impl::close_after_flush(Link& l, const char* why, bool penalize) {
    if (l.state == LinkState::kClosing) return;
    detach(l, why, penalize);
    l.state = LinkState::kClosing;
    l.await_bye_ok = false;
    l.close_deadline = now() + cfg.close_grace_ms;
    if (l.out.empty()) {
        close_now(l, nullptr, false);
        return;
    }
    rearm_link(l);
}

void Node::Impl::close_now(Link& l, const char* why, bool penalize) {
    host.close_link(l.id);
    release(l, why, penalize);
}

void Node::Impl::release(Link& l, const char* why, bool penalize) {
    detach(l, why, penalize);
    free_slot(l);
    if (quitting && open_links == 0 && !quit_done) {
        quit_done = true;
        host.quit_complete();
    }
}

// Data stops 4 KiB and up to 16 messages short of the queue's end, so control
// messages (PONG, ACK, BYE, errors) always find room.
OutQueue::Limits Node::Impl::data_limits() const {
    OutQueue::Limits lim{cfg.queue_max_bytes, cfg.queue_max_msgs};
    lim.max_bytes -= std::min(lim.max_bytes, cfg.control_reserve_bytes);
    lim.max_msgs -= std::min<std::size_t>(lim.max_msgs / 8, 16);
    return lim;
}

bool Node::Impl::queue_line(Link& l, const char* line, std::size_t len, bool control) {
    OutQueue::Limits lim =
        control ? OutQueue::Limits{cfg.queue_max_bytes, cfg.queue_max_msgs} : data_limits();
    if (!l.out.push(pool, line, len, lim)) {
        if (control) {
            ++stats.dropped_out;
            P2P_WARN_LIMITED("Link", "control messages dropped (outgoing queue full)",
                             l.remote_view(), "%s: outgoing queue full, control message dropped",
                             l.remote);
        }
        return false;
    }
    ++stats.lines_out;
    ++l.lines_queued;
    if (l.peer >= 0) ++peers.at(l.peer).sent;
    if (watch) {
        NodeEvent ev;
        ev.kind = EventKind::kWire;
        ev.link = l.id;
        ev.direction = l.dir;
        ev.outgoing = true;
        if (l.peer >= 0) ev.peer_id = peers.at(l.peer).peer_id();
        ev.line = std::string_view(line, len > 0 ? len - 1 : 0);
        emit(ev);
    }
    signal_write(l);
    return true;
}

bool Node::Impl::queue_msg(Link& l, const PeerMessage& m, bool control) {
    std::size_t n = encode_peer_message(m, scratch.get(), kScratchBytes);
    if (n == 0 || n > kMaxLineBytes + 1) {
        P2P_ERROR("Link", "could not encode a %s line", msg_type_name(m.type).data());
        return false;
    }
    return queue_line(l, scratch.get(), n, control);
}

void Node::Impl::send_error(Link& l, std::string_view code, std::string_view ref,
                            std::string_view detail) {
    PeerMessage e;
    e.type = MsgType::kError;
    e.error = code;
    e.ref = ref;
    e.detail = detail;
    if (code == "line_too_long") e.limit = static_cast<std::int64_t>(kMaxLineBytes);
    e.ttl = 1;
    queue_msg(l, e, true);
}

void Node::Impl::signal_write(Link& l) {
    if (l.state == LinkState::kDialing) return;
    if (l.legacy && now() < l.write_ready_at) {
        rearm_link(l);
        return;
    }
    host.want_write(l.id);
}

void Node::Impl::emit_link(const Link& l, bool up, std::string_view reason) {
    NodeEvent ev;
    ev.kind = EventKind::kLink;
    ev.link = l.id;
    ev.up = up;
    ev.direction = l.dir;
    ev.reason = reason;
    if (l.peer >= 0) ev.peer_id = peers.at(l.peer).peer_id();
    emit(ev);
}

}  // namespace p2p
