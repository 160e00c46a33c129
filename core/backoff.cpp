#include "core/backoff.h"

#include <algorithm>

namespace p2p {

MonoMs backoff_delay(const BackoffPolicy& policy, int attempt, Rng& rng) {
    MonoMs step = policy.initial_ms;
    // Doubling stops at the cap (never overflowing), or at once for a zero step.
    for (int i = 1; i < attempt && step > 0 && step < policy.max_ms; ++i)
        step = step > policy.max_ms / 2 ? policy.max_ms : step * 2;
    step = std::min(step, policy.max_ms);
    MonoMs low = policy.jitter == Jitter::kEqual ? step / 2 : step;
    MonoMs span = policy.jitter == Jitter::kEqual ? step - low : step / 4;
    return low + static_cast<MonoMs>(rng.below(static_cast<std::uint64_t>(span) + 1));
}

}  // namespace p2p
