// The relay's per-origin rate limit: a token bucket per origin (one second's
// worth, refilled at the rate), a fixed number of origins tracked, the bucket
// that is full again soonest given up first.
#include "core/origin_rates.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(OriginRates, AdmitsABurstOfTheRateThenRefillsAtTheRate) {
    OriginRates r(8, 3);
    EXPECT_TRUE(r.admit("alice@CIC", 0));
    EXPECT_TRUE(r.admit("alice@CIC", 10));
    EXPECT_TRUE(r.admit("alice@CIC", 20));
    EXPECT_FALSE(r.admit("alice@CIC", 30));   // over_quota
    EXPECT_TRUE(r.admit("bob@CIC", 30));      // other origins unaffected
    EXPECT_FALSE(r.admit("alice@CIC", 200));  // 3/s: a token per 333 ms, not yet
    EXPECT_TRUE(r.admit("alice@CIC", 340));
    EXPECT_FALSE(r.admit("alice@CIC", 341));
    // After a pause the whole burst again, not more.
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(r.admit("alice@CIC", 5000));
    EXPECT_FALSE(r.admit("alice@CIC", 5000));
}

TEST(OriginRates, ANewOriginTakesTheBucketFullAgainSoonest) {
    OriginRates r(2, 1);
    EXPECT_TRUE(r.admit("a", 0));
    EXPECT_TRUE(r.admit("b", 100));
    EXPECT_TRUE(r.admit("c", 200));  // evicts a's bucket (full again first)
    EXPECT_EQ(r.size(), 2u);
    EXPECT_FALSE(r.admit("b", 300));  // b's bucket is still empty
    EXPECT_TRUE(r.admit("a", 300));   // a starts over: it was forgotten
}

TEST(OriginRates, ManyOriginsAt65535StayO1) {
    OriginRates r(65535, 50);
    constexpr int kOps = 300'000;
    for (int i = 0; i < kOps; ++i)
        r.admit("origin-" + std::to_string(i % 80'000), i / 1000);
    EXPECT_LE(r.size(), 65535u);
    EXPECT_LT(double(r.probes()) / kOps, 16.0);
}

}  // namespace
}  // namespace p2p
