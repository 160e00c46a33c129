// core/backoff.h: one exponential backoff for every retry, and the two jitter
// shapes its callers keep (peer redial, rendezvous request).
#include "core/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace p2p {
namespace {

// The smallest and largest of 200 delays for one attempt.
struct Range {
    MonoMs lo = INT64_MAX, hi = 0;
};
Range sample(const BackoffPolicy& policy, int attempt, Rng& rng) {
    Range r;
    for (int i = 0; i < 200; ++i) {
        MonoMs d = backoff_delay(policy, attempt, rng);
        r.lo = std::min(r.lo, d);
        r.hi = std::max(r.hi, d);
    }
    return r;
}

// The rendezvous client's schedule: never sooner than half the step.
TEST(Backoff, EqualJitterFromHalfTheStepToTheStep) {
    Rng rng(7);
    for (int attempt = 1; attempt <= 14; ++attempt) {
        MonoMs step = std::min<MonoMs>(1000LL << (attempt - 1), 300'000);
        Range r = sample({1000, 300'000, Jitter::kEqual}, attempt, rng);
        EXPECT_GE(r.lo, step / 2) << attempt;
        EXPECT_LE(r.hi, step) << attempt;
        EXPECT_GT(r.hi, r.lo) << attempt;  // the jitter actually varies
    }
}

// The peer table's redial schedule: never sooner than the step.
TEST(Backoff, PeerRedialFromOneSecondToFiveMinutesPlusAQuarter) {
    Rng rng(99);
    for (int attempt = 1; attempt <= 12; ++attempt) {
        MonoMs base = std::min<MonoMs>(1000LL << (attempt - 1), 300'000);
        Range r = sample({1000, 300'000, Jitter::kUpToQuarterMore}, attempt, rng);
        EXPECT_GE(r.lo, base) << attempt;
        EXPECT_LE(r.hi, base + base / 4) << attempt;
        EXPECT_GT(r.hi, r.lo) << attempt;
    }
}

TEST(Backoff, AttemptsBelowOneCountAsTheFirst) {
    BackoffPolicy policy{1000, 300'000, Jitter::kUpToQuarterMore};
    for (int attempt : {0, -5}) {
        Rng a(3), b(3);
        EXPECT_EQ(backoff_delay(policy, attempt, a), backoff_delay(policy, 1, b));
    }
}

TEST(Backoff, HugeAttemptsStayAtTheCapWithoutOverflow) {
    Rng rng(1);
    BackoffPolicy policy{1000, INT64_MAX / 2, Jitter::kEqual};
    MonoMs d = backoff_delay(policy, 1'000'000, rng);
    EXPECT_GE(d, INT64_MAX / 4);
    EXPECT_LE(d, INT64_MAX / 2);
    EXPECT_EQ(backoff_delay({0, 300'000, Jitter::kEqual}, 1'000'000, rng), 0);
}

// Each delay draws exactly one number, so a seeded run replays exactly
// (simulations depend on it) whatever the jitter shape.
TEST(Backoff, DrawsOneNumberPerDelay) {
    for (Jitter jitter : {Jitter::kEqual, Jitter::kUpToQuarterMore}) {
        Rng used(5), reference(5);
        backoff_delay({1000, 300'000, jitter}, 3, used);
        reference.next();
        EXPECT_EQ(used.next(), reference.next());
    }
}

TEST(Backoff, SpreadsRetriesOfNodesThatFailedTogether) {
    std::set<MonoMs> seen;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
        Rng rng(seed);
        seen.insert(backoff_delay({1000, 300'000, Jitter::kEqual}, 5, rng));
    }
    EXPECT_GT(seen.size(), 50u);
    EXPECT_LT(*seen.begin(), 10'000);   // spans the lower ...
    EXPECT_GT(*seen.rbegin(), 14'000);  // ... and upper part of [8 s, 16 s]
}

}  // namespace
}  // namespace p2p
