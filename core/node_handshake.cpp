// Handshake: the handshake — HELLO / HELLO_OK, the GREASE echo check, and the
// rules for a second link to a peer (docs/protocol.md §4 "Handshake",
// "Duplicate links", "Living with peers_...").
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/handshake.h"
#include "core/link_life.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/messages.h"
#include "core/peer_book.h"
#include "core/text.h"

namespace p2p {

namespace {

// Two links to one peer that look like two honest dials crossing: the
// established one has carried nothing yet, and both come from one host.
bool simultaneous_dial(const Link& established, const Link& newcomer) {
    return established.lines_in == 0 && established.remote_host() == newcomer.remote_host();
}

}  // namespace

Handshake::Handshake(EngineContext& ctx, LinkTable& links, PeerBook& peers, LinkLife& life,
                     Messages& messages)
    : ctx_(ctx), links_(links), peers_(peers), life_(life), messages_(messages) {
    // A fresh random token of a shape no real feature has (GREASE, RFC 8701).
    char token[32];
    int n =
        std::snprintf(token, sizeof token, "%.*s%016llx", static_cast<int>(kGreasePrefix.size()),
                      kGreasePrefix.data(), static_cast<unsigned long long>(ctx_.rng.next()));
    grease_.assign(token, static_cast<std::size_t>(n));
}

void Handshake::on_connected(Link& l) {
    PeerMessage hello;
    hello.type = MsgType::kHello;
    hello.peer_id = ctx_.self;
    hello.version = ctx_.cfg.version;
    hello.features = ctx_.cfg.features;
    hello.grease = grease_;
    hello.ttl = 1;
    l.state = LinkState::kAwaitHelloOk;
    links_.queue_msg(l, hello, true);
}

// What a HELLO / HELLO_OK tells of the link: the features both sides have
// (less `relay` from a peer that echoes our GREASE token) and the version.
void Handshake::take_handshake(Link& l, const PeerMessage& m) {
    l.features = m.features & ctx_.cfg.features;
    std::size_t vn = std::min(m.version.size(), sizeof l.version - 1);
    std::memcpy(l.version, m.version.data(), vn);
    l.version[vn] = '\0';
    echoes_us(l, m);
}

void Handshake::on_message(Link& l, const PeerMessage& m) {
    if (m.type == MsgType::kError) {
        P2P_INFO_LIMITED("Link", "ERRORs before a handshake", l.remote_host(),
                         "%s: ERROR %.*s before handshake, closing", l.remote,
                         static_cast<int>(m.error.size()), m.error.data());
        life_.close_now(l, "error before handshake", true);
        return;
    }
    if (l.dir == LinkDirection::kInbound) {
        if (m.type == MsgType::kHello) {
            accept_hello(l, m);
            return;
        }
    } else if (m.type == MsgType::kHelloOk) {
        if (!is_valid_peer_id(m.peer_id) || m.peer_id == ctx_.self) {
            links_.send_error(l, "bad_format", m.msg_id,
                              m.peer_id == ctx_.self ? "that is our own peer_id" : "bad peer_id");
            life_.close_after_flush(
                l, m.peer_id == ctx_.self ? "loop to ourselves" : "bad HELLO_OK", true);
            return;
        }
        take_handshake(l, m);
        int p = peers_.learn(l, m.peer_id);
        if (p < 0) {
            life_.close_now(l, "peer table full", false);
            return;
        }
        if (!secure(l, true)) return;
        establish(l, p);
        return;
    } else if (m.type == MsgType::kHelloReject) {
        l.got_reject = true;
        life_.close_now(l, "rejected: already connected", false);
        return;
    }
    P2P_INFO_LIMITED("Link", "messages before a handshake", l.remote_host(),
                     "%s: %.*s before the handshake: closing", l.remote,
                     static_cast<int>(m.type_name.size()), m.type_name.data());
    links_.send_error(l, "bad_format", m.msg_id, "handshake first");
    life_.close_after_flush(l, "message before handshake", true);
}

bool Handshake::accept_hello(Link& l, const PeerMessage& m) {
    if (!is_valid_peer_id(m.peer_id) || m.peer_id == ctx_.self) {
        bool own = m.peer_id == ctx_.self;
        links_.send_error(l, "bad_format", m.msg_id,
                          own ? "that is our own peer_id" : "bad peer_id");
        life_.close_after_flush(l, own ? "loop to ourselves" : "bad HELLO", !own);
        return false;
    }
    if (refuse_duplicate(l, peers_.find(m.peer_id))) return false;
    take_handshake(l, m);
    int p = peers_.learn(l, m.peer_id);
    if (p < 0) {
        links_.send_error(l, "busy", m.msg_id, "peer table full");
        life_.close_after_flush(l, "peer table full", false);
        return false;
    }
    PeerMessage ok;
    ok.type = MsgType::kHelloOk;
    ok.peer_id = ctx_.self;
    ok.version = ctx_.cfg.version;
    ok.features = l.features;
    ok.ttl = 1;
    links_.queue_msg(l, ok, true);
    if (!secure(l, false)) return false;
    establish(l, p);
    return true;
}

// Both lines listed `noise` (and not as an echo): the host turns everything after them
// into the secured channel (docs/protocol.md §8 "Upgrade"). False if it closed the link.
bool Handshake::secure(Link& l, bool initiator) {
    if (!(l.features & kFeatureNoise)) return true;
    if (!ctx_.host.secure_link(l.id, initiator)) {
        life_.close_now(l, "cannot secure the link", true);
        return false;
    }
    l.upgrade_cut = true;
    return true;
}

void Handshake::establish(Link& l, int p) {
    PeerRecord& r = peers_.at(p);
    MonoMs t = ctx_.now();
    l.peer = p;
    l.state = LinkState::kEstablished;
    l.established_at = t;
    l.next_ping = t + ctx_.cfg.ping_interval_ms;
    l.legacy = l.echo || (l.features & kFeatureRelay) == 0;
    // A legacy peer may read only the first line of a recv(): give it a pause
    // after the handshake before our first message. (The acceptor's pause
    // starts when its HELLO_OK is written: see consumed().)
    if (l.legacy && l.dir == LinkDirection::kOutbound)
        l.write_ready_at = std::max(l.write_ready_at, t + ctx_.cfg.legacy_first_write_delay_ms);
    if (r.dialing == l.id) r.dialing = kNoLink;
    r.said_bye = false;
    r.rejected = false;
    links_.emit_link(l, true, {});
    // The event is what the user sees (console, --json); the log keeps the
    // detail at DEBUG only, so a terminal does not show it twice.
    P2P_DEBUG("Link", "%s %s link up (%s, %s)", r.id, link_direction_name(l.dir), l.remote,
              l.legacy ? "legacy" : "relay");

    Link* cur = links_.find(r.link);
    if (!cur || cur == &l) {
        peers_.connected(p, l.id);
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
            life_.close_now(l, "duplicate of a live link", false);
            return;
        }
        bool self_lower = std::string_view(ctx_.self) < r.peer_id();
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
        peers_.set_link(p, win->id);
        P2P_INFO_LIMITED("Link", "duplicate links", r.peer_id(),
                         "%s: duplicate link, keeping the %s one", r.id,
                         link_direction_name(win->dir));
        if ((lose->features & kFeatureRelay) && (win->features & kFeatureRelay)) {
            life_.begin_close(*lose, "duplicate", "duplicate", false, false);
        }
        // With a legacy peer the other link stays open, unused, until it closes.
    }
    links_.rearm(l);
    messages_.flush(p);
}

