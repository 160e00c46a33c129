// A bounded memory of recently seen msg_ids (docs/protocol.md §4: 8192 entries and
// 10 minutes, whichever is smaller), so a SEND is shown once however many
// copies arrive and a PUB stops at a node that already had it.
//
// Entries are 64-bit hashes of the msg_id kept in arrival order (a ring) and
// indexed by an open-addressing table; the oldest entry is forgotten when the
// ring is full or it is older than max_age. Fixed memory, no allocation after
// construction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace p2p {

class SeenCache {
  public:
    SeenCache(std::size_t capacity, MonoMs max_age_ms);

    // True when `id` was seen within the window; otherwise records it and
    // returns false.
    bool check_and_insert(std::string_view id, MonoMs now) { return check_and_insert({}, id, now); }
    bool contains(std::string_view id, MonoMs now) { return contains({}, id, now); }
    // Keyed by origin and msg_id, so two origins that happen to pick the
    // same msg_id never suppress each other.
    bool check_and_insert(std::string_view origin, std::string_view id, MonoMs now);
    bool contains(std::string_view origin, std::string_view id, MonoMs now);
    std::size_t size() const { return count_; }
    std::size_t capacity() const { return ring_.size(); }

    static std::uint64_t hash(std::string_view id) { return hash({}, id); }
    static std::uint64_t hash(std::string_view origin, std::string_view id);

  private:
    struct Entry {
        std::uint64_t hash;
        MonoMs at;
    };
    void expire(MonoMs now);
    void evict_oldest();
    std::size_t find_slot(std::uint64_t h) const;  // table slot holding h, or npos
    void erase_slot(std::size_t slot);

    std::vector<Entry> ring_;
    std::size_t head_ = 0;  // oldest
    std::size_t count_ = 0;
    std::vector<std::uint32_t> table_;  // ring index + 1; 0 = empty
    std::size_t mask_;
    MonoMs max_age_;
};

}  // namespace p2p
