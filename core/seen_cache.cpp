#include "core/seen_cache.h"

#include <algorithm>

#include "core/invariant.h"
#include "core/slot_index.h"

namespace p2p {

namespace {
constexpr std::size_t kNpos = ~std::size_t{0};
}

SeenCache::SeenCache(std::size_t capacity, MonoMs max_age_ms, std::size_t owners)
    : slots_(std::max<std::size_t>(1, capacity), owners),
      entries_(slots_.capacity()),
      max_age_(max_age_ms) {
    std::size_t size = 2;
    while (size < entries_.size() * 2)
        size <<= 1;  // load factor <= 1/2
    table_.assign(size, 0);
    mask_ = size - 1;
}

std::uint64_t SeenCache::hash(std::string_view origin, std::string_view id) {
    return SlotIndex::hash(origin, id);
}

std::size_t SeenCache::find_index(std::uint64_t h) const {
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
        std::uint32_t v = table_[i];
        if (v == 0) return kNpos;
        P2P_ASSERT(v - 1 < entries_.size());
        if (entries_[v - 1].hash == h) return i;
    }
}

void SeenCache::erase_index(std::size_t i) {
    // Backward-shift deletion keeps linear probing free of tombstones.
    std::size_t j = i;
    for (;;) {
        j = (j + 1) & mask_;
        std::uint32_t v = table_[j];
        if (v == 0) break;
        P2P_ASSERT(v - 1 < entries_.size());
        std::size_t home = entries_[v - 1].hash & mask_;
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            table_[i] = v;
            i = j;
        }
    }
    table_[i] = 0;
}

void SeenCache::forget(int slot) {
    std::size_t i = find_index(entries_[static_cast<std::size_t>(slot)].hash);
    // A hash is in the table once (an expired duplicate is forgotten before
    // its hash is inserted again), so the index found is this slot's.
    P2P_ASSERT(i != kNpos && table_[i] == static_cast<std::uint32_t>(slot) + 1);
    if (i != kNpos) erase_index(i);
    slots_.release(slot);
}

void SeenCache::expire(std::size_t owner, MonoMs now) {
    for (int s = slots_.oldest(owner);
         s >= 0 && now - entries_[static_cast<std::size_t>(s)].at >= max_age_;
         s = slots_.oldest(owner))
        forget(s);
}

int SeenCache::find_live(std::uint64_t h, MonoMs now) {
    std::size_t i = find_index(h);
    if (i == kNpos) return -1;
    int s = static_cast<int>(table_[i] - 1);
    if (now - entries_[static_cast<std::size_t>(s)].at < max_age_) return s;
    expire(slots_.owner_of(s), now);  // s and every older entry of its owner
    return -1;
}

bool SeenCache::contains(std::string_view origin, std::string_view id, MonoMs now) {
    return find_live(hash(origin, id), now) >= 0;
}

bool SeenCache::check_and_insert(std::string_view origin, std::string_view id, MonoMs now,
                                 std::size_t owner) {
    std::uint64_t h = hash(origin, id);
    if (find_live(h, now) >= 0) return true;
    expire(owner, now);
    if (slots_.full()) forget(slots_.victim(owner));
    int s = slots_.take(owner);
    entries_[static_cast<std::size_t>(s)] = Entry{h, now};
    std::size_t i = h & mask_;
    while (table_[i] != 0)
        i = (i + 1) & mask_;
    table_[i] = static_cast<std::uint32_t>(s) + 1;
    return false;
}

}  // namespace p2p
