// platform/process: fd limit, seeds, tty detection, RSS.
#include "platform/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/resource.h>
#include <unistd.h>

#include <set>
#include <vector>

namespace p2p::platform {
namespace {

TEST(Process, RaiseFdLimitReachesTheHardLimit) {
    rlimit before{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
    // Lower the soft limit first so the raise has something to do.
    if (before.rlim_max > 64) {
        rlimit low = before;
        low.rlim_cur = 64;
        ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    }
    long got = raise_fd_limit();
    rlimit after{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
    EXPECT_EQ(after.rlim_cur, after.rlim_max);
    if (after.rlim_cur != RLIM_INFINITY) {
        EXPECT_EQ(got, static_cast<long>(after.rlim_cur));
    }
    EXPECT_EQ(raise_fd_limit(), got) << "idempotent";
}

TEST(Process, RandomSeedsDiffer) {
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 16; ++i)
        seen.insert(random_seed());
    EXPECT_EQ(seen.size(), 16u);
}

TEST(Process, IsTtyTellsPipesFromTerminals) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    EXPECT_FALSE(is_tty(p[0]));
    EXPECT_FALSE(is_tty(-1));
    close(p[0]);
    close(p[1]);
    int master = -1, slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) GTEST_SKIP() << "no ptys";
    EXPECT_TRUE(is_tty(slave));
    close(master);
    close(slave);
}

TEST(Process, RssGrowsWhenMemoryIsTouched) {
    long before = rss_kib();
    ASSERT_GT(before, 0);
    constexpr std::size_t kBytes = 32 * 1024 * 1024;
    std::vector<char> block(kBytes);
    for (std::size_t i = 0; i < kBytes; i += 4096)
        block[i] = static_cast<char>(i);
    long after = rss_kib();
    EXPECT_GE(after - before, 24 * 1024) << before << " -> " << after;
    EXPECT_EQ(block[4096], static_cast<char>(4096));
}

}  // namespace
}  // namespace p2p::platform
