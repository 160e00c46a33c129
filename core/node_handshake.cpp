// Node: the handshake — HELLO / HELLO_OK, the GREASE echo check, and the
// rules for a second link to a peer (docs/protocol.md §4 "Handshake",
// "Duplicate links", "Living with peers...").
#include <algorithm>
#include <cstring>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/node_impl.h"

namespace p2p {

namespace {

std::string_view remote_host(const Link& l) {
    std::string_view r = l.remote_view();
    return r.substr(0, r.rfind(':'));
}

// Two links to one peer that look like two honest dials crossing: the
// established one has carried nothing yet, and both come from one host.
bool simultaneous_dial(const Link& established, const Link& newcomer) {
    return established.lines_in == 0 && remote_host(established) == remote_host(newcomer);
}

}  // namespace

// What a HELLO / HELLO_OK tells of the link: the features both sides have
// (less `relay` from a peer that echoes our GREASE token) and the version.
void Node::Impl::take_handshake(Link& l, const PeerMessage& m) {
    l.features = m.features & cfg.features;
    std::size_t vn = std::min(m.version.size(), sizeof l.version - 1);
    std::memcpy(l.version, m.version.data(), vn);
    l.version[vn] = '\0';
    echoes_us(l, m);
}

void Node::Impl::handle_before_handshake(Link& l, const PeerMessage& m) {
    if (m.type == MsgType::kError) {
        P2P_INFO_LIMITED("Link", "ERRORs before a handshake", l.remote_host(),
                         "%s: ERROR %.*s before handshake, closing", l.remote,
                         static_cast<int>(m.error.size()), m.error.data());
        close_now(l, "error before handshake", true);
        return;
    }
    if (l.dir == LinkDirection::kInbound) {
        if (m.type == MsgType::kHello) {
            accept_hello(l, m);
            return;
        }
    } else if (m.type == MsgType::kHelloOk) {
        if (!is_valid_peer_id(m.peer_id) || m.peer_id == self) {
            send_error(l, "bad_format", m.msg_id,
                       m.peer_id == self ? "that is our own peer_id" : "bad peer_id");
            close_after_flush(l, m.peer_id == self ? "loop to ourselves" : "bad HELLO_OK", true);
            return;
        }
        take_handshake(l, m);
        int p = learn_peer(l, m.peer_id);
        if (p < 0) {
            close_now(l, "peer table full", false);
            return;
        }
        establish(l, p);
        return;
    } else if (m.type == MsgType::kHelloReject) {
        l.got_reject = true;
        close_now(l, "rejected: already connected", false);
        return;
    }
    P2P_INFO_LIMITED("Link", "messages before a handshake", l.remote_host(),
                     "%s: %.*s before the handshake: closing", l.remote,
                     static_cast<int>(m.type_name.size()), m.type_name.data());
    send_error(l, "bad_format", m.msg_id, "handshake first");
    close_after_flush(l, "message before handshake", true);
}

bool Node::Impl::accept_hello(Link& l, const PeerMessage& m) {
    if (!is_valid_peer_id(m.peer_id) || m.peer_id == self) {
        bool own = m.peer_id == self;
        send_error(l, "bad_format", m.msg_id, own ? "that is our own peer_id" : "bad peer_id");
        close_after_flush(l, own ? "loop to ourselves" : "bad HELLO", !own);
        return false;
    }
    if (refuse_duplicate(l, peers.find(m.peer_id))) return false;
    take_handshake(l, m);
    int p = learn_peer(l, m.peer_id);
    if (p < 0) {
        send_error(l, "busy", m.msg_id, "peer table full");
        close_after_flush(l, "peer table full", false);
        return false;
    }
    PeerMessage ok;
    ok.type = MsgType::kHelloOk;
    ok.peer_id = self;
    ok.version = cfg.version;
    ok.features = l.features;
    ok.ttl = 1;
    queue_msg(l, ok, true);
    establish(l, p);
    return true;
}

void Node::Impl::establish(Link& l, int p) {
    PeerRecord& r = peers.at(p);
    MonoMs t = now();
    l.peer = p;
    l.state = LinkState::kEstablished;
    l.established_at = t;
    l.next_ping = t + cfg.ping_interval_ms;
    l.legacy = l.echo || (l.features & kFeatureRelay) == 0;
    // A legacy peer may read only the first line of a recv(): give it a pause
    // after the handshake before our first message. (The acceptor's pause
    // starts when its HELLO_OK is written: see consumed().)
    if (l.legacy && l.dir == LinkDirection::kOutbound)
        l.write_ready_at = std::max(l.write_ready_at, t + cfg.legacy_first_write_delay_ms);
    if (r.dialing == l.id) r.dialing = kNoLink;
    r.said_bye = false;
    r.rejected = false;
    emit_link(l, true, {});
    // The event is what the user sees (console, --json); the log keeps the
    // detail at DEBUG only, so a terminal does not show it twice.
    P2P_DEBUG("Link", "%s %s link up (%s, %s)", r.id, link_direction_name(l.dir), l.remote,
              l.legacy ? "legacy" : "relay");

    Link* cur = find_link(r.link);
    if (!cur || cur == &l) {
        peers.set_link(p, l.id);
        r.attempts = 0;
        r.next_attempt = 0;
        timers.clear(peer_timer(p));
        set_state(p, PeerState::kConnected, {});
    } else {
        // Two links to one peer (simultaneous dials): both sides use the link
        // dialed by the side whose peer_id sorts lower. Same direction twice
        // means the peer reconnected over a link it abandoned: the newer wins.
        if (!simultaneous_dial(*cur, l)) {
            // Our dial reached something else claiming a peer we have a live
            // link to: keep the link that works (docs/protocol.md §4).
            P2P_WARN_LIMITED("Link", "dials answered by a linked peer_id", r.peer_id(),
                             "%s: %s answers as %s, linked from %s: closing the new link", r.id,
                             l.remote, r.id, cur->remote);
            close_now(l, "duplicate of a live link", false);
            return;
        }
        bool self_lower = std::string_view(self) < r.peer_id();
        LinkDirection preferred = self_lower ? LinkDirection::kOutbound : LinkDirection::kInbound;
        Link* win;
        Link* lose;
        if (cur->dir == l.dir || l.dir == preferred) {
            win = &l;
            lose = cur;
        } else {
            win = cur;
            lose = &l;
        }
        peers.set_link(p, win->id);
        P2P_INFO_LIMITED("Link", "duplicate links", r.peer_id(),
                         "%s: duplicate link, keeping the %s one", r.id,
                         link_direction_name(win->dir));
        if ((lose->features & kFeatureRelay) && (win->features & kFeatureRelay)) {
            begin_close(*lose, "duplicate", "duplicate", false, false);
        }
        // With a legacy peer the other link stays open, unused, until it closes.
    }
    rearm_link(l);
    flush_pending(p);
}

// GREASE (docs/protocol.md §4 "Living with peers..."): our HELLO carries a
// random token no real feature has. A peer that computes the intersection
// never returns it; one that echoes the caller's list does, and its `relay`
// is then no promise: the link is legacy whatever it lists. A dialer cannot
// know our token, so on a HELLO the token can only be our own HELLO mirrored
// back at us: the same rule applies.
bool Node::Impl::echoes_us(Link& l, const PeerMessage& m) {
    if (m.grease.empty() || m.grease != grease) return false;
    l.echo = true;
    l.features &= ~(kFeatureRelay | kFeatureWhoHas);
    P2P_INFO("Link", "%s: %.*s echoes our features: treated as legacy", l.remote,
             static_cast<int>(m.peer_id.size()), m.peer_id.data());
    return true;
}

// A HELLO naming a peer we already have a live link to (docs/protocol.md §4
// "Duplicate links"). Two honest simultaneous dials come from the peer's own
// host before any traffic on the first link: they go to establish()'s rule.
// Anything else is refused with HELLO_REJECT, and the established link is
// PINGed: if it does not answer within duplicate_probe_ms it is closed, and
// the next HELLO with that id is accepted. Returns true when refused.
bool Node::Impl::refuse_duplicate(Link& l, int p) {
    if (p < 0) return false;
    Link* cur = find_link(peers.at(p).link);
    if (!cur || cur == &l || cur->state != LinkState::kEstablished) return false;
    if (simultaneous_dial(*cur, l)) return false;
    P2P_WARN_LIMITED("Link", "HELLOs claiming a linked peer_id", l.remote_host(),
                     "%s: HELLO as %s, which is linked from %s: refused", l.remote, peers.at(p).id,
                     cur->remote);
    PeerMessage rej;
    rej.type = MsgType::kHelloReject;
    rej.peer_id = self;
    rej.reason = "already connected";
    rej.ttl = 1;
    queue_msg(l, rej, true);
    close_after_flush(l, "duplicate peer_id refused", false);
    if (cur->probe_deadline == 0 && send_ping(*cur)) {
        // On a paced legacy link the PING waits its turn behind what is queued.
        MonoMs queued_for = cur->legacy ? MonoMs(cur->out.msgs()) * cfg.legacy_write_gap_ms : 0;
        cur->probe_deadline = now() + cfg.duplicate_probe_ms + queued_for;
        rearm_link(*cur);
    }
    return true;
}

}  // namespace p2p
