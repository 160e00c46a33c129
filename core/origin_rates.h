// The relay's rate limits (docs/protocol.md §5 "Admission"): a token bucket
// per neighbour link (TokenBucket, one in each Link) and one per origin
// (OriginRates), so that a neighbour cannot escape the per-origin limit by
// making up a fresh `src` for each message. A bucket holds one second's
// worth of messages (burst = rate) and refills continuously at the rate: a
// burst after a pause goes through whole, a flood gets the rate and no more.
// A fixed number of origins is tracked (allocated at construction); a new
// origin takes the slot of the bucket that is fullest again soonest (a full
// bucket is the same as a fresh one). Hashed by origin: O(1) per message.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/expiring_table.h"
#include "core/slot_index.h"

namespace p2p {

// Two words: the tokens spent (in thousandths, so a refill of `rate` per
// second is `rate` thousandths per millisecond, exact in integers) and when.
class TokenBucket {
  public:
    static constexpr std::int64_t kUnit = 1000;  // one message, in thousandths of a token

    // Takes one token from a bucket of `rate` per second holding at most
    // `rate` (the burst); false when it is empty (the message is refused).
    bool admit(MonoMs now, int rate) {
        refill(now, rate);
        if (spent_ + kUnit > std::int64_t{rate} * kUnit) return false;
        spent_ += kUnit;
        return true;
    }
    // Milliseconds until the bucket is full again (a fresh bucket is full).
    MonoMs until_full(int rate) const { return (spent_ + rate - 1) / std::max(rate, 1); }
    void reset() {
        spent_ = 0;
        at_ = 0;
    }

  private:
    void refill(MonoMs now, int rate) {
        if (now <= at_) return;
        // Capped so the product cannot overflow; a bucket is full after 1 s.
        MonoMs elapsed = std::min<MonoMs>(now - at_, 1'000'000);
        spent_ = std::max<std::int64_t>(0, spent_ - elapsed * rate);
        at_ = now;
    }

    std::int64_t spent_ = 0;
    MonoMs at_ = 0;
};

class OriginRates {
  public:
    OriginRates(std::size_t origins, int rate) : table_(origins), rate_(std::max(rate, 1)) {}

    // Takes one token from `origin`'s bucket; false when it is empty (the
    // message is refused: over_quota).
    bool admit(std::string_view origin, MonoMs now) {
        std::uint64_t key = SlotIndex::hash(origin);
        int s = table_.find(key, now);  // a bucket full again is dropped: a fresh one is the same
        if (s < 0) s = table_.insert(key, now + 1);
        TokenBucket& b = table_.at(s);
        bool ok = b.admit(now, rate_);
        // Kept at least until it is full again; moved in steps of kSlackMs so
        // a steady stream touches the expiry heap a few times a second, not
        // once per message (a full bucket kept longer is harmless).
        MonoMs full_at = now + b.until_full(rate_) + 1;
        if (table_.expires(s) < full_at) table_.set_expiry(s, full_at + kSlackMs);
        return ok;
    }

    std::size_t size() const { return table_.size(); }
    std::size_t capacity() const { return table_.capacity(); }
    std::uint64_t probes() const { return table_.probes(); }

  private:
    static constexpr MonoMs kSlackMs = 250;

    ExpiringTable<TokenBucket> table_;
    int rate_;
};

}  // namespace p2p
