// The relay's rate limits (docs/protocol.md §5 over_quota): messages relayed for
// each origin in its current one-second window (OriginRates), and messages
// received for relaying on one neighbour link (WindowRate, one per link), so
// that a neighbour cannot escape the per-origin limit by making up a fresh
// `src` for each message. A fixed number of origins is tracked (allocated at
// construction); a new origin takes the slot whose window is oldest. Hashed
// by origin: O(1) per relayed message.
#pragma once
#include <cstddef>
#include <string_view>

#include "core/clock.h"
#include "core/expiring_table.h"
#include "core/slot_index.h"

namespace p2p {

// One fixed one-second window: no memory beyond two words.
class WindowRate {
  public:
    static constexpr MonoMs kWindowMs = 1000;

    // Counts one message; false when that exceeds `limit` in the window.
    bool admit(MonoMs now, int limit) {
        if (now >= window_end_) {
            window_end_ = now + kWindowMs;
            count_ = 0;
        }
        return ++count_ <= limit;
    }
    void reset() {
        window_end_ = 0;
        count_ = 0;
    }

  private:
    MonoMs window_end_ = 0;
    int count_ = 0;
};

class OriginRates {
  public:
    static constexpr MonoMs kWindowMs = 1000;

    OriginRates(std::size_t origins, int per_window) : table_(origins), limit_(per_window) {}

    // Counts one message from `origin`; false when that makes it exceed the
    // limit for the current window (the message is refused: over_quota).
    bool admit(std::string_view origin, MonoMs now) {
        std::uint64_t key = SlotIndex::hash(origin);
        int s = table_.find(key, now);  // a window that has ended is dropped
        if (s < 0) s = table_.insert(key, now + kWindowMs);
        return ++table_.at(s) <= limit_;
    }

    std::size_t size() const { return table_.size(); }
    std::size_t capacity() const { return table_.capacity(); }
    std::uint64_t probes() const { return table_.probes(); }

  private:
    ExpiringTable<int> table_;  // messages in the window
    int limit_;
};

}  // namespace p2p
