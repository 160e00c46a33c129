// PeerBook: the peer table's life — discovery, static peers, dialing, redial
// backoff, expiry — and the commands that steer it.
#include <algorithm>
#include <cstdio>

#include "core/backoff.h"
#include "core/link_life.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/messages.h"
#include "core/peer_book.h"
#include "core/slot_index.h"
#include "core/text.h"

namespace p2p {

PeerBook::PeerBook(EngineContext& ctx, LinkTable& links, LinkLife& life, Messages& messages)
    : ctx_(ctx),
      links_(links),
      life_(life),
      messages_(messages),
      table_(ctx.cfg.max_peers),
      failed_(std::max<std::size_t>(kMinFailedAdverts, 64 * ctx.cfg.max_peers),
              kFailedAdvertHoldMs) {}

void PeerBook::set_state(int p, PeerState state, std::string_view detail, bool repeat) {
    PeerRecord& r = table_.at(p);
    r.state = state;
    NodeEvent ev;
    ev.kind = EventKind::kPeer;
    ev.state = state;
    ev.reason = detail;
    ev.repeat = repeat;
    char addr[PeerRecord::kHostBytes + 8];
    if (r.id_len > 0) {
        ev.peer_id = r.peer_id();
    } else {  // a static peer whose HELLO_OK has not named it yet
        int n = std::snprintf(addr, sizeof addr, "%s:%u", r.host, static_cast<unsigned>(r.port));
        ev.peer_id = std::string_view(addr, static_cast<std::size_t>(n));
    }
    ctx_.emit(ev);
}

Link* PeerBook::active_link(int p) {
    Link* l = links_.find(table_.at(p).link);
    return (l && l->state == LinkState::kEstablished) ? l : nullptr;
}

bool PeerBook::start_dial(int p) {
    PeerRecord& r = table_.at(p);
    if (ctx_.quitting || !r.dialable() || r.link != kNoLink || r.dialing != kNoLink) return false;
    char remote[PeerRecord::kHostBytes + 8];
    int n = std::snprintf(remote, sizeof remote, "%s:%u", r.host, static_cast<unsigned>(r.port));
    ctx_.timers.clear(ctx_.slots.peer(p));
    r.next_attempt = 0;
    Link* l = admit_link(LinkDirection::kOutbound, std::string_view(remote, std::size_t(n)));
    if (!l) {
        // Our shortage, not the peer's failure: retried without counting an attempt.
        P2P_WARN_LIMITED("Peers", "dials postponed (no free link slot)", r.peer_id(),
                         "no free link slot to dial %s", remote);
        lost(p, "no free link slot here", false);
        return false;
    }
    l->peer = p;
    l->state = LinkState::kDialing;
    l->hs_deadline = ctx_.now() + ctx_.cfg.handshake_timeout_ms;
    links_.rearm(*l);
    r.dialing = l->id;
    // A redial while its dials fail: the console said the failure already.
    set_state(p, PeerState::kConnecting, {}, r.fail_cause != 0);
    P2P_DEBUG("Peers", "dialing %s at %s", r.id, remote);
    if (!ctx_.host.dial(l->id, r.dial_host(), r.port)) {
        life_.release(*l, "connect failed", true);
        return false;
    }
    return true;
}

void PeerBook::lost(int p, const char* why, bool penalize, bool failed_dial) {
    PeerRecord& r = table_.at(p);
    if (ctx_.quitting) {
        r.state = PeerState::kStale;
        return;
    }
    char detail[160];
    MonoMs t = ctx_.now();
    r.next_attempt = 0;
    if (r.said_bye) {
        // It left on purpose: GONE (not a lost link), kept so a fresh
        // registration can bring it back.
        std::snprintf(detail, sizeof detail, "%s; not redialed until it re-registers", why);
        ctx_.timers.clear(ctx_.slots.peer(p));
        set_state(p, PeerState::kGone, detail);
        messages_.fail_waiting(p, "peer_unreachable");
        return;
    }
    if (!r.is_static && !r.has_advert) {
        // Known only from its inbound link (or its registration lapsed): no
        // address to dial back. STALE for a while in case it dials us again.
        // Its SENDs stay pending on the ACK clock: if it dials us again
        // within the retries they go out on the rebuilt link (docs/protocol.md
        // §4), otherwise they end as undelivered when the retries run out.
        std::snprintf(detail, sizeof detail, "%s; no address to redial", why);
        ctx_.timers.set(ctx_.slots.peer(p), t + ctx_.cfg.forget_stale_ms);
        set_state(p, PeerState::kStale, detail);
        messages_.put_waiting_on_clock(p, t);
        return;
    }
    if (r.rejected) {
        r.next_attempt = t + ctx_.cfg.reject_retry_ms;
        std::snprintf(detail, sizeof detail, "%s; retry in %lld s", why,
                      static_cast<long long>(ctx_.cfg.reject_retry_ms / 1000));
    } else {
        if (penalize) {
            ++r.attempts;
            dial_failed(r);
        }
        if (r.attempts > ctx_.cfg.max_reconnect_attempts) {
            std::snprintf(detail, sizeof detail, "%s; gave up after %d attempts", why,
                          ctx_.cfg.max_reconnect_attempts);
        } else {
            BackoffPolicy policy{ctx_.cfg.backoff_initial_ms, ctx_.cfg.backoff_max_ms,
                                 Jitter::kUpToQuarterMore};
            MonoMs d = backoff_delay(policy, r.attempts, ctx_.rng);
            r.next_attempt = t + d;
            std::snprintf(detail, sizeof detail, "%s; retry %d/%d in %.1f s", why,
                          r.attempts < 1 ? 1 : r.attempts, ctx_.cfg.max_reconnect_attempts,
                          static_cast<double>(d) / 1000.0);
        }
    }
    if (r.next_attempt != 0) ctx_.timers.set(ctx_.slots.peer(p), r.next_attempt);
    bool repeat = failed_dial && penalize && !r.rejected && note_dial_failure(r, why, detail);
    set_state(p, PeerState::kStale, detail, repeat);
    if (r.next_attempt == 0) {
        messages_.fail_waiting(p, "peer_unreachable");
    } else {
        messages_.put_waiting_on_clock(p, t);
    }
}

// A dial that failed as the last one did is a repeat: the console shows the first
// (and a new cause, and the end of the redials), not each retry. A static peer, or
// one that answered before, is also said as a WARN then; peers on probation are
// not (failing is what most listed fakes do). connected() says when it is over.
// Rate-limited per peer too, as a rendezvous may list many.
bool PeerBook::note_dial_failure(PeerRecord& r, const char* why, const char* detail) {
    std::uint64_t cause = SlotIndex::hash(why) | 1;  // never 0: "no failure"
    bool repeat = cause == r.fail_cause && r.next_attempt != 0;
    // Given up: a later round of dials (a fresh advert) is news again.
    r.fail_cause = r.next_attempt != 0 ? cause : 0;
    if (repeat || (!r.is_static && !r.proven)) return repeat;
    // "peer bob@CIC at 10.0.0.5:7070", or "peer 10.0.0.5:7070" for a static peer
    // not yet named by a handshake.
    char who[PeerRecord::kIdBytes + PeerRecord::kHostBytes + 16];
    if (r.id_len > 0)
        std::snprintf(who, sizeof who, "%.*s at %s:%u", static_cast<int>(r.id_len), r.id, r.host,
                      static_cast<unsigned>(r.port));
    else
        std::snprintf(who, sizeof who, "%s:%u", r.host, static_cast<unsigned>(r.port));
    P2P_WARN_LIMITED(
        "Peers", "known peer unreachable", who, "peer %s unreachable: %s%s", who, detail,
        r.next_attempt != 0 ? " (further failures for this reason are not repeated)" : "");
    return false;
}

void PeerBook::connected(int p, LinkId link) {
    PeerRecord& r = table_.at(p);
    if (r.fail_cause != 0 && (r.is_static || r.proven)) {
        P2P_INFO("Peers", "peer %.*s at %s:%u reachable again after %d failed attempt%s",
                 static_cast<int>(r.id_len), r.id, r.host, static_cast<unsigned>(r.port),
                 r.attempts, r.attempts == 1 ? "" : "s");
    }
    r.fail_cause = 0;
    table_.set_link(p, link);
    if (!r.proven && r.failed_dials >= kProbationDials)
        failed_.erase(r.peer_id(), r.dial_host(), r.port);
    r.proven = true;
    r.failed_dials = 0;
    r.attempts = 0;
    r.next_attempt = 0;
    ctx_.timers.clear(ctx_.slots.peer(p));
    set_state(p, PeerState::kConnected, {});
}

void PeerBook::timer_fired(int p) {
    PeerRecord& r = table_.at(p);
    if (!r.is_static && !r.has_advert && r.link == kNoLink && r.dialing == kNoLink) {
        remove(p, "forgotten");
        return;
    }
    r.next_attempt = 0;
    if (r.link == kNoLink && r.dialing == kNoLink && !r.said_bye) start_dial(p);
}

void PeerBook::remove(int p, const char* why) {
    messages_.forget_peer(p);
    ctx_.timers.clear(ctx_.slots.peer(p));
    set_state(p, PeerState::kGone, why ? why : "");
    for (Link& l : links_.all())
        if (l.used && l.peer == p) l.peer = -1;
    table_.release(p);
}

int PeerBook::learn(Link& l, std::string_view peer_id) {
    int expected = l.peer;
    int p = table_.find(peer_id);
    if (expected >= 0) {
        PeerRecord& e = table_.at(expected);
        if (e.id_len == 0) {
            // A static peer names itself. If we already knew it (discovered,
            // or linked inbound), keep that record and remember the address.
            if (p >= 0 && p != expected) {
                PeerRecord& k = table_.at(p);
                k.is_static = true;
                if (!k.dialable()) k.set_host(e.dial_host(), e.port);
                ctx_.timers.clear(ctx_.slots.peer(expected));
                table_.release(expected);
                l.peer = p;
                return p;
            }
            table_.set_id(expected, peer_id);
            return expected;
        }
        if (e.peer_id() == peer_id) return expected;
        P2P_WARN_LIMITED("Peers", "another peer answered a dial", l.remote_host(),
                         "dialed %s at %s but %.*s answered", e.id, l.remote,
                         static_cast<int>(peer_id.size()), peer_id.data());
        if (e.dialing == l.id) e.dialing = kNoLink;
        l.peer = -1;
        if (e.link == kNoLink) lost(expected, "another peer answers at its address", true);
    }
    if (p < 0) {
        p = admit(l.dir == LinkDirection::kInbound ? l.remote_host() : std::string_view());
        if (p < 0) {
            P2P_WARN_LIMITED("Peers", "HELLOs refused (peer table full)", l.remote_host(),
                             "peer table full (%zu): refusing %.*s from %s", table_.capacity(),
                             static_cast<int>(peer_id.size()), peer_id.data(), l.remote);
            return -1;
        }
        table_.set_id(p, peer_id);
        table_.at(p).state = PeerState::kConnecting;
    }
    l.peer = p;
    return p;
}

// ---- commands ---------------------------------------------------------------------

void PeerBook::reset_retries(PeerRecord& r) {
    r.attempts = 0;
    r.fail_cause = 0;  // a /connect, /reconnect or re-registration: its failure is news again
    r.said_bye = false;
    r.rejected = false;
}

void PeerBook::on_advert(const PeerAdvert& a) {
    if (ctx_.quitting || !is_valid_peer_id(a.peer_id) || a.peer_id == ctx_.self) return;
    int p = table_.find(a.peer_id);
    if (a.change == AdvertChange::kExpired) {
        if (p < 0) return;
        PeerRecord& r = table_.at(p);
        r.has_advert = false;
        // (The rendezvous client also expires the peers we gave up on, to
        // track others in their place.)
        if (r.link == kNoLink && r.dialing == kNoLink && !r.is_static)
            remove(p,
                   probation_over(r) ? "never answered (probation over)" : "registration lapsed");
        return;
    }
    if (p < 0) {
        if (failed_.contains(a.peer_id, a.ip, a.port, ctx_.now())) {
            P2P_DEBUG("Peers", "%.*s: listed again, but never answered (probation over)",
                      static_cast<int>(a.peer_id.size()), a.peer_id.data());
            return;
        }
        p = admit({});
        if (p < 0) {
            P2P_WARN_LIMITED("Peers", "discovered peers ignored (peer table full)", "",
                             "peer table full (%zu): ignoring %.*s", table_.capacity(),
                             static_cast<int>(a.peer_id.size()), a.peer_id.data());
            return;
        }
        PeerRecord& r = table_.at(p);
        table_.set_id(p, a.peer_id);
        r.has_advert = true;
        r.set_host(a.ip, a.port);
        set_state(p, PeerState::kDiscovered, {});
        start_dial(p);
        return;
    }
    PeerRecord& r = table_.at(p);
    r.has_advert = true;
    if (!a.ip.empty() && a.port != 0 && (r.dial_host() != a.ip || r.port != a.port))
        r.set_host(a.ip, a.port);
    bool idle = r.link == kNoLink && r.dialing == kNoLink;
    if (a.reregistered && (r.said_bye || r.next_attempt == 0) && !probation_over(r)) {
        // A fresh registration: a peer that said BYE or that we gave up on is
        // worth dialing again (not one that never answered: renewing its
        // registration must not buy it a new probation).
        reset_retries(r);
        if (idle) start_dial(p);
    } else if (idle && r.state == PeerState::kDiscovered) {
        start_dial(p);
    }
}

bool PeerBook::add_static(std::string_view host, std::uint16_t port) {
    if (host.empty() || port == 0 || host.size() >= PeerRecord::kHostBytes || ctx_.quitting)
        return false;
    int p = table_.find_static(host, port);
    if (p < 0) {
        p = admit({});
        if (p < 0) return false;
        PeerRecord& r = table_.at(p);
        r.is_static = true;
        r.set_host(host, port);
        set_state(p, PeerState::kDiscovered, "static");
    }
    reset_retries(table_.at(p));
    start_dial(p);
    return true;
}

bool PeerBook::connect(std::string_view peer_id) {
    if (!peer_id.empty() && peer_id[0] == '@') peer_id.remove_prefix(1);
    int p = table_.find(peer_id);
    if (p < 0 || ctx_.quitting) return false;
    PeerRecord& r = table_.at(p);
    reset_retries(r);
    if (r.link == kNoLink && r.dialing == kNoLink) start_dial(p);
    return true;
}

void PeerBook::reconnect_all() {
    if (ctx_.quitting) return;
    for (std::size_t i = 0; i < table_.capacity(); ++i) {
        int p = static_cast<int>(i);
        PeerRecord& r = table_.at(p);
        if (!r.used || r.link != kNoLink || r.dialing != kNoLink) continue;
        reset_retries(r);
        start_dial(p);
    }
}

}  // namespace p2p
