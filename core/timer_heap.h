// An indexed min-heap of deadlines with one fixed slot per owner (link, peer
// record, pending SEND), so arming, moving and cancelling a deadline is
// O(log n), nothing is ever scanned periodically, and memory is fixed.
// Why not core/timer_queue.h, the reactor's heap: the engine's owners already
// have dense indices, so a slot needs no id, no generation, no free list and
// no handler/tag payload (16 bytes a slot here against a 40-byte entry plus a
// 12-byte slot there), its size is fixed at start instead of growing, and moving a
// deadline is one re-sift rather than cancel + push. TimerQueue's ids exist
// for callers that create and cancel timers at any rate and must not hit a
// reused slot with a stale id; its FIFO tie-break is what the loop promises.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/invariant.h"

namespace p2p {

class TimerHeap {
  public:
    explicit TimerHeap(std::size_t slots);
    // Arms or moves the deadline of `slot`.
    void set(std::size_t slot, MonoMs when);
    void clear(std::size_t slot);
    bool armed(std::size_t slot) const { return pos_[checked(slot)] >= 0; }
    bool empty() const { return size_ == 0; }
    std::size_t slots() const { return pos_.size(); }
    std::size_t top_slot() const {
        P2P_ASSERT(size_ > 0);
        return heap_[0];
    }
    MonoMs top_time() const { return when_[top_slot()]; }

  private:
    std::size_t checked(std::size_t slot) const {
        P2P_ASSERT(slot < pos_.size());
        return slot;
    }
    void swap_at(std::size_t a, std::size_t b);
    void up(std::size_t i);
    void down(std::size_t i);

    std::vector<std::uint32_t> heap_;
    std::vector<std::int32_t> pos_;  // -1 when not armed
    std::vector<MonoMs> when_;
    std::size_t size_ = 0;
};

}  // namespace p2p