// GREASE (docs/protocol.md §4 "Living with peers_..."): our HELLO carries a
// random token no real feature has. A peer that computes the intersection
// never returns it; one that echoes the caller's list does, and its `relay`
// is then no promise: the link is legacy whatever it lists. A dialer cannot
// know our token, so on a HELLO the token can only be our own HELLO mirrored
// back at us: the same rule applies.
bool Handshake::echoes_us(Link& l, const PeerMessage& m) {
    if (m.grease.empty() || m.grease != grease_) return false;
    l.echo = true;
    // A mirror speaks no Noise either: its `noise` is ours, echoed.
    l.features &= ~(kFeatureRelay | kFeatureWhoHas | kFeatureNoise);
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
bool Handshake::refuse_duplicate(Link& l, int p) {
    if (p < 0) return false;
    Link* cur = links_.find(peers_.at(p).link);
    if (!cur || cur == &l || cur->state != LinkState::kEstablished) return false;
    if (simultaneous_dial(*cur, l)) return false;
    P2P_WARN_LIMITED("Link", "HELLOs claiming a linked peer_id", l.remote_host(),
                     "%s: HELLO as %s, which is linked from %s: refused", l.remote, peers_.at(p).id,
                     cur->remote);
    PeerMessage rej;
    rej.type = MsgType::kHelloReject;
    rej.peer_id = ctx_.self;
    rej.reason = "already connected";
    rej.ttl = 1;
    links_.queue_msg(l, rej, true);
    life_.close_after_flush(l, "duplicate peer_id refused", false);
    if (cur->probe_deadline == 0 && life_.send_ping(*cur)) {
        // On a paced legacy link the PING waits its turn behind what is queued.
        MonoMs queued_for =
            cur->legacy ? MonoMs(cur->out.msgs()) * ctx_.cfg.legacy_write_gap_ms : 0;
        cur->probe_deadline = ctx_.now() + ctx_.cfg.duplicate_probe_ms + queued_for;
        links_.rearm(*cur);
    }
    return true;
}

}  // namespace p2p
