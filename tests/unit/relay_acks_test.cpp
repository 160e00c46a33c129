// Passed-back answers: msg_id -> the link the forwarded message came from,
// bounded by --max-relay-acks, forgetting the entry closest to expiry first.
#include "core/relay_acks.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(RelayAcks, RemembersTheLinkUntilExpiry) {
    RelayAcks a(4);
    a.remember("m1", 7, 0, 1000);
    EXPECT_EQ(a.lookup("m1", 999), 7u);
    EXPECT_EQ(a.lookup("m2", 0), kNoLink);
    EXPECT_EQ(a.lookup("m1", 1000), kNoLink);  // expired
    EXPECT_EQ(a.size(), 0u);
}

TEST(RelayAcks, RememberingAgainMovesAndRefreshesTheEntry) {
    RelayAcks a(4);
    a.remember("m1", 7, 0, 1000);
    a.remember("m1", 8, 500, 5000);
    EXPECT_EQ(a.size(), 1u);
    EXPECT_EQ(a.lookup("m1", 4000), 8u);
}

TEST(RelayAcks, AFullTableForgetsTheEntryClosestToExpiry) {
    RelayAcks a(3);
    a.remember("send", 1, 0, 25'000);  // a SEND: kept the whole retry window
    a.remember("who1", 2, 0, 6'000);   // WHO_HAS: a short wait
    a.remember("who2", 3, 0, 7'000);
    a.remember("new", 4, 10, 25'010);
    EXPECT_EQ(a.size(), 3u);
    EXPECT_EQ(a.lookup("who1", 20), kNoLink);
    EXPECT_EQ(a.lookup("send", 20), 1u);
    EXPECT_EQ(a.lookup("who2", 20), 3u);
    EXPECT_EQ(a.lookup("new", 20), 4u);
}

TEST(RelayAcks, ManyForwardedMessagesAt65535CostO1Each) {
    RelayAcks a(65535);
    constexpr int kOps = 300'000;
    for (int i = 0; i < kOps; ++i) {
        std::string id = "msg-" + std::to_string(i);
        a.remember(id, LinkId(1 + i % 9), i, i + 25'000);
        a.lookup("msg-" + std::to_string(i / 2), i);
    }
    EXPECT_EQ(a.size(), 65535u);  // bounded: the oldest (expired) went first
    EXPECT_LT(double(a.probes()) / (2.0 * kOps), 16.0);
}

}  // namespace
}  // namespace p2p
