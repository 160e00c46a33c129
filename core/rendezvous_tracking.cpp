// The rendezvous client's table of tracked peers (core/rendezvous_client.h):
// what a DISCOVER answer's entries do to it, the uniform sample of the
// entries that did not fit and the replacement of unwanted peers by them, and
// expiry. Kept apart from the request scheduling in rendezvous_client.cpp.
#include <algorithm>
#include <cstring>
#include <utility>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/rendezvous_client.h"
#include "core/text.h"

namespace p2p {

namespace {

constexpr const char* kModule = "Rendezvous";
// expires_in is whole seconds on the server and our elapsed time is rounded
// too, so a renewal is only believed when it grew by more than this.
constexpr std::int64_t kRenewalSlackSeconds = 2;
// A listed peer is kept at least until the next DISCOVER could list it again,
// plus this margin: an entry with expires_in 0 or ttl 1 must not make the
// peer flap between expired and discovered on every round.
constexpr MonoMs kListingGraceMs = 2'000;

}  // namespace

RendezvousClient::TrackedPeer* RendezvousClient::find(std::string_view name, std::string_view ns) {
    for (TrackedPeer& p : peers_)
        if (p.used && p.name() == name && p.ns() == ns) return &p;
    return nullptr;
}

RendezvousClient::TrackedPeer* RendezvousClient::alloc_slot() {
    for (TrackedPeer& p : peers_)
        if (!p.used) return &p;
    return nullptr;
}

void RendezvousClient::emit(AdvertChange change, const TrackedPeer& p, bool address_changed,
                            bool reregistered) {
    PeerAdvert advert = advert_of(p);
    advert.change = change;
    advert.address_changed = address_changed;
    advert.reregistered = reregistered;
    listener_.on_peer(advert);
}

void RendezvousClient::on_discover_entry(std::uint64_t id, const DiscoveredPeer& entry) {
    if (!in_flight_ || id != in_flight_id_ || in_flight_kind_ != RdvRequestKind::kDiscover) return;
    ++round_listed_;
    if (entry.name == config_.name && entry.ns == config_.ns) return;  // ourselves

    // The name rule for the ip too: it is dialed and shown, so no controls,
    // spaces or invalid UTF-8 (an old server may list what it stored).
    bool usable = is_valid_name(entry.name) && is_valid_name(entry.ns) && is_valid_name(entry.ip) &&
                  entry.ip.size() < sizeof(TrackedPeer::ip) && entry.port >= 1 &&
                  entry.port <= 65535;
    if (!usable) {
        ++round_invalid_;
        // Loud when the set of bad entries changes, quiet on every repeat.
        LogLevel level = round_invalid_ > last_round_invalid_ ? LogLevel::kWarn : LogLevel::kDebug;
        P2P_LOG(level, kModule, "skipping DISCOVER entry name='%.*s' namespace='%.*s' %.*s:%lld",
                static_cast<int>(std::min<std::size_t>(entry.name.size(), 80)), entry.name.data(),
                static_cast<int>(std::min<std::size_t>(entry.ns.size(), 80)), entry.ns.data(),
                static_cast<int>(std::min<std::size_t>(entry.ip.size(), 64)), entry.ip.data(),
                static_cast<long long>(entry.port));
        return;
    }
    ++round_usable_;

    MonoMs now = clock_.mono_ms();
    // Clamped again: a runtime may call this without the codec.
    std::int64_t expires_in = std::min(entry.expires_in, kMaxRendezvousTtlSeconds);
    std::int64_t horizon_s = expires_in >= 0 ? expires_in
                             : entry.ttl > 0 ? std::min(entry.ttl, kMaxRendezvousTtlSeconds)
                                             : config_.default_expiry_s;
    MonoMs expires_at =
        now + std::max(horizon_s * 1000, config_.discovery_interval_ms + kListingGraceMs);
    auto port = static_cast<std::uint16_t>(entry.port);

    TrackedPeer* p = find(entry.name, entry.ns);
    if (p) {
        if (p->round == round_) return;  // same name@ns twice in one answer: keep the first
        bool address_changed = p->address_ip() != entry.ip || p->port != port;
        bool reregistered = false;
        if (p->expires_in_s >= 0 && expires_in >= 0) {
            std::int64_t predicted = p->expires_in_s - (now - p->last_seen) / 1000;
            reregistered = expires_in > predicted + kRenewalSlackSeconds;
        }
        p->listed(entry.ip, port, expires_in, now, expires_at, round_);
        if (address_changed || reregistered)
            emit(AdvertChange::kUpdated, *p, address_changed, reregistered);
        return;
    }

    TrackedPeer candidate;
    candidate.used = true;
    std::memcpy(candidate.peer_id, entry.name.data(), entry.name.size());
    candidate.peer_id[entry.name.size()] = '@';
    std::memcpy(candidate.peer_id + entry.name.size() + 1, entry.ns.data(), entry.ns.size());
    candidate.name_len = static_cast<std::uint8_t>(entry.name.size());
    candidate.ns_len = static_cast<std::uint8_t>(entry.ns.size());
    candidate.listed(entry.ip, port, expires_in, now, expires_at, round_);
    if (!listener_.wants(advert_of(candidate))) {
        ++round_unwanted_;  // it never answered: no slot for it
        return;
    }
    p = alloc_slot();
    if (!p) {
        offer_spare(candidate);
        return;
    }
    *p = candidate;
    ++tracked_;
    emit(AdvertChange::kDiscovered, *p, false, false);
}

void RendezvousClient::offer_spare(const TrackedPeer& candidate) {
    // Reservoir sampling: each of the round's overflow entries ends up in
    // spare_ with the same probability, so the order of the answer (fakes
    // listed first) decides nothing.
    ++round_overflow_;
    if (spare_.empty()) return;
    if (spare_count_ < spare_.size()) {
        spare_[spare_count_++] = candidate;
        return;
    }
    std::uint64_t j = rng_.below(round_overflow_);
    if (j < spare_.size()) spare_[static_cast<std::size_t>(j)] = candidate;
}

const RendezvousClient::TrackedPeer* RendezvousClient::take_spare() {
    while (spare_next_ < spare_count_) {
        // A random one of those left: the reservoir keeps a uniform sample,
        // but not in a uniform order (its first slots favour the first
        // entries of the answer).
        std::size_t pick =
            spare_next_ + static_cast<std::size_t>(rng_.below(spare_count_ - spare_next_));
        std::swap(spare_[spare_next_], spare_[pick]);
        const TrackedPeer& c = spare_[spare_next_++];
        if (!find(c.name(), c.ns())) return &c;  // else listed twice and already placed
    }
    return nullptr;
}

std::size_t RendezvousClient::replace_unwanted() {
    std::size_t placed = 0;
    for (TrackedPeer& p : peers_) {
        if (spare_next_ == spare_count_) break;
        if (!p.used || listener_.wants(advert_of(p))) continue;
        const TrackedPeer* next = take_spare();
        if (!next) break;
        emit(AdvertChange::kExpired, p, false, false);
        p = *next;
        ++placed;
        emit(AdvertChange::kDiscovered, p, false, false);
    }
    // Spares left: look again shortly, as the peers just placed end their
    // probation (two dials, about a second apart), not only at the next
    // DISCOVER: the node tries candidates at the pace it can dial them.
    refill_due_ = spare_next_ < spare_count_ ? clock_.mono_ms() + kRefillPollMs : kNeverMs;
    return placed;
}

PeerAdvert RendezvousClient::advert_of(const TrackedPeer& p) const {
    PeerAdvert advert;
    advert.peer_id = p.id();
    advert.ip = p.address_ip();
    advert.port = p.port;
    advert.expires_in_s = p.expires_in_s;
    return advert;
}

void RendezvousClient::finish_discover_round() {
    round_dropped_full_ = round_overflow_ - replace_unwanted();
    if (round_unwanted_ > 0)
        P2P_DEBUG(kModule, "%zu listed peers skipped: they never answered", round_unwanted_);
    if (round_dropped_full_ > 0)
        P2P_WARN(kModule, "peer table full (%zu): %zu discovered peers not tracked",
                 config_.max_tracked_peers, round_dropped_full_);
    last_round_invalid_ = round_invalid_;
    expire_peers(clock_.mono_ms());
    listener_.on_discovered(round_listed_, round_usable_, tracked_);
}

void RendezvousClient::expire_peers(MonoMs now) {
    for (TrackedPeer& p : peers_) {
        if (!p.used || now <= p.expires_at) continue;
        P2P_INFO_LIMITED(kModule, "discovered peers expired", "",
                         "%.*s expired (not listed for %lld s)", static_cast<int>(p.id().size()),
                         p.id().data(), static_cast<long long>((now - p.last_seen) / 1000));
        emit(AdvertChange::kExpired, p, false, false);
        p.used = false;
        p.round = 0;
        --tracked_;
    }
}

}  // namespace p2p
