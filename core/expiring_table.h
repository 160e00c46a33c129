// A bounded table of entries that expire: fixed slots allocated at
// construction, a SlotIndex from key hash to slot, and a TimerHeap of expiry
// times. The relay's tables (route cache, passed-back ACKs, per-origin rate
// windows) are built on it.
//
// Lookup, insert, refresh and erase are O(1) on average for the index plus
// O(log n) for the heap; nothing scans the slots. A full table makes room by
// evicting the entry closest to expiry (an expired one first, if any),
// because that is the entry least worth keeping. An entry found expired is
// dropped on the spot, so lookups never return stale entries. A key is a
// 64-bit hash, kept whole in its slot; callers whose keys are strings pass a
// predicate that compares the string too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/invariant.h"
#include "core/slot_index.h"
#include "core/timer_heap.h"

namespace p2p {

template <class Value>
class ExpiringTable {
  public:
    explicit ExpiringTable(std::size_t capacity)
        : cap_(capacity < 1 ? 1 : capacity), slots_(cap_), index_(cap_), expiry_(cap_) {
        free_.reserve(cap_);
        for (std::size_t i = cap_; i-- > 0;)
            free_.push_back(static_cast<int>(i));
    }

    // The slot holding `key` for which same(slot) holds, expired or not, or -1.
    template <class Same>
    int peek(std::uint64_t key, Same&& same) const {
        return index_.find(key, [&](int s) { return checked(s).key == key && same(s); });
    }
    // The live slot holding `key` for which same(slot) holds, or -1. An
    // expired entry found on the way is erased.
    template <class Same>
    int find(std::uint64_t key, MonoMs now, Same&& same) {
        int s = peek(key, same);
        if (s >= 0 && slots_[static_cast<std::size_t>(s)].expires <= now) {
            erase(s);
            return -1;
        }
        return s;
    }
    int find(std::uint64_t key, MonoMs now) {
        return find(key, now, [](int) { return true; });
    }

    // A slot for a new entry under `key` (the caller checked it is absent),
    // evicting the entry closest to expiry when the table is full. The
    // value is default-constructed.
    int insert(std::uint64_t key, MonoMs expires) {
        if (full()) {
            erase(soonest());
            ++evictions_;
        }
        int s = free_.back();
        free_.pop_back();
        Slot& e = slots_[static_cast<std::size_t>(s)];
        e.used = true;
        e.key = key;
        e.expires = expires;
        e.value = Value{};
        index_.insert(key, s);
        expiry_.set(static_cast<std::size_t>(s), expires);
        ++size_;
        return s;
    }

    void set_expiry(int slot, MonoMs expires) {
        Slot& e = checked(slot);
        e.expires = expires;
        expiry_.set(static_cast<std::size_t>(slot), expires);
    }

    void erase(int slot) {
        Slot& e = checked(slot);
        if (!e.used) return;
        index_.erase(e.key, slot);
        expiry_.clear(static_cast<std::size_t>(slot));
        e.used = false;
        free_.push_back(slot);
        --size_;
    }

    Value& at(int slot) { return checked(slot).value; }
    const Value& at(int slot) const { return checked(slot).value; }
    bool used(int slot) const { return checked(slot).used; }
    MonoMs expires(int slot) const { return checked(slot).expires; }

    bool full() const { return free_.empty(); }
    // The entry insert() would evict next: the one closest to expiry; -1 if none.
    int soonest() const { return expiry_.empty() ? -1 : static_cast<int>(expiry_.top_slot()); }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return cap_; }
    std::uint64_t evictions() const { return evictions_; }
    std::uint64_t probes() const { return index_.probes(); }

  private:
    struct Slot {
        bool used = false;
        std::uint64_t key = 0;
        MonoMs expires = 0;
        Value value{};
    };
    Slot& checked(int slot) {
        P2P_ASSERT(slot >= 0 && static_cast<std::size_t>(slot) < cap_);
        return slots_[static_cast<std::size_t>(slot)];
    }
    const Slot& checked(int slot) const {
        P2P_ASSERT(slot >= 0 && static_cast<std::size_t>(slot) < cap_);
        return slots_[static_cast<std::size_t>(slot)];
    }

    std::size_t cap_;
    std::vector<Slot> slots_;
    std::vector<int> free_;
    SlotIndex index_;
    TimerHeap expiry_;
    std::size_t size_ = 0;
    std::uint64_t evictions_ = 0;
};

}  // namespace p2p
