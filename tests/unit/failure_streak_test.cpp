#include "core/failure_streak.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(FailureStreak, SaysTheFirstFailureAndEachNewCauseOnly) {
    FailureStreak s;
    EXPECT_FALSE(s.failing());
    EXPECT_TRUE(s.fail("Connection refused"));
    EXPECT_FALSE(s.fail("Connection refused"));
    EXPECT_FALSE(s.fail("Connection refused"));
    EXPECT_TRUE(s.fail("timed out after 5000 ms"));  // the cause changed: say it
    EXPECT_FALSE(s.fail("timed out after 5000 ms"));
    EXPECT_TRUE(s.fail("Connection refused"));  // and changed back
    EXPECT_EQ(s.failures(), 6u);
    EXPECT_EQ(s.cause(), "Connection refused");
}

TEST(FailureStreak, RecoveryEndsTheStreakWithItsCountOnce) {
    FailureStreak s;
    EXPECT_EQ(s.recover(), 0u);  // nothing failed: nothing to say
    s.fail("a");
    s.fail("a");
    s.fail("b");
    EXPECT_EQ(s.recover(), 3u);
    EXPECT_FALSE(s.failing());
    EXPECT_EQ(s.recover(), 0u);
    EXPECT_TRUE(s.fail("a"));  // a new streak is said again, same cause or not
}

TEST(FailureStreak, LongCausesAreKeptAndComparedByABoundedPrefix) {
    FailureStreak s;
    std::string a(FailureStreak::kCauseBytes + 50, 'x');
    std::string b = a;
    b.back() = 'y';  // differs only past the kept prefix
    EXPECT_TRUE(s.fail(a));
    EXPECT_FALSE(s.fail(b));
    EXPECT_EQ(s.cause().size(), FailureStreak::kCauseBytes);
}

}  // namespace
}  // namespace p2p
