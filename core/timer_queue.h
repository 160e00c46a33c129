// The reactor's timer queue: a binary min-heap of (deadline, id, handler,
// tag) ordered by (deadline, schedule order), for timers created and
// cancelled by id at any rate (EventLoop::schedule_at / cancel).
// Cancel is indexed, not lazy: every id names a slot that records the
// entry's heap position, so a cancelled timer leaves the heap at once and a
// churn of schedule/cancel never piles up dead entries. Slots and heap are
// reserved up front and only grow past their high-water mark; steady state
// allocates nothing. Pure: no clock, no syscalls.
// core/timer_heap.h is the other shape, kept apart on purpose: one fixed slot
// per owner for the engine, whose owners already have dense indices. Serving
// the loop from it would lose stale-id safety (generations), FIFO order among
// equal deadlines and growth; serving the engine from this one would add an
// id map and a bigger entry per owner for nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/clock.h"

namespace p2p {

class TimerQueue {
  public:
    using Id = std::uint64_t;  // 0 is never a valid id

    struct Entry {
        MonoMs deadline = 0;
        Id id = 0;
        void* handler = nullptr;
        std::uint64_t tag = 0;
        std::uint64_t seq = 0;  // schedule order: breaks deadline ties FIFO
    };

    explicit TimerQueue(std::size_t reserve = 1024);

    Id push(MonoMs deadline, void* handler, std::uint64_t tag);
    // False if the id is unknown, already fired or already cancelled.
    bool cancel(Id id);
    bool contains(Id id) const;

    // The earliest entry, if it is due at `now` and was scheduled before
    // `seq_limit` (see next_seq()): removes it into `out`. Lets a loop fire
    // what was due when it looked without chasing timers that handlers keep
    // scheduling for "now".
    bool pop_due(MonoMs now, Entry& out, std::uint64_t seq_limit = UINT64_MAX);
    // Earliest deadline; false when empty.
    bool next_deadline(MonoMs& out) const;
    std::uint64_t next_seq() const { return next_seq_; }

    std::size_t size() const { return heap_.size(); }
    bool empty() const { return heap_.empty(); }
    std::size_t capacity() const { return heap_.capacity(); }

  private:
    struct Slot {
        std::uint32_t generation = 1;  // bumped on every release; part of the id
        std::uint32_t pos = kFree;     // index in heap_, or kFree
        std::uint32_t next_free = kNone;
    };
    static constexpr std::uint32_t kFree = 0xffffffffu;
    static constexpr std::uint32_t kNone = 0xffffffffu;

    static std::uint32_t slot_of(Id id) { return static_cast<std::uint32_t>(id & 0xffffffffu); }
    static std::uint32_t gen_of(Id id) { return static_cast<std::uint32_t>(id >> 32); }
    bool less(std::size_t a, std::size_t b) const;
    void place(std::size_t pos, const Entry& e);
    void sift_up(std::size_t pos);
    void sift_down(std::size_t pos);
    void remove_at(std::size_t pos);
    void release(std::uint32_t slot);
    const Slot* live_slot(Id id) const;

    std::vector<Entry> heap_;
    std::vector<Slot> slots_;
    std::uint32_t free_head_ = kNone;
    std::uint64_t next_seq_ = 1;
};

}  // namespace p2p
