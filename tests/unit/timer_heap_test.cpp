// core/timer_heap (one fixed slot per owner): arm, move, clear, and a
// brute-force model check of the minimum under random operations.
#include "core/timer_heap.h"

#include <gtest/gtest.h>

#include <map>

#include "core/rng.h"

namespace p2p {
namespace {

TEST(TimerHeap, ArmMoveAndClear) {
    TimerHeap h(4);
    EXPECT_TRUE(h.empty());
    h.set(2, 50);
    h.set(0, 30);
    h.set(3, 40);
    EXPECT_TRUE(h.armed(0));
    EXPECT_FALSE(h.armed(1));
    EXPECT_EQ(h.top_slot(), 0u);
    EXPECT_EQ(h.top_time(), 30);
    h.set(2, 10);  // moved earlier
    EXPECT_EQ(h.top_slot(), 2u);
    h.set(2, 100);  // moved later
    EXPECT_EQ(h.top_slot(), 0u);
    h.clear(0);
    EXPECT_FALSE(h.armed(0));
    EXPECT_EQ(h.top_slot(), 3u);
    h.clear(0);  // clearing twice is harmless
    h.clear(3);
    h.clear(2);
    EXPECT_TRUE(h.empty());
}

TEST(TimerHeap, MatchesABruteForceModel) {
    constexpr std::size_t kSlots = 64;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        TimerHeap h(kSlots);
        std::map<std::size_t, MonoMs> model;
        Rng rng(seed);
        for (int step = 0; step < 4000; ++step) {
            std::size_t slot = rng.below(kSlots);
            switch (rng.below(3)) {
                case 0:
                case 1: {
                    MonoMs when = static_cast<MonoMs>(rng.below(1000));
                    h.set(slot, when);
                    model[slot] = when;
                    break;
                }
                default:
                    h.clear(slot);
                    model.erase(slot);
                    break;
            }
            ASSERT_EQ(h.empty(), model.empty());
            ASSERT_EQ(h.armed(slot), model.count(slot) == 1);
            if (step % 64 == 0) {
                for (std::size_t s = 0; s < kSlots; ++s)
                    ASSERT_EQ(h.armed(s), model.count(s) == 1);
            }
            if (model.empty()) continue;
            MonoMs best = model.begin()->second;
            for (const auto& [s, w] : model)
                best = w < best ? w : best;
            ASSERT_EQ(h.top_time(), best) << "seed " << seed << " step " << step;
            ASSERT_EQ(model.at(h.top_slot()), best);
        }
    }
}

}  // namespace
}  // namespace p2p
