// LinkLife: one link's life after its slot is taken — the timer,
// keep-alive, BYE, and the ways a link ends. The handshake is in
// node_handshake.cpp, the dispatch of its lines in node_inbound.cpp.
#include <algorithm>

#include "core/civil_time.h"
#include "core/flow.h"
#include "core/link_life.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/messages.h"
#include "core/peer_book.h"
#include "core/relay.h"
#include "core/wire_util.h"

namespace p2p {

LinkLife::LinkLife(EngineContext& ctx, LinkTable& links, PeerBook& peers, Messages& messages,
                   Relay& relay, Flow& flow)
    : ctx_(ctx), links_(links), peers_(peers), messages_(messages), relay_(relay), flow_(flow) {}

void LinkLife::timer_fired(Link& l) {
    MonoMs t = ctx_.now();
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
                 l.peer >= 0 ? peers_.at(l.peer).id : l.remote);
        close_now(l, "dead: duplicate-link probe unanswered", false);
        return;
    }
    if (l.state == LinkState::kEstablished && l.next_ping <= t) {
        keepalive(l);
        if (!l.used || l.state != LinkState::kEstablished) return;
    }
    if (l.legacy && !l.out.empty() && l.write_ready_at <= t) ctx_.host.want_write(l.id);
    if (l.read_paused && l.resume_at <= t) {
        flow_.try_resume(l);
        if (!l.used) return;
    }
    links_.rearm(l);
}

void LinkLife::keepalive(Link& l) {
    if (l.missed >= ctx_.cfg.max_missed_pongs) {
        P2P_WARN_LIMITED("KeepAlive", "links dead (PINGs unanswered)", l.remote_host(),
                         "%s: %d PINGs without PONG: link dead",
                         l.peer >= 0 ? peers_.at(l.peer).id : l.remote, l.missed);
        begin_close(l, "keep-alive timeout", "dead: PINGs unanswered", false, true);
        return;
    }
    MonoMs t = ctx_.now();
    if (l.legacy && !l.ping_postponed && (t < l.write_ready_at || !l.out.empty())) {
        // Paced link busy: a PING queued now would wait, and its RTT would
        // measure our own pacing. Send it when the link is free — but only
        // once per period, so a peer that stops reading is still found dead.
        l.ping_postponed = true;
        l.next_ping = std::max(l.write_ready_at, t + ctx_.cfg.legacy_write_gap_ms);
        return;
    }
    l.ping_postponed = false;
    send_ping(l);
    ++l.missed;
    l.next_ping = t + ctx_.cfg.ping_interval_ms;
}

bool LinkLife::send_ping(Link& l) {
    char id[kMsgIdBytes];
    PeerMessage ping;
    ping.type = MsgType::kPing;
    ping.msg_id = make_msg_id(ctx_.ids, id);
    ping.has_msg_id = true;
    ping.timestamp = ctx_.iso_now();
    ping.ttl = 1;
    if (!links_.queue_msg(l, ping, true)) return false;
    l.pings[l.ping_next] = Link::Ping{SeenCache::hash(ping.msg_id), ctx_.now()};
    l.ping_next = (l.ping_next + 1) % Link::kPings;
    return true;
}

void LinkLife::on_pong(Link& l, const PeerMessage& m) {
    if (!m.has_msg_id || l.peer < 0) return;
    std::uint64_t h = SeenCache::hash(m.msg_id);
    for (Link::Ping& p : l.pings) {
        if (p.at == 0 || p.hash != h) continue;
        std::int64_t rtt = ctx_.now() - p.at;
        p = Link::Ping{0, 0};
        l.missed = 0;
        l.probe_deadline = 0;  // it answers: a duplicate HELLO was an impostor
        PeerRecord& r = peers_.at(l.peer);
        if (r.link != l.id) return;  // a spare link's RTT says nothing of the one we use
        r.add_rtt(rtt, ctx_.cfg.rtt_samples);
        P2P_DEBUG("KeepAlive", "PONG from %s: RTT %lld ms | Average RTT = %.1f ms", r.id,
                  static_cast<long long>(rtt), r.rtt_mean());
        return;
    }
}

void LinkLife::detach(Link& l, const char* why, bool penalize) {
    if (l.detached) return;
    l.detached = true;
    relay_.forget_via(l.id);
    if (l.established_at != 0) links_.emit_link(l, false, why ? why : "closed");
    if (l.peer < 0) return;
    int p = l.peer;
    PeerRecord& r = peers_.at(p);
    if (!r.used) return;
    if (r.dialing == l.id) r.dialing = kNoLink;
    if (r.link == l.id) {
        peers_.set_link(p, kNoLink);
        for (Link& o : links_.all()) {
            if (o.used && &o != &l && o.peer == p && o.state == LinkState::kEstablished &&
                !o.detached) {
                peers_.set_link(p, o.id);
                P2P_INFO_LIMITED("Link", "traffic moved to another link", r.peer_id(),
                                 "%s: traffic moves to its other (%s) link", r.id,
                                 link_direction_name(o.dir));
                messages_.flush(p);
                return;
            }
        }
    } else if (r.link != kNoLink) {
        return;  // a spare link or a dial that lost the race: the peer is fine
    }
    if (r.dialing != kNoLink) {
        peers_.set_state(p, PeerState::kConnecting, why ? why : "closed");
        return;
    }
    if (l.got_reject) r.rejected = true;
    peers_.lost(p, why ? why : "closed", penalize,
                l.dir == LinkDirection::kOutbound && l.established_at == 0);
}

