// The seen-msg_id cache: bounded by entries and by age, whichever is smaller.
#include "core/seen_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(SeenCache, RemembersWithinTheWindow) {
    SeenCache c(8192, 600'000);
    EXPECT_FALSE(c.check_and_insert("a", 0));
    EXPECT_TRUE(c.check_and_insert("a", 1000));
    EXPECT_FALSE(c.check_and_insert("b", 1000));
    EXPECT_TRUE(c.contains("b", 2000));
    EXPECT_FALSE(c.contains("c", 2000));
}

TEST(SeenCache, ForgetsAfterMaxAge) {
    SeenCache c(8192, 600'000);
    c.check_and_insert("old", 0);
    EXPECT_TRUE(c.contains("old", 599'999));
    EXPECT_FALSE(c.contains("old", 600'000));
    EXPECT_FALSE(c.check_and_insert("old", 600'001));  // new again
    EXPECT_EQ(c.size(), 1u);
}

TEST(SeenCache, CapacityEvictsTheOldestFirst) {
    SeenCache c(100, 600'000);
    for (int i = 0; i < 150; ++i)
        EXPECT_FALSE(c.check_and_insert("id" + std::to_string(i), i));
    EXPECT_EQ(c.size(), 100u);
    for (int i = 0; i < 50; ++i)
        EXPECT_FALSE(c.contains("id" + std::to_string(i), 200)) << i;
    for (int i = 50; i < 150; ++i)
        EXPECT_TRUE(c.contains("id" + std::to_string(i), 200)) << i;
}

TEST(SeenCache, ManyRoundsOfChurnStayConsistent) {
    // Backward-shift deletion must keep every live entry findable.
    SeenCache c(1000, 1'000'000);
    for (int i = 0; i < 20000; ++i) {
        c.check_and_insert("m" + std::to_string(i), i);
        if (i % 997 == 0) {
            for (int j = std::max(0, i - 999); j <= i; ++j)
                ASSERT_TRUE(c.contains("m" + std::to_string(j), i)) << i << " " << j;
            if (i >= 1000) {
                ASSERT_FALSE(c.contains("m" + std::to_string(i - 1000), i));
            }
        }
    }
}

}  // namespace
}  // namespace p2p
