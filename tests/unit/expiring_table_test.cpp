// The bounded expiring table under the relay's route cache, passed-back ACKs
// and rate windows: capacity, which entry is evicted, lookups after eviction,
// expiry, and O(1) average cost at 65535 entries.
#include "core/expiring_table.h"

#include <gtest/gtest.h>

namespace p2p {
namespace {

TEST(ExpiringTable, NeverHoldsMoreThanItsCapacity) {
    ExpiringTable<int> t(4);
    for (std::uint64_t k = 1; k <= 10; ++k) {
        t.insert(k, 1000 + MonoMs(k));
        EXPECT_LE(t.size(), 4u);
    }
    EXPECT_EQ(t.size(), 4u);
    EXPECT_EQ(t.evictions(), 6u);
}

TEST(ExpiringTable, EvictsTheEntryClosestToExpiry) {
    ExpiringTable<int> t(3);
    t.at(t.insert(1, 500)) = 10;
    t.at(t.insert(2, 300)) = 20;
    t.at(t.insert(3, 400)) = 30;
    t.insert(4, 600);  // full: key 2 (expires first) goes
    EXPECT_EQ(t.find(2, 0), -1);
    EXPECT_EQ(t.at(t.find(1, 0)), 10);
    EXPECT_EQ(t.at(t.find(3, 0)), 30);
    // A refreshed entry is no longer the first to go.
    t.set_expiry(t.find(3, 0), 900);
    t.insert(5, 700);  // key 1 (500) goes, not 3
    EXPECT_EQ(t.find(1, 0), -1);
    EXPECT_GE(t.find(3, 0), 0);
    EXPECT_GE(t.find(4, 0), 0);
    EXPECT_GE(t.find(5, 0), 0);
}

TEST(ExpiringTable, EvictedSlotsAreReusedWithFreshValues) {
    ExpiringTable<int> t(2);
    t.at(t.insert(1, 100)) = 11;
    t.at(t.insert(2, 200)) = 22;
    int s = t.insert(3, 300);
    EXPECT_EQ(t.at(s), 0);  // value starts default, not the evicted one's
    EXPECT_EQ(t.find(1, 0), -1);
    t.at(s) = 33;
    EXPECT_EQ(t.at(t.find(3, 0)), 33);
    EXPECT_EQ(t.at(t.find(2, 0)), 22);
}

TEST(ExpiringTable, ExpiredEntriesAreNotFoundAndFreeTheirSlot) {
    ExpiringTable<int> t(2);
    t.insert(1, 100);
    t.insert(2, 200);
    EXPECT_GE(t.find(1, 99), 0);
    EXPECT_EQ(t.find(1, 100), -1);  // expires at 100: gone from 100 on
    EXPECT_EQ(t.size(), 1u);
    t.insert(3, 300);  // takes the freed slot, evicts nothing
    EXPECT_EQ(t.evictions(), 0u);
    EXPECT_GE(t.find(2, 150), 0);
}

TEST(ExpiringTable, EraseFreesTheSlot) {
    ExpiringTable<int> t(1);
    int s = t.insert(7, 100);
    t.erase(s);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_FALSE(t.used(s));
    EXPECT_EQ(t.find(7, 0), -1);
    t.insert(8, 100);
    EXPECT_EQ(t.evictions(), 0u);
}

TEST(ExpiringTable, ManyOperationsAt65535EntriesStayCheap) {
    constexpr std::size_t kCap = 65535;
    ExpiringTable<int> t(kCap);
    constexpr std::uint64_t kOps = 400'000;
    MonoMs now = 0;
    for (std::uint64_t i = 1; i <= kOps; ++i) {
        now += 1;
        std::uint64_t key = i * 0x9E3779B97F4A7C15ull;
        int s = t.find(key, now);
        if (s < 0) s = t.insert(key, now + 100'000);
        ++t.at(s);
        // Refresh an older key now and then.
        if (i % 3 == 0) {
            int old = t.find((i / 2) * 0x9E3779B97F4A7C15ull, now);
            if (old >= 0) t.set_expiry(old, now + 100'000);
        }
    }
    EXPECT_EQ(t.size(), kCap);
    EXPECT_GT(t.evictions(), kOps - kCap - 1000);
    // Index probes per operation stay small; a scan would cost ~kCap each.
    EXPECT_LT(double(t.probes()) / double(kOps), 16.0);
}

}  // namespace
}  // namespace p2p
