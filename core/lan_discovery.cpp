#include "core/lan_discovery.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/slot_index.h"
#include "core/text.h"

namespace p2p {

namespace {

constexpr const char* kModule = "LAN";
constexpr MonoMs kStartupRepeatsMs[] = {1'000, 2'000};  // 1 s and 3 s after the first
constexpr MonoMs kSecondMs = 1'000;

bool is_ipv4(std::string_view ip) {
    return ip.find(':') == std::string_view::npos;
}

}  // namespace

bool LanDiscovery::SourceWindows::admit(std::string_view source, MonoMs now, int limit) {
    std::uint64_t key = SlotIndex::hash(source);
    int s = table_.find(key, now);  // an ended window is dropped on the way
    // A full table evicts the window closest to its end: a flood of made-up
    // sources costs other sources their count, never memory (and the
    // all-sources limit still holds).
    if (s < 0) s = table_.insert(key, now + window_);
    return ++table_.at(s) <= limit;
}

LanDiscovery::LanDiscovery(Config config, const Clock& clock, Rng& rng,
                           LanDiscoveryListener& listener)
    : config_(std::move(config)),
      clock_(clock),
      rng_(rng),
      listener_(listener),
      self_id_(config_.name + "@" + config_.ns),
      source_rate_(config_.max_sources, kSecondMs),
      source_new_ids_(config_.max_sources, config_.interval_ms),
      peers_(config_.max_peers) {
    format_lan_instance(config_.instance, instance_);
    LanAnnounce a{config_.name, config_.ns, config_.listen_port,
                  std::string_view(instance_, kLanInstanceChars)};
    datagram_len_ = encode_lan_announce(a, datagram_, sizeof datagram_);
}

void LanDiscovery::start() {
    started_ = true;
    next_at_ = clock_.mono_ms();
}

bool LanDiscovery::next_announcement(std::string_view& datagram) {
    MonoMs now = clock_.mono_ms();
    if (!started_ || datagram_len_ == 0 || now < next_at_) return false;
    last_sent_ = now;
    int n = sent_since_start_++;
    if (n < static_cast<int>(std::size(kStartupRepeatsMs))) {
        next_at_ = now + kStartupRepeatsMs[n];
    } else {
        MonoMs tenth = config_.interval_ms / 10;
        next_at_ = now + config_.interval_ms - tenth +
                   static_cast<MonoMs>(rng_.below(static_cast<std::uint64_t>(2 * tenth + 1)));
    }
    ++counters_.sent;
    datagram = {datagram_, datagram_len_};
    return true;
}

MonoMs LanDiscovery::next_deadline() const {
    MonoMs at = started_ ? next_at_ : kNoDeadline;
    int s = peers_.soonest();
    if (s >= 0) at = std::min(at, peers_.expires(s));
    return at;
}

void LanDiscovery::tick() {
    MonoMs now = clock_.mono_ms();
    for (int s = peers_.soonest(); s >= 0 && peers_.expires(s) <= now; s = peers_.soonest()) {
        emit(AdvertChange::kExpired, peers_.at(s), false, false);
        peers_.erase(s);
    }
}

// An early announcement, so a peer we just heard of hears of us without
// waiting for our next interval.
void LanDiscovery::answer_soon(MonoMs now) {
    if (!started_) return;
    MonoMs at = std::max(now, last_sent_ + config_.reply_gap_ms);
    next_at_ = std::min(next_at_, at);
}

void LanDiscovery::refuse(std::string_view source_ip, const char* why) {
    P2P_WARN_LIMITED(kModule, "LAN datagrams dropped", source_ip,
                     "dropping a LAN discovery datagram from %.*s: %s",
                     static_cast<int>(std::min<std::size_t>(source_ip.size(), 64)),
                     source_ip.data(), why);
}

void LanDiscovery::on_datagram(std::string_view source_ip, char* data, std::size_t len) {
    MonoMs now = clock_.mono_ms();
    ++counters_.received;
    // The source comes from the kernel, but it is dialed and shown later:
    // the name rule keeps controls and spaces out of it.
    if (source_ip.empty() || source_ip.size() >= sizeof(Peer::ip) || !is_valid_name(source_ip)) {
        ++counters_.bad_source;
        return;
    }
    if (!all_rate_.admit(now, config_.max_datagrams_per_second) ||
        !source_rate_.admit(source_ip, now, config_.max_datagrams_per_source)) {
        ++counters_.rate;
        refuse(source_ip, "over the rate limit");
        return;
    }
    LanAnnounce a;
    LanDecode result = decode_lan_announce(data, len, a);
    if (result != LanDecode::kOk) {
        ++counters_.refused;
        ++counters_.by_reason[static_cast<std::size_t>(result)];
        refuse(source_ip, lan_decode_name(result));
        return;
    }
    if (a.instance == std::string_view(instance_, kLanInstanceChars)) {
        ++counters_.own;
        return;
    }
    if (a.name == config_.name && a.ns == config_.ns) {
        ++counters_.conflict;
        P2P_WARN_LIMITED(kModule, "another node announces our name", source_ip,
                         "another node on the LAN at %.*s announces our name %s",
                         static_cast<int>(source_ip.size()), source_ip.data(), self_id_.c_str());
        return;
    }
    accept(source_ip, a, now);
}

void LanDiscovery::accept(std::string_view source_ip, const LanAnnounce& a, MonoMs now) {
    char id_buf[sizeof(Peer::id)];
    std::memcpy(id_buf, a.name.data(), a.name.size());
    id_buf[a.name.size()] = '@';
    std::memcpy(id_buf + a.name.size() + 1, a.ns.data(), a.ns.size());
    std::string_view id(id_buf, a.name.size() + 1 + a.ns.size());
    std::uint64_t key = SlotIndex::hash(id);
    int s = peers_.peek(key, [&](int slot) { return peers_.at(slot).peer_id() == id; });
    if (s >= 0) {
        update(s, source_ip, a, now);
        return;
    }
    if (!source_new_ids_.admit(source_ip, now, config_.max_new_peers_per_source)) {
        ++counters_.source_cap;
        refuse(source_ip, "too many new peer ids from one address");
        return;
    }
    if (peers_.full()) {
        ++counters_.table_full;
        refuse(source_ip, "LAN peer table full");
        return;
    }
    s = peers_.insert(key, now + expiry_ms());
    Peer& p = peers_.at(s);
    std::memcpy(p.id, id.data(), id.size());
    p.id_len = static_cast<std::uint8_t>(id.size());
    std::memcpy(p.ip, source_ip.data(), source_ip.size());
    p.ip_len = static_cast<std::uint8_t>(source_ip.size());
    p.port = a.port;
    std::memcpy(p.instance, a.instance.data(), kLanInstanceChars);
    p.address_heard = now;
    P2P_INFO(kModule, "found %.*s at %.*s port %u on the LAN", static_cast<int>(id.size()),
             id.data(), static_cast<int>(source_ip.size()), source_ip.data(),
             static_cast<unsigned>(a.port));
    emit(AdvertChange::kDiscovered, p, false, false);
    answer_soon(now);
}

// A peer heard again. Its address changes only for a good reason: it
// restarted (new instance), its IPv4 address was heard after an IPv6 one
// (preferred: no interface scope to carry), or the address we have has been
// silent for a whole interval. A node announcing on IPv4 and IPv6 at once
// would otherwise flip between the two at every datagram.
void LanDiscovery::update(int slot, std::string_view source_ip, const LanAnnounce& a, MonoMs now) {
    peers_.set_expiry(slot, now + expiry_ms());
    Peer& p = peers_.at(slot);
    bool restarted = a.instance != std::string_view(p.instance, kLanInstanceChars);
    bool same_address = p.address() == source_ip;
    bool move = same_address || restarted || (is_ipv4(source_ip) && !is_ipv4(p.address())) ||
                now - p.address_heard > config_.interval_ms + config_.interval_ms / 10;
    if (!move) return;
    bool changed = !same_address || p.port != a.port;
    if (!same_address) {
        std::memcpy(p.ip, source_ip.data(), source_ip.size());
        p.ip_len = static_cast<std::uint8_t>(source_ip.size());
    }
    p.port = a.port;
    p.address_heard = now;
    std::memcpy(p.instance, a.instance.data(), kLanInstanceChars);
    if (changed || restarted) emit(AdvertChange::kUpdated, p, changed, restarted);
    if (restarted) answer_soon(now);
}

void LanDiscovery::emit(AdvertChange change, const Peer& p, bool address_changed, bool restarted) {
    PeerAdvert advert;
    advert.change = change;
    advert.peer_id = p.peer_id();
    advert.ip = p.address();
    advert.port = p.port;
    advert.expires_in_s = expiry_ms() / 1000;
    advert.address_changed = address_changed;
    // A restarted node is worth dialing again even if we had given up on it
    // or it had said BYE, as after a fresh registration at the rendezvous.
    advert.reregistered = restarted;
    listener_.on_lan_peer(advert);
}

}  // namespace p2p
