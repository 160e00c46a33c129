// Node: the peer table's life — discovery, static peers, dialing, redial
// backoff, expiry — and the commands that steer it.
#include <cstdio>

#include "core/backoff.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/node_impl.h"

namespace p2p {

void Node::Impl::set_state(int p, PeerState state, std::string_view detail) {
    PeerRecord& r = peers.at(p);
    r.state = state;
    NodeEvent ev;
    ev.kind = EventKind::kPeer;
    ev.state = state;
    ev.reason = detail;
    char addr[PeerRecord::kHostBytes + 8];
    if (r.id_len > 0) {
        ev.peer_id = r.peer_id();
    } else {  // a static peer whose HELLO_OK has not named it yet
        int n = std::snprintf(addr, sizeof addr, "%s:%u", r.host, static_cast<unsigned>(r.port));
        ev.peer_id = std::string_view(addr, static_cast<std::size_t>(n));
    }
    emit(ev);
}

Link* Node::Impl::active_link(int p) {
    Link* l = find_link(peers.at(p).link);
    return (l && l->state == LinkState::kEstablished) ? l : nullptr;
}

bool Node::Impl::start_dial(int p) {
    PeerRecord& r = peers.at(p);
    if (quitting || !r.dialable() || r.link != kNoLink || r.dialing != kNoLink) return false;
    char remote[PeerRecord::kHostBytes + 8];
    int n = std::snprintf(remote, sizeof remote, "%s:%u", r.host, static_cast<unsigned>(r.port));
    timers.clear(peer_timer(p));
    r.next_attempt = 0;
    Link* l = alloc_link(LinkDirection::kOutbound, std::string_view(remote, std::size_t(n)));
    if (!l) {
        // Our shortage, not the peer's failure: retried without counting an attempt.
        P2P_WARN_LIMITED("Peers", "dials postponed (no free link slot)", r.peer_id(),
                         "no free link slot to dial %s", remote);
        peer_lost(p, "no free link slot here", false);
        return false;
    }
    l->peer = p;
    l->state = LinkState::kDialing;
    l->hs_deadline = now() + cfg.handshake_timeout_ms;
    rearm_link(*l);
    r.dialing = l->id;
    set_state(p, PeerState::kConnecting, {});
    P2P_DEBUG("Peers", "dialing %s at %s", r.id, remote);
    if (!host.dial(l->id, r.dial_host(), r.port)) {
        release(*l, "connect failed", true);
        return false;
    }
    return true;
}

void Node::Impl::peer_lost(int p, const char* why, bool penalize) {
    PeerRecord& r = peers.at(p);
    if (quitting) {
        r.state = PeerState::kStale;
        return;
    }
    char detail[160];
    MonoMs t = now();
    r.next_attempt = 0;
    if (r.said_bye) {
        // It left on purpose: GONE (not a lost link), kept so a fresh
        // registration can bring it back.
        std::snprintf(detail, sizeof detail, "%s; not redialed until it re-registers", why);
        timers.clear(peer_timer(p));
        set_state(p, PeerState::kGone, detail);
        fail_waiting(p, "peer_unreachable");
        return;
    }
    if (!r.is_static && !r.has_advert) {
        // Known only from its inbound link (or its registration lapsed): no
        // address to dial back. STALE for a while in case it dials us again.
        // Its SENDs stay pending on the ACK clock: if it dials us again
        // within the retries they go out on the rebuilt link (docs/protocol.md
        // §4), otherwise they end as undelivered when the retries run out.
        std::snprintf(detail, sizeof detail, "%s; no address to redial", why);
        timers.set(peer_timer(p), t + cfg.forget_stale_ms);
        set_state(p, PeerState::kStale, detail);
        put_waiting_on_clock(p, t);
        return;
    }
    if (r.rejected) {
        r.next_attempt = t + cfg.reject_retry_ms;
        std::snprintf(detail, sizeof detail, "%s; retry in %lld s", why,
                      static_cast<long long>(cfg.reject_retry_ms / 1000));
    } else {
        if (penalize) ++r.attempts;
        if (r.attempts > cfg.max_reconnect_attempts) {
            std::snprintf(detail, sizeof detail, "%s; gave up after %d attempts", why,
                          cfg.max_reconnect_attempts);
        } else {
            BackoffPolicy policy{cfg.backoff_initial_ms, cfg.backoff_max_ms,
                                 Jitter::kUpToQuarterMore};
            MonoMs d = backoff_delay(policy, r.attempts, rng);
            r.next_attempt = t + d;
            std::snprintf(detail, sizeof detail, "%s; retry %d/%d in %.1f s", why,
                          r.attempts < 1 ? 1 : r.attempts, cfg.max_reconnect_attempts,
                          static_cast<double>(d) / 1000.0);
        }
    }
    if (r.next_attempt != 0) timers.set(peer_timer(p), r.next_attempt);
    set_state(p, PeerState::kStale, detail);
    if (r.next_attempt == 0) {
        fail_waiting(p, "peer_unreachable");
    } else {
        put_waiting_on_clock(p, t);
    }
}

// Messages waiting their turn behind a legacy in-flight SEND now wait for the
// link to come back, on the ACK clock like the rest.
void Node::Impl::put_waiting_on_clock(int p, MonoMs t) {
    for (int k = next_pending_of(p, -1); k >= 0; k = next_pending_of(p, k)) {
        PendingSend& ps = pending.at(k);
        if (ps.deadline == 0) {
            ps.deadline = t + cfg.ack_timeout_ms;
            timers.set(pending_timer(k), ps.deadline);
        }
    }
}

void Node::Impl::peer_timer_fired(int p) {
    PeerRecord& r = peers.at(p);
    if (!r.is_static && !r.has_advert && r.link == kNoLink && r.dialing == kNoLink) {
        remove_peer(p, "forgotten");
        return;
    }
    r.next_attempt = 0;
    if (r.link == kNoLink && r.dialing == kNoLink && !r.said_bye) start_dial(p);
}

void Node::Impl::remove_peer(int p, const char* why) {
    fail_waiting(p, "peer_unreachable");
    for (int k = next_pending_of(p, -1); k >= 0;) {
        int after = next_pending_of(p, k);
        pending.at(k).peer = -1;  // routed ones live on without the record
        k = after;
    }
    timers.clear(peer_timer(p));
    set_state(p, PeerState::kGone, why ? why : "");
    for (Link& l : links)
        if (l.used && l.peer == p) l.peer = -1;
    peers.release(p);
}

int Node::Impl::learn_peer(Link& l, std::string_view peer_id) {
    int expected = l.peer;
    int p = peers.find(peer_id);
    if (expected >= 0) {
        PeerRecord& e = peers.at(expected);
        if (e.id_len == 0) {
            // A static peer names itself. If we already knew it (discovered,
            // or linked inbound), keep that record and remember the address.
            if (p >= 0 && p != expected) {
                PeerRecord& k = peers.at(p);
                k.is_static = true;
                if (!k.dialable()) k.set_host(e.dial_host(), e.port);
                timers.clear(peer_timer(expected));
                peers.release(expected);
                l.peer = p;
                return p;
            }
            peers.set_id(expected, peer_id);
            return expected;
        }
        if (e.peer_id() == peer_id) return expected;
        P2P_WARN_LIMITED("Peers", "another peer answered a dial", l.remote_host(),
                         "dialed %s at %s but %.*s answered", e.id, l.remote,
                         static_cast<int>(peer_id.size()), peer_id.data());
        if (e.dialing == l.id) e.dialing = kNoLink;
        l.peer = -1;
        if (e.link == kNoLink) peer_lost(expected, "another peer answers at its address", true);
    }
    if (p < 0) {
        p = admit_peer(l.dir == LinkDirection::kInbound ? l.remote_host() : std::string_view());
        if (p < 0) {
            P2P_WARN_LIMITED("Peers", "HELLOs refused (peer table full)", l.remote_host(),
                             "peer table full (%zu): refusing %.*s from %s", peers.capacity(),
                             static_cast<int>(peer_id.size()), peer_id.data(), l.remote);
            return -1;
        }
        peers.set_id(p, peer_id);
        peers.at(p).state = PeerState::kConnecting;
    }
    l.peer = p;
    return p;
}

void Node::Impl::fail_waiting(int p, std::string_view reason) {
    for (int k = next_pending_of(p, -1); k >= 0;) {
        int after = next_pending_of(p, k);  // taken before k is released
        if (!pending.at(k).routed) finish_pending(k, false, reason);
        k = after;
    }
}

// ---- API -------------------------------------------------------------------------

void Node::on_peer_advert(const PeerAdvert& a) {
    Impl& n = *impl_;
    if (n.quitting || !is_valid_peer_id(a.peer_id) || a.peer_id == n.self) return;
    int p = n.peers.find(a.peer_id);
    if (a.change == AdvertChange::kExpired) {
        if (p < 0) return;
        PeerRecord& r = n.peers.at(p);
        r.has_advert = false;
        if (r.link == kNoLink && r.dialing == kNoLink && !r.is_static)
            n.remove_peer(p, "registration lapsed");
        return;
    }
    if (p < 0) {
        p = n.admit_peer({});
        if (p < 0) {
            P2P_WARN_LIMITED("Peers", "discovered peers ignored (peer table full)", "",
                             "peer table full (%zu): ignoring %.*s", n.peers.capacity(),
                             static_cast<int>(a.peer_id.size()), a.peer_id.data());
            return;
        }
        PeerRecord& r = n.peers.at(p);
        n.peers.set_id(p, a.peer_id);
        r.has_advert = true;
        r.set_host(a.ip, a.port);
        n.set_state(p, PeerState::kDiscovered, {});
        n.start_dial(p);
        return;
    }
    PeerRecord& r = n.peers.at(p);
    r.has_advert = true;
    if (!a.ip.empty() && a.port != 0 && (r.dial_host() != a.ip || r.port != a.port))
        r.set_host(a.ip, a.port);
    bool idle = r.link == kNoLink && r.dialing == kNoLink;
    if (a.reregistered && (r.said_bye || r.next_attempt == 0)) {
        // A fresh registration: a peer that said BYE or that we gave up on is
        // worth dialing again.
        r.said_bye = false;
        r.rejected = false;
        r.attempts = 0;
        if (idle) n.start_dial(p);
    } else if (idle && r.state == PeerState::kDiscovered) {
        n.start_dial(p);
    }
}

bool Node::add_static_peer(std::string_view host, std::uint16_t port) {
    Impl& n = *impl_;
    if (host.empty() || port == 0 || host.size() >= PeerRecord::kHostBytes || n.quitting)
        return false;
    int p = n.peers.find_static(host, port);
    if (p < 0) {
        p = n.admit_peer({});
        if (p < 0) return false;
        PeerRecord& r = n.peers.at(p);
        r.is_static = true;
        r.set_host(host, port);
        n.set_state(p, PeerState::kDiscovered, "static");
    }
    PeerRecord& r = n.peers.at(p);
    r.attempts = 0;
    r.said_bye = false;
    r.rejected = false;
    n.start_dial(p);
    return true;
}

bool Node::connect_peer(std::string_view peer_id) {
    Impl& n = *impl_;
    if (!peer_id.empty() && peer_id[0] == '@') peer_id.remove_prefix(1);
    int p = n.peers.find(peer_id);
    if (p < 0 || n.quitting) return false;
    PeerRecord& r = n.peers.at(p);
    r.attempts = 0;
    r.said_bye = false;
    r.rejected = false;
    if (r.link == kNoLink && r.dialing == kNoLink) n.start_dial(p);
    return true;
}

void Node::reconnect_all() {
    Impl& n = *impl_;
    if (n.quitting) return;
    for (std::size_t i = 0; i < n.peers.capacity(); ++i) {
        int p = static_cast<int>(i);
        PeerRecord& r = n.peers.at(p);
        if (!r.used || r.link != kNoLink || r.dialing != kNoLink) continue;
        r.attempts = 0;
        r.said_bye = false;
        r.rejected = false;
        n.start_dial(p);
    }
}

}  // namespace p2p
