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

// Issue 14 item 3: a neighbour's flood of fresh msg_ids took every entry,
// and an honest PUB coming back over another link was shown twice.
TEST(SeenCache, OneLinksFloodReplacesItsOwnEntriesNeverAnotherLinks) {
    constexpr std::size_t kOwn = 0;
    constexpr std::size_t kHonest = 1;
    constexpr std::size_t kFlooder = 2;
    SeenCache c(100, 600'000, 3);
    EXPECT_FALSE(c.check_and_insert("me@X", "mine", 0, kOwn));
    for (int i = 0; i < 30; ++i)
        EXPECT_FALSE(c.check_and_insert("alice@X", "h" + std::to_string(i), 1, kHonest));
    for (int i = 0; i < 20'000; ++i)
        c.check_and_insert("mallory@X", "f" + std::to_string(i), 2 + i / 100, kFlooder);
    EXPECT_EQ(c.size(), 100u);
    EXPECT_EQ(c.held_by(kFlooder), 69u);
    EXPECT_TRUE(c.contains("me@X", "mine", 500));
    for (int i = 0; i < 30; ++i)
        EXPECT_TRUE(c.contains("alice@X", "h" + std::to_string(i), 500)) << i;
    EXPECT_TRUE(c.contains("mallory@X", "f19999", 500));  // its newest stay
    EXPECT_FALSE(c.contains("mallory@X", "f0", 500));
    // The honest link keeps taking entries: the flooder's make room, as long
    // as it holds more.
    for (int i = 30; i < 45; ++i)
        EXPECT_FALSE(c.check_and_insert("alice@X", "h" + std::to_string(i), 501, kHonest));
    EXPECT_EQ(c.held_by(kHonest), 45u);
    EXPECT_EQ(c.held_by(kFlooder), 54u);
    EXPECT_TRUE(c.contains("alice@X", "h0", 502));
}

// The window is the time, not the arrival order: an entry is forgotten at
// max_age even when its owner never inserts again.
TEST(SeenCache, AnEntryExpiresAtMaxAgeWhateverItsOwner) {
    SeenCache c(100, 600'000, 3);
    EXPECT_FALSE(c.check_and_insert("a@X", "m", 0, 2));
    EXPECT_TRUE(c.check_and_insert("a@X", "m", 599'999, 1));  // a copy over another link
    EXPECT_FALSE(c.check_and_insert("a@X", "m", 600'000, 1));
    EXPECT_EQ(c.held_by(2), 0u);
    EXPECT_EQ(c.held_by(1), 1u);
}

}  // namespace
}  // namespace p2p
