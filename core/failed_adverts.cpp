#include "core/failed_adverts.h"

#include <algorithm>

namespace p2p {

FailedAdverts::FailedAdverts(std::size_t capacity, MonoMs hold_ms)
    : ring_(std::max<std::size_t>(capacity, 1)), index_(ring_.size()), hold_ms_(hold_ms) {}

std::uint64_t FailedAdverts::key(std::string_view peer_id, std::string_view ip,
                                 std::uint16_t port) {
    // The address is part of the key: a peer that moves gets a new probation.
    return SlotIndex::hash(peer_id, ip) ^ (std::uint64_t{port} * 0x9E3779B97F4A7C15ull);
}

int FailedAdverts::slot_of(std::uint64_t k) const {
    return index_.find(k, [&](int s) { return ring_[static_cast<std::size_t>(s)].key == k; });
}

void FailedAdverts::add(std::string_view peer_id, std::string_view ip, std::uint16_t port,
                        MonoMs now) {
    std::uint64_t k = key(peer_id, ip, port);
    int s = slot_of(k);
    if (s >= 0) {
        ring_[static_cast<std::size_t>(s)].until = now + hold_ms_;
        return;
    }
    Entry& e = ring_[next_];
    if (e.until != 0) index_.erase(e.key, static_cast<int>(next_));  // the oldest makes room
    e = Entry{k, std::max<MonoMs>(now + hold_ms_, 1)};
    index_.insert(k, static_cast<int>(next_));
    next_ = (next_ + 1) % ring_.size();
}

bool FailedAdverts::contains(std::string_view peer_id, std::string_view ip, std::uint16_t port,
                             MonoMs now) const {
    int s = slot_of(key(peer_id, ip, port));
    return s >= 0 && ring_[static_cast<std::size_t>(s)].until > now;
}

void FailedAdverts::erase(std::string_view peer_id, std::string_view ip, std::uint16_t port) {
    std::uint64_t k = key(peer_id, ip, port);
    int s = slot_of(k);
    if (s < 0) return;
    index_.erase(k, s);
    ring_[static_cast<std::size_t>(s)].until = 0;
}

}  // namespace p2p
