// Slots of a fixed table grouped by key into lists, each in the order its
// slots were appended, with the first slot of each list found through a
// SlotIndex. Walking one key's slots costs only their number, never a scan
// of the table: a destination's pending SENDs (pending_acks.h), the routes
// through one link (route_cache.h).
//
// The caller identifies a key by its hash plus a predicate `same(slot)` that
// says whether a list's first slot holds that key (hashes may collide).
// Memory: two ints a slot and the index, allocated at construction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/invariant.h"
#include "core/slot_index.h"

namespace p2p {

class KeyedLists {
  public:
    explicit KeyedLists(std::size_t slots) : heads_(slots), next_(slots, -1), prev_(slots, -1) {}

    // The first slot of the key's list, or -1.
    template <class Same>
    int first(std::uint64_t hash, Same&& same) const {
        return heads_.find(hash, same);
    }
    // The slot after `slot` in its list, or -1. Taken before removing
    // `slot`, it lets a walk remove as it goes.
    int next(int slot) const { return next_[checked(slot)]; }

    // Appends `slot` (in no list) at the end of its key's list.
    template <class Same>
    void append(std::uint64_t hash, int slot, Same&& same) {
        std::size_t s = checked(slot);
        next_[s] = -1;
        int head = first(hash, same);
        if (head < 0) {
            prev_[s] = slot;  // alone: its own last
            heads_.insert(hash, slot);
            return;
        }
        int last = prev_[checked(head)];
        next_[checked(last)] = slot;
        prev_[s] = last;
        prev_[checked(head)] = slot;
    }

    // Takes `slot` out of its key's list.
    template <class Same>
    void remove(std::uint64_t hash, int slot, Same&& same) {
        std::size_t s = checked(slot);
        int head = first(hash, same);
        P2P_ASSERT(head >= 0);
        int after = next_[s];
        if (head == slot) {
            if (after < 0) {
                heads_.erase(hash, slot);
            } else {
                prev_[checked(after)] = prev_[s];  // the last stays the last
                heads_.replace(hash, slot, after);
            }
        } else {
            int before = prev_[s];
            next_[checked(before)] = after;
            prev_[checked(after >= 0 ? after : head)] = before;
        }
        next_[s] = -1;
        prev_[s] = -1;
    }

    std::uint64_t probes() const { return heads_.probes(); }

  private:
    std::size_t checked(int slot) const {
        P2P_ASSERT(slot >= 0 && static_cast<std::size_t>(slot) < next_.size());
        return static_cast<std::size_t>(slot);
    }

    SlotIndex heads_;        // key -> the first slot of its list
    std::vector<int> next_;  // the next slot, -1 at the end
    std::vector<int> prev_;  // the previous slot; the first slot's is the last
};

}  // namespace p2p
