// A bounded memory of recently seen msg_ids (docs/protocol.md §4: 8192 entries and
// 10 minutes, whichever is smaller), so a SEND is shown once however many
// copies arrive and a PUB stops at a node that already had it.
//
// Entries are 64-bit hashes of (origin, msg_id), indexed by an
// open-addressing table, and owned by the link they came in on (owner 0:
// the node's own messages). An entry older than max_age is forgotten; when
// every entry is taken, the oldest entry of the link holding the most goes
// first (fair_slots.h), so one neighbour's flood of fresh msg_ids replaces
// its own entries, never the other links'. Fixed memory, no allocation
// after construction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/fair_slots.h"

namespace p2p {

class SeenCache {
  public:
    // `owners`: links that may own entries, plus one for the node's own.
    SeenCache(std::size_t capacity, MonoMs max_age_ms, std::size_t owners = 1);

    // True when (origin, id) was seen within the window; otherwise records it
    // for `owner` and returns false. Two origins that happen to pick the same
    // msg_id never suppress each other.
    bool check_and_insert(std::string_view origin, std::string_view id, MonoMs now,
                          std::size_t owner = 0);
    bool check_and_insert(std::string_view id, MonoMs now) { return check_and_insert({}, id, now); }
    bool contains(std::string_view origin, std::string_view id, MonoMs now);
    bool contains(std::string_view id, MonoMs now) { return contains({}, id, now); }
    std::size_t size() const { return slots_.size(); }
    std::size_t capacity() const { return slots_.capacity(); }
    std::size_t held_by(std::size_t owner) const { return slots_.count(owner); }

    static std::uint64_t hash(std::string_view id) { return hash({}, id); }
    static std::uint64_t hash(std::string_view origin, std::string_view id);

  private:
    struct Entry {
        std::uint64_t hash = 0;
        MonoMs at = 0;
    };
    // Live entry for h, or -1; an expired one found is forgotten with the
    // older entries of its owner (an owner's entries are in arrival order).
    int find_live(std::uint64_t h, MonoMs now);
    void expire(std::size_t owner, MonoMs now);
    void forget(int slot);
    std::size_t find_index(std::uint64_t h) const;  // table index holding h, or npos
    void erase_index(std::size_t i);

    FairSlots slots_;
    std::vector<Entry> entries_;        // by slot
    std::vector<std::uint32_t> table_;  // slot + 1; 0 = empty
    std::size_t mask_;
    MonoMs max_age_;
};

}  // namespace p2p
