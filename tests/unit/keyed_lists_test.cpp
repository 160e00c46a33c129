// Slots grouped by key into ordered lists: append order, removal from the
// front, middle and end, walks that remove as they go, colliding hashes told
// apart, and O(1) per operation at 65535 slots.
#include "core/keyed_lists.h"

#include <gtest/gtest.h>

#include <vector>

namespace p2p {
namespace {

struct Lists {
    std::vector<int> key;  // key of each slot
    KeyedLists lists;
    explicit Lists(std::size_t n) : key(n, -1), lists(n) {}
    // Deliberately coarse: every four keys share one hash, which only the
    // predicate tells apart. Spread over the index like a real hash.
    static std::uint64_t hash(int k) { return std::uint64_t(k / 4 + 1) * 0x9E3779B97F4A7C15ull; }
    auto same(int k) const {
        return [this, k](int s) { return key[std::size_t(s)] == k; };
    }
    void add(int slot, int k) {
        key[std::size_t(slot)] = k;
        lists.append(hash(k), slot, same(k));
    }
    void remove(int slot) {
        int k = key[std::size_t(slot)];
        lists.remove(hash(k), slot, same(k));
    }
    std::vector<int> walk(int k) const {
        std::vector<int> out;
        for (int s = lists.first(hash(k), same(k)); s >= 0; s = lists.next(s))
            out.push_back(s);
        return out;
    }
};

TEST(KeyedLists, KeepsAppendOrderPerKey) {
    Lists l(8);
    l.add(3, 1);
    l.add(0, 2);  // same hash as key 1, another list
    l.add(5, 1);
    l.add(1, 1);
    l.add(7, 9);
    EXPECT_EQ(l.walk(1), (std::vector<int>{3, 5, 1}));
    EXPECT_EQ(l.walk(2), (std::vector<int>{0}));
    EXPECT_EQ(l.walk(9), (std::vector<int>{7}));
    EXPECT_TRUE(l.walk(3).empty());
}

TEST(KeyedLists, RemovesFromAnyPlace) {
    Lists l(8);
    for (int s = 0; s < 5; ++s)
        l.add(s, 1);
    l.remove(2);  // middle
    EXPECT_EQ(l.walk(1), (std::vector<int>{0, 1, 3, 4}));
    l.remove(0);  // first
    EXPECT_EQ(l.walk(1), (std::vector<int>{1, 3, 4}));
    l.remove(4);  // last
    EXPECT_EQ(l.walk(1), (std::vector<int>{1, 3}));
    l.add(6, 1);  // appends after the new last
    EXPECT_EQ(l.walk(1), (std::vector<int>{1, 3, 6}));
    l.remove(1);
    l.remove(3);
    l.remove(6);
    EXPECT_TRUE(l.walk(1).empty());
    l.add(2, 1);  // a list started afresh
    EXPECT_EQ(l.walk(1), (std::vector<int>{2}));
}

TEST(KeyedLists, AWalkMayRemoveAsItGoes) {
    Lists l(6);
    for (int s = 0; s < 6; ++s)
        l.add(s, s % 2);
    int removed = 0;
    for (int s = l.lists.first(Lists::hash(0), l.same(0)); s >= 0;) {
        int after = l.lists.next(s);
        l.remove(s);
        s = after;
        ++removed;
    }
    EXPECT_EQ(removed, 3);
    EXPECT_TRUE(l.walk(0).empty());
    EXPECT_EQ(l.walk(1), (std::vector<int>{1, 3, 5}));
}

TEST(KeyedLists, ChurnAt65535SlotsCostsO1PerOperation) {
    constexpr int kSlots = 65535;
    Lists l(kSlots);
    for (int s = 0; s < kSlots; ++s)
        l.add(s, s % 1000);
    std::uint64_t before = l.lists.probes();
    constexpr int kOps = 200'000;
    for (int i = 0; i < kOps; ++i) {
        int s = (i * 7919) % kSlots;
        l.remove(s);
        l.add(s, (i * 31) % 1000);
    }
    EXPECT_LT(double(l.lists.probes() - before) / (2.0 * kOps), 16.0);
    std::size_t total = 0;
    for (int k = 0; k < 1000; ++k)
        total += l.walk(k).size();
    EXPECT_EQ(total, std::size_t(kSlots));
}

}  // namespace
}  // namespace p2p
