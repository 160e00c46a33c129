// The relay's route cache: learn / refresh / change, expiry after the route
// ttl, the bound (--max-routes) with the route closest to expiry forgotten
// first, forgetting by destination and by link, and O(1) lookups at 65535.
#include "core/route_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(RouteCache, LearnsRefreshesAndChangesRoutes) {
    RouteCache c(8, 120'000);
    EXPECT_TRUE(c.learn("carol@CIC", 7, 0));    // new
    EXPECT_FALSE(c.learn("carol@CIC", 7, 10));  // refreshed: not worth a log line
    EXPECT_TRUE(c.learn("carol@CIC", 9, 20));   // now through another link
    int s = c.find("carol@CIC", 30);
    ASSERT_GE(s, 0);
    EXPECT_EQ(c.at(s).via, 9u);
    EXPECT_EQ(c.at(s).learnt, 20);
    EXPECT_EQ(c.expires(s), 20 + 120'000);
    EXPECT_EQ(c.at(s).dst_id(), "carol@CIC");
    EXPECT_EQ(c.find("dave@CIC", 30), -1);
    EXPECT_FALSE(c.learn(std::string(200, 'x'), 1, 0));  // too long to keep
}

TEST(RouteCache, RoutesExpireAfterTheirTtl) {
    RouteCache c(8, 1000);
    c.learn("carol@CIC", 7, 0);
    int s = c.find("carol@CIC", 999);
    ASSERT_GE(s, 0);
    EXPECT_TRUE(c.live(s, 999));
    EXPECT_FALSE(c.live(s, 1000));
    EXPECT_EQ(c.find("carol@CIC", 1000), -1);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_TRUE(c.learn("carol@CIC", 7, 1000));  // new again after expiry
}

TEST(RouteCache, AFullCacheForgetsTheRouteClosestToExpiry) {
    RouteCache c(3, 1000);
    c.learn("a@x", 1, 0);
    c.learn("b@x", 1, 10);
    c.learn("c@x", 1, 20);
    c.learn("a@x", 1, 30);  // refreshed: b is now the oldest
    c.learn("d@x", 1, 40);
    EXPECT_EQ(c.size(), 3u);
    EXPECT_EQ(c.find("b@x", 50), -1);
    EXPECT_GE(c.find("a@x", 50), 0);
    EXPECT_GE(c.find("c@x", 50), 0);
    EXPECT_GE(c.find("d@x", 50), 0);
    c.learn("b@x", 1, 60);  // back, evicting c (expires at 1020)
    EXPECT_EQ(c.find("c@x", 70), -1);
    EXPECT_GE(c.find("b@x", 70), 0);
}

TEST(RouteCache, ForgetsByDestinationAndByLink) {
    RouteCache c(8, 1000);
    c.learn("a@x", 1, 0);
    c.learn("b@x", 2, 0);
    c.learn("c@x", 1, 0);
    c.forget("b@x");
    EXPECT_EQ(c.find("b@x", 1), -1);
    c.forget_via(1);
    EXPECT_EQ(c.find("a@x", 1), -1);
    EXPECT_EQ(c.find("c@x", 1), -1);
    EXPECT_EQ(c.size(), 0u);
}

TEST(RouteCache, ARouteThatMovesLinksIsForgottenWithItsNewLink) {
    RouteCache c(8, 1000);
    c.learn("a@x", 1, 0);
    c.learn("b@x", 1, 0);
    EXPECT_TRUE(c.learn("a@x", 2, 10));
    c.forget_via(1);  // only b went through 1 now
    EXPECT_GE(c.find("a@x", 20), 0);
    EXPECT_EQ(c.find("b@x", 20), -1);
    c.forget_via(2);
    EXPECT_EQ(c.size(), 0u);
}

TEST(RouteCache, EvictedAndExpiredRoutesLeaveTheirLinksList) {
    RouteCache c(2, 1000);
    c.learn("a@x", 1, 0);
    c.learn("b@x", 1, 10);
    c.learn("c@x", 2, 20);               // evicts a
    EXPECT_EQ(c.find("b@x", 1010), -1);  // expired and dropped
    c.learn("d@x", 1, 1010);
    c.forget_via(1);
    EXPECT_EQ(c.find("d@x", 1011), -1);
    EXPECT_GE(c.find("c@x", 1011), 0);
    EXPECT_EQ(c.size(), 1u);
}

TEST(RouteCache, LookupsStayCheapWith65535Routes) {
    constexpr std::size_t kCap = 65535;
    RouteCache c(kCap, 120'000);
    char dst[32];
    auto name = [&](int i) {
        int n = std::snprintf(dst, sizeof dst, "peer%d@CIC", i);
        return std::string_view(dst, std::size_t(n));
    };
    constexpr int kOps = 300'000;
    for (int i = 0; i < kOps; ++i) {
        c.learn(name(i % 100'000), LinkId(1 + i % 50), i / 100);
        c.find(name((i * 31) % 100'000), i / 100);
    }
    EXPECT_EQ(c.size(), kCap);
    EXPECT_LT(double(c.probes()) / (2.0 * kOps), 16.0);
    // Links going down drop their routes by walking only those routes.
    std::uint64_t before = c.probes();
    for (LinkId via = 1; via <= 50; ++via)
        c.forget_via(via);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_LT(double(c.probes() - before) / double(kCap), 16.0);
}

}  // namespace
}  // namespace p2p
