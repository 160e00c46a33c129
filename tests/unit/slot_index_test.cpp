// The hash index from key to table slot: lookups, collisions resolved by the
// caller's predicate, deletion without tombstones, and O(1) probes on average
// at the largest table the options allow.
#include "core/slot_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2p {
namespace {

// An index over `n` slots that remembers each slot's key, as a table would,
// so lookups can confirm the key the way the engine's tables do.
struct Keyed {
    SlotIndex ix;
    std::vector<std::uint64_t> key_of;
    explicit Keyed(std::size_t n) : ix(n), key_of(n, 0) {}
    void insert(std::uint64_t h, int s) {
        key_of[std::size_t(s)] = h;
        ix.insert(h, s);
    }
    int find(std::uint64_t h) const {
        return ix.find(h, [&](int s) { return key_of[std::size_t(s)] == h; });
    }
};

TEST(SlotIndex, FindsWhatWasInsertedAndForgetsWhatWasErased) {
    Keyed k(8);
    k.insert(SlotIndex::hash("a"), 3);
    k.insert(SlotIndex::hash("b"), 5);
    EXPECT_EQ(k.find(SlotIndex::hash("a")), 3);
    EXPECT_EQ(k.find(SlotIndex::hash("b")), 5);
    EXPECT_EQ(k.find(SlotIndex::hash("c")), -1);
    k.ix.erase(SlotIndex::hash("a"), 3);
    EXPECT_EQ(k.find(SlotIndex::hash("a")), -1);
    EXPECT_EQ(k.find(SlotIndex::hash("b")), 5);
    k.ix.erase(SlotIndex::hash("a"), 3);  // absent: no-op
    k.ix.replace(SlotIndex::hash("b"), 5, 7);
    k.key_of[7] = SlotIndex::hash("b");
    EXPECT_EQ(k.find(SlotIndex::hash("b")), 7);
}

TEST(SlotIndex, HashesEqualInTheirLow32BitsAreToldApart) {
    Keyed k(4);
    std::uint64_t h1 = 0x0000000100000005ull, h2 = 0x0000000200000005ull;
    k.insert(h1, 0);
    k.insert(h2, 1);
    EXPECT_EQ(k.find(h1), 0);
    EXPECT_EQ(k.find(h2), 1);
    k.ix.erase(h1, 0);
    EXPECT_EQ(k.find(h1), -1);
    EXPECT_EQ(k.find(h2), 1);
}

TEST(SlotIndex, EqualHashesAreToldApartByThePredicate) {
    // Every key under one hash: the worst case for linear probing, and the
    // case where only the caller can say which slot holds which key.
    SlotIndex ix(16);
    std::vector<int> key_of_slot(16, -1);
    for (int s = 0; s < 10; ++s) {
        ix.insert(42, s);
        key_of_slot[static_cast<std::size_t>(s)] = 100 + s;
    }
    for (int s = 0; s < 10; ++s) {
        int want = 100 + s;
        EXPECT_EQ(ix.find(42, [&](int k) { return key_of_slot[std::size_t(k)] == want; }), s);
    }
    ix.erase(42, 4);
    EXPECT_EQ(ix.find(42, [&](int k) { return key_of_slot[std::size_t(k)] == 104; }), -1);
    EXPECT_EQ(ix.find(42, [&](int k) { return key_of_slot[std::size_t(k)] == 109; }), 9);
}

TEST(SlotIndex, ChurnAcrossWrapAroundKeepsEveryEntryReachable) {
    // Hashes chosen to land at the end of the table so probe runs wrap.
    Keyed k(4);  // 8 table entries
    std::uint64_t h[4] = {7, 15, 23, 6};
    for (int s = 0; s < 4; ++s)
        k.insert(h[s], s);
    k.ix.erase(h[0], 0);
    for (int s = 1; s < 4; ++s)
        EXPECT_EQ(k.find(h[s]), s) << s;
    k.insert(h[0], 0);
    k.ix.erase(h[1], 1);
    k.ix.erase(h[3], 3);
    EXPECT_EQ(k.find(h[0]), 0);
    EXPECT_EQ(k.find(h[2]), 2);
    EXPECT_EQ(k.find(h[1]), -1);
}

TEST(SlotIndex, ProbesStayConstantPerOperationAt65535Slots) {
    constexpr int kSlots = 65535;
    Keyed k(kSlots);
    SlotIndex& ix = k.ix;
    std::vector<std::uint64_t>& key = k.key_of;
    for (int s = 0; s < kSlots; ++s)
        k.insert(SlotIndex::hash("msg-" + std::to_string(s)), s);
    // Full table, then a long churn: erase one, insert a fresh key, look up.
    std::uint64_t before = ix.probes();
    constexpr int kOps = 200'000;
    for (int i = 0; i < kOps; ++i) {
        int s = (i * 7919) % kSlots;
        ix.erase(key[std::size_t(s)], s);
        k.insert(SlotIndex::hash("fresh-" + std::to_string(i)), s);
        EXPECT_EQ(k.find(key[std::size_t(s)]), s);
    }
    double per_op = double(ix.probes() - before) / (3.0 * kOps);
    // Linear probing at load 1/2 averages a few probes; a scan would be ~65535.
    EXPECT_LT(per_op, 8.0);
}

}  // namespace
}  // namespace p2p