void LinkLife::begin_close(Link& l, std::string_view bye_reason, const char* why, bool await_bye_ok,
                           bool penalize) {
    if (l.state == LinkState::kClosing) return;
    char id[kMsgIdBytes];
    PeerMessage bye;
    bye.type = MsgType::kBye;
    bye.msg_id = make_msg_id(ctx_.ids, id);
    bye.has_msg_id = true;
    bye.src = ctx_.self;
    if (l.peer >= 0) bye.dst = peers_.at(l.peer).peer_id();
    bye.reason = bye_reason;
    bye.ttl = 1;
    links_.queue_msg(l, bye, true);
    detach(l, why, penalize);  // after the BYE is built: detaching may forget the peer
    l.state = LinkState::kClosing;
    l.await_bye_ok = await_bye_ok;
    l.close_deadline = ctx_.now() + ctx_.cfg.close_grace_ms;
    if (!await_bye_ok && l.out.empty()) {
        close_now(l, nullptr, false);
        return;
    }
    links_.rearm(l);
}

void LinkLife::close_after_flush(Link& l, const char* why, bool penalize) {
    if (l.state == LinkState::kClosing) return;
    detach(l, why, penalize);
    l.state = LinkState::kClosing;
    l.await_bye_ok = false;
    l.close_deadline = ctx_.now() + ctx_.cfg.close_grace_ms;
    if (l.out.empty()) {
        close_now(l, nullptr, false);
        return;
    }
    links_.rearm(l);
}

void LinkLife::close_now(Link& l, const char* why, bool penalize) {
    ctx_.host.close_link(l.id);
    release(l, why, penalize);
}

void LinkLife::release(Link& l, const char* why, bool penalize) {
    detach(l, why, penalize);
    flow_.closed(l);
    links_.free(l);
    if (ctx_.quitting) quit_when_closed();
}

void LinkLife::on_bye(Link& l, const PeerMessage& m) {
    PeerMessage ok;
    ok.type = MsgType::kByeOk;
    ok.msg_id = m.msg_id;
    ok.has_msg_id = m.has_msg_id;
    ok.src = ctx_.self;
    if (l.peer >= 0) ok.dst = peers_.at(l.peer).peer_id();
    ok.ttl = 1;
    links_.queue_msg(l, ok, true);
    // BYE "duplicate" closes a spare link only; any other BYE on the link we
    // use means the peer left: no redial until it registers again.
    bool duplicate = m.reason == "duplicate";
    if (!duplicate && l.peer >= 0 && peers_.at(l.peer).link == l.id)
        peers_.at(l.peer).said_bye = true;
    if (l.state != LinkState::kClosing) {
        detach(l, duplicate ? "duplicate" : "bye", false);
        l.state = LinkState::kClosing;
        l.close_deadline = ctx_.now() + ctx_.cfg.close_grace_ms;
    }
    l.await_bye_ok = false;  // they close too; flushing our BYE_OK is enough
    if (l.out.empty()) {
        close_now(l, nullptr, false);
        return;
    }
    links_.rearm(l);
}

void LinkLife::on_ping(Link& l, const PeerMessage& m) {
    PeerMessage pong;
    pong.type = MsgType::kPong;
    pong.msg_id = m.msg_id;
    pong.has_msg_id = m.has_msg_id;
    pong.timestamp = ctx_.iso_now();
    pong.ttl = 1;
    links_.queue_msg(l, pong, true);
}

void LinkLife::on_bye_ok(Link& l) {
    if (l.state == LinkState::kClosing && l.await_bye_ok) close_now(l, nullptr, false);
}

void LinkLife::on_late_reject(Link& l) {
    // Some deployed peers send this after HELLO_OK and then close:
    // "already connected". Remember it so the close costs no backoff.
    l.got_reject = true;
    P2P_INFO_LIMITED("Link", "HELLO_REJECTs after HELLO_OK", l.remote_host(),
                     "%s: HELLO_REJECT (already connected)", l.remote);
}

void LinkLife::quit(std::string_view reason) {
    if (ctx_.quitting) return;
    ctx_.quitting = true;
    P2P_INFO("Node", "quitting: BYE on %zu link(s)", links_.open());
    for (Link& l : links_.all()) {
        if (!l.used) continue;
        if (l.state == LinkState::kEstablished)
            begin_close(l, reason, "quit", true, false);
        else if (l.state != LinkState::kClosing)
            close_now(l, "quit", false);
    }
    quit_when_closed();
}

void LinkLife::quit_when_closed() {
    if (links_.open() == 0 && !quit_done_) {
        quit_done_ = true;
        ctx_.host.quit_complete();
    }
}

}  // namespace p2p
