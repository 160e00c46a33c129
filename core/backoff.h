// Exponential backoff with jitter, for every retry the engine schedules: a
// peer's redial (core/peer_table) and a failed rendezvous request
// (core/rendezvous_client). Callers differ only in where the jitter goes.
#pragma once
#include "core/clock.h"
#include "core/rng.h"

namespace p2p {

enum class Jitter : unsigned char {
    // Uniform in [step/2, step]: never sooner than half the step, so nodes
    // that failed together spread out without retrying much earlier.
    kEqual,
    // Uniform in [step, step + step/4]: never sooner than the step itself.
    kUpToQuarterMore,
};

struct BackoffPolicy {
    MonoMs initial_ms = 1'000;
    MonoMs max_ms = 300'000;
    Jitter jitter = Jitter::kEqual;
};

// The delay before retry number `attempt` (1-based; below 1 counts as 1). The
// step is initial * 2^(attempt-1), capped at max; the jitter draws exactly
// one number from rng.
MonoMs backoff_delay(const BackoffPolicy& policy, int attempt, Rng& rng);

}  // namespace p2p
