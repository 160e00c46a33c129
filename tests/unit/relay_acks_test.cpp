// Passed-back answers: msg_id -> the link the forwarded message came from,
// bounded by --max-relay-acks; a full table forgets an expired entry of the
// inserting link first, else the oldest of the link holding the most.
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

TEST(RelayAcks, AFullTableForgetsAnExpiredEntryFirstThenTheOldest) {
    RelayAcks a(3);
    a.remember("who1", 2, 0, 6'000);   // WHO_HAS: a short wait
    a.remember("send", 1, 0, 25'000);  // a SEND: kept the whole retry window
    a.remember("who2", 3, 0, 7'000);
    a.remember("new", 4, 6'500, 31'500);  // who1 has expired: it makes room
    EXPECT_EQ(a.size(), 3u);
    EXPECT_EQ(a.lookup("send", 6'600), 1u);
    EXPECT_EQ(a.lookup("who2", 6'600), 3u);
    EXPECT_EQ(a.lookup("new", 6'600), 4u);
    a.remember("newer", 5, 6'700, 31'700);  // none expired: the oldest (send) goes
    EXPECT_EQ(a.lookup("send", 6'800), kNoLink);
    EXPECT_EQ(a.lookup("newer", 6'800), 5u);
}

// Issue 14 item 3: a neighbour's WHO_HAS flood took every slot and pushed
// out the entry an honest asker's answer needed to come back.
TEST(RelayAcks, OneLinksFloodNeverEvictsAnotherLinksEntries) {
    constexpr std::size_t kHonest = 1;
    constexpr std::size_t kFlooder = 2;
    RelayAcks a(64, 4);
    a.remember("honest-who", 11, 0, 6'000, kHonest);
    a.remember("honest-send", 11, 1, 25'001, kHonest);
    for (int i = 0; i < 10'000; ++i)
        a.remember("flood" + std::to_string(i), 22, 2 + i / 10, 6'002 + i / 10, kFlooder);
    EXPECT_EQ(a.lookup("honest-who", 1'000), 11u);
    EXPECT_EQ(a.lookup("honest-send", 1'000), 11u);
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a.held_by(kFlooder), 62u);
    EXPECT_EQ(a.lookup("flood9999", 1'000), 22u);  // the flooder keeps its newest
    // A third link still gets its entries in, at the flooder's expense.
    for (int i = 0; i < 10; ++i)
        a.remember("third" + std::to_string(i), 33, 1'001, 7'001, 3);
    EXPECT_EQ(a.held_by(3), 10u);
    EXPECT_EQ(a.lookup("honest-who", 1'002), 11u);
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
