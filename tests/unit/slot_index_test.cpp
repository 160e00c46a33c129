// The hash index from key to table slot: lookups, collisions resolved by the
// caller's predicate, deletion without tombstones, and O(1) probes on average
// at the largest table the options allow.
#include "core/slot_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2p {
namespace {

TEST(SlotIndex, FindsWhatWasInsertedAndForgetsWhatWasErased) {
    SlotIndex ix(8);
    ix.insert(SlotIndex::hash("a"), 3);
    ix.insert(SlotIndex::hash("b"), 5);
    EXPECT_EQ(ix.find(SlotIndex::hash("a")), 3);
    EXPECT_EQ(ix.find(SlotIndex::hash("b")), 5);
    EXPECT_EQ(ix.find(SlotIndex::hash("c")), -1);
    ix.erase(SlotIndex::hash("a"), 3);
    EXPECT_EQ(ix.find(SlotIndex::hash("a")), -1);
    EXPECT_EQ(ix.find(SlotIndex::hash("b")), 5);
    ix.erase(SlotIndex::hash("a"), 3);  // absent: no-op
    ix.replace(SlotIndex::hash("b"), 5, 7);
    EXPECT_EQ(ix.find(SlotIndex::hash("b")), 7);
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
    SlotIndex ix(4);  // 8 table entries
    std::uint64_t h[4] = {7, 15, 23, 6};
    for (int s = 0; s < 4; ++s)
        ix.insert(h[s], s);
    ix.erase(h[0], 0);
    for (int s = 1; s < 4; ++s)
        EXPECT_EQ(ix.find(h[s]), s) << s;
    ix.insert(h[0], 0);
    ix.erase(h[1], 1);
    ix.erase(h[3], 3);
    EXPECT_EQ(ix.find(h[0]), 0);
    EXPECT_EQ(ix.find(h[2]), 2);
    EXPECT_EQ(ix.find(h[1]), -1);
}

TEST(SlotIndex, ProbesStayConstantPerOperationAt65535Slots) {
    constexpr int kSlots = 65535;
    SlotIndex ix(kSlots);
    std::vector<std::uint64_t> key(kSlots);
    for (int s = 0; s < kSlots; ++s) {
        key[std::size_t(s)] = SlotIndex::hash("msg-" + std::to_string(s));
        ix.insert(key[std::size_t(s)], s);
    }
    // Full table, then a long churn: erase one, insert a fresh key, look up.
    std::uint64_t before = ix.probes();
    constexpr int kOps = 200'000;
    for (int i = 0; i < kOps; ++i) {
        int s = (i * 7919) % kSlots;
        ix.erase(key[std::size_t(s)], s);
        key[std::size_t(s)] = SlotIndex::hash("fresh-" + std::to_string(i));
        ix.insert(key[std::size_t(s)], s);
        EXPECT_EQ(ix.find(key[std::size_t(s)]), s);
    }
    double per_op = double(ix.probes() - before) / (3.0 * kOps);
    // Linear probing at load 1/2 averages a few probes; a scan would be ~65535.
    EXPECT_LT(per_op, 8.0);
}

}  // namespace
}  // namespace p2p
