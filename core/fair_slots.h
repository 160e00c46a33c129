// Fixed slots shared by owners (one per link, plus the node itself), so that
// one owner's flood cannot push the others' entries out: when every slot is
// taken, the slot to give up is the oldest entry of the owner holding the
// most (docs/security.md "Relay floods"). The seen-msg_id cache and the
// table of answers passed back are built on it.
//
// Each owner's entries form a list, oldest first, threaded through the slots
// (no allocation after construction). The owner holding the most is tracked
// as the last owner that grew past it, updated on each take(): O(1), and
// exact while one owner floods (it is the one that keeps growing). The
// caller keeps its own index from key to slot: it forgets the victim() slot
// there and release()s it before take()ing a new one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/invariant.h"

namespace p2p {

class FairSlots {
  public:
    FairSlots(std::size_t capacity, std::size_t owners)
        : slots_(capacity < 1 ? 1 : capacity), owners_(owners < 1 ? 1 : owners) {
        free_.reserve(slots_.size());
        for (std::size_t i = slots_.size(); i-- > 0;)
            free_.push_back(static_cast<int>(i));
    }

    bool full() const { return free_.empty(); }
    std::size_t size() const { return slots_.size() - free_.size(); }
    std::size_t capacity() const { return slots_.size(); }
    std::size_t owners() const { return owners_.size(); }
    std::size_t count(std::size_t owner) const { return owners_[checked_owner(owner)].count; }
    std::size_t owner_of(int slot) const { return slots_[checked(slot)].owner; }
    // The owner's oldest slot, or -1.
    int oldest(std::size_t owner) const { return owners_[checked_owner(owner)].head; }
    // The slot after `slot` in its owner's list (newer), or -1.
    int newer(int slot) const { return slots_[checked(slot)].next; }

    // The slot to give up before `owner` takes one from a full table: its own
    // oldest when it holds at least as many as anyone, else the oldest of the
    // owner holding the most.
    int victim(std::size_t owner) const {
        std::size_t o = checked_owner(owner);
        std::size_t v = owners_[o].count >= owners_[heaviest_].count ? o : heaviest_;
        if (owners_[v].head < 0) v = o;  // (only when nobody holds anything)
        return owners_[v].head;
    }

    // A free slot (the caller checked !full()), appended to `owner`'s list.
    int take(std::size_t owner) {
        P2P_ASSERT(!free_.empty());
        std::size_t o = checked_owner(owner);
        int s = free_.back();
        free_.pop_back();
        Slot& e = slots_[static_cast<std::size_t>(s)];
        Owner& w = owners_[o];
        e.owner = static_cast<std::uint32_t>(o);
        e.prev = w.tail;
        e.next = -1;
        if (w.tail >= 0)
            slots_[static_cast<std::size_t>(w.tail)].next = s;
        else
            w.head = s;
        w.tail = s;
        ++w.count;
        if (w.count > owners_[heaviest_].count) heaviest_ = o;
        return s;
    }

    void release(int slot) {
        Slot& e = slots_[checked(slot)];
        Owner& w = owners_[e.owner];
        (e.prev >= 0 ? slots_[static_cast<std::size_t>(e.prev)].next : w.head) = e.next;
        (e.next >= 0 ? slots_[static_cast<std::size_t>(e.next)].prev : w.tail) = e.prev;
        --w.count;
        e.prev = e.next = -1;
        free_.push_back(slot);
    }

  private:
    struct Slot {
        int prev = -1;
        int next = -1;
        std::uint32_t owner = 0;
    };
    struct Owner {
        int head = -1;  // oldest
        int tail = -1;  // newest
        std::size_t count = 0;
    };
    std::size_t checked(int slot) const {
        P2P_ASSERT(slot >= 0 && static_cast<std::size_t>(slot) < slots_.size());
        return static_cast<std::size_t>(slot);
    }
    std::size_t checked_owner(std::size_t owner) const {
        P2P_ASSERT(owner < owners_.size());
        return owner;
    }

    std::vector<Slot> slots_;
    std::vector<Owner> owners_;
    std::vector<int> free_;
    std::size_t heaviest_ = 0;
};

}  // namespace p2p
