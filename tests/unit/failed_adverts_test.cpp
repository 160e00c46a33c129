// The bounded set of listed peers that never answered their probation
// (core/failed_adverts.h): held for a while, keyed by peer_id and address,
// the oldest forgotten when full, forgiven on a handshake.
#include "core/failed_adverts.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(FailedAdverts, HoldsAPeerAtItsAddressForTheHoldTime) {
    FailedAdverts f(8, 1000);
    f.add("dead@CIC", "10.0.0.1", 7000, 100);
    EXPECT_TRUE(f.contains("dead@CIC", "10.0.0.1", 7000, 100));
    EXPECT_TRUE(f.contains("dead@CIC", "10.0.0.1", 7000, 1099));
    EXPECT_FALSE(f.contains("dead@CIC", "10.0.0.1", 7000, 1100)) << "held for 1000 ms only";
    EXPECT_FALSE(f.contains("dead@CIC", "10.0.0.1", 7001, 100)) << "another port: a new peer";
    EXPECT_FALSE(f.contains("dead@CIC", "10.0.0.2", 7000, 100)) << "another address";
    EXPECT_FALSE(f.contains("other@CIC", "10.0.0.1", 7000, 100));
    f.add("dead@CIC", "10.0.0.1", 7000, 1050);  // failed again: held anew
    EXPECT_TRUE(f.contains("dead@CIC", "10.0.0.1", 7000, 2000));
}

TEST(FailedAdverts, TheOldestIsForgottenWhenFullAndAHandshakeForgives) {
    FailedAdverts f(4, 60'000);
    for (int i = 0; i < 6; ++i)
        f.add("f" + std::to_string(i) + "@CIC", "10.0.0.1", 7000, 0);
    EXPECT_FALSE(f.contains("f0@CIC", "10.0.0.1", 7000, 1));
    EXPECT_FALSE(f.contains("f1@CIC", "10.0.0.1", 7000, 1));
    for (int i = 2; i < 6; ++i)
        EXPECT_TRUE(f.contains("f" + std::to_string(i) + "@CIC", "10.0.0.1", 7000, 1)) << i;
    f.erase("f3@CIC", "10.0.0.1", 7000);
    EXPECT_FALSE(f.contains("f3@CIC", "10.0.0.1", 7000, 1));
    // The ring keeps cycling over the forgiven slot without losing the others.
    for (int i = 6; i < 9; ++i)
        f.add("f" + std::to_string(i) + "@CIC", "10.0.0.1", 7000, 2);
    EXPECT_TRUE(f.contains("f5@CIC", "10.0.0.1", 7000, 3));
    EXPECT_TRUE(f.contains("f8@CIC", "10.0.0.1", 7000, 3));
    EXPECT_EQ(f.capacity(), 4u);
}

}  // namespace
}  // namespace p2p
