#include "core/seen_cache.h"

#include <algorithm>

#include "core/invariant.h"
#include "core/slot_index.h"

namespace p2p {

namespace {
constexpr std::size_t kNpos = ~std::size_t{0};
}

SeenCache::SeenCache(std::size_t capacity, MonoMs max_age_ms)
    : ring_(std::max<std::size_t>(1, capacity)), max_age_(max_age_ms) {
    std::size_t size = 2;
    while (size < ring_.size() * 2)
        size <<= 1;  // load factor <= 1/2
    table_.assign(size, 0);
    mask_ = size - 1;
}

std::uint64_t SeenCache::hash(std::string_view origin, std::string_view id) {
    return SlotIndex::hash(origin, id);
}

std::size_t SeenCache::find_slot(std::uint64_t h) const {
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
        std::uint32_t v = table_[i];
        if (v == 0) return kNpos;
        P2P_ASSERT(v - 1 < ring_.size());
        if (ring_[v - 1].hash == h) return i;
    }
}

void SeenCache::erase_slot(std::size_t i) {
    // Backward-shift deletion keeps linear probing free of tombstones.
    std::size_t j = i;
    for (;;) {
        j = (j + 1) & mask_;
        std::uint32_t v = table_[j];
        if (v == 0) break;
        P2P_ASSERT(v - 1 < ring_.size());
        std::size_t home = ring_[v - 1].hash & mask_;
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            table_[i] = v;
            i = j;
        }
    }
    table_[i] = 0;
}

void SeenCache::evict_oldest() {
    std::size_t slot = find_slot(ring_[head_].hash);
    // The same hash may have been inserted twice only if it expired in between;
    // find_slot returns the live one, which must be this ring entry to erase.
    if (slot != kNpos && table_[slot] == head_ + 1) erase_slot(slot);
    head_ = (head_ + 1) % ring_.size();
    --count_;
}

void SeenCache::expire(MonoMs now) {
    while (count_ > 0 && now - ring_[head_].at >= max_age_)
        evict_oldest();
}

bool SeenCache::contains(std::string_view origin, std::string_view id, MonoMs now) {
    expire(now);
    return find_slot(hash(origin, id)) != kNpos;
}

bool SeenCache::check_and_insert(std::string_view origin, std::string_view id, MonoMs now) {
    expire(now);
    std::uint64_t h = hash(origin, id);
    if (find_slot(h) != kNpos) return true;
    if (count_ == ring_.size()) evict_oldest();
    std::size_t idx = (head_ + count_) % ring_.size();
    ring_[idx] = Entry{h, now};
    ++count_;
    std::size_t i = h & mask_;
    while (table_[i] != 0)
        i = (i + 1) & mask_;
    table_[i] = static_cast<std::uint32_t>(idx + 1);
    return false;
}

}  // namespace p2p
