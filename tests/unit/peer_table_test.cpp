// The peer table arena, its lookups and RTT window (backoff: backoff_test.cpp).
#include "core/peer_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace p2p {
namespace {

TEST(PeerTable, FixedCapacityAllocFindRelease) {
    PeerTable t(3);
    int a = t.alloc(), b = t.alloc(), c = t.alloc();
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    ASSERT_GE(c, 0);
    EXPECT_EQ(t.alloc(), -1);  // full: refused, never grown
    t.set_id(a, "alice@CIC");
    t.set_id(b, "bob@CIC");
    t.at(c).is_static = true;
    t.at(c).set_host("pi.local", 7070);
    EXPECT_EQ(t.find("bob@CIC"), b);
    EXPECT_EQ(t.find("carol@CIC"), -1);
    EXPECT_EQ(t.find(""), -1);
    EXPECT_EQ(t.find_static("pi.local", 7070), c);
    EXPECT_EQ(t.find_static("pi.local", 7071), -1);
    EXPECT_EQ(t.at(b).ns(), "CIC");
    t.release(b);
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.find("bob@CIC"), -1);
    int d = t.alloc();
    EXPECT_EQ(d, b);
    EXPECT_TRUE(t.at(d).peer_id().empty());  // recycled records start clean
}

TEST(PeerTable, LinkedRecordsAreListedWithoutScanningTheTable) {
    PeerTable t(8);
    int a = t.alloc(), b = t.alloc(), c = t.alloc();
    auto linked = [&] {
        std::vector<int> v;
        for (std::size_t i = 0; i < t.linked_count(); ++i)
            v.push_back(t.linked_at(i));
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_TRUE(linked().empty());
    t.set_link(a, 11);
    t.set_link(c, 13);
    t.set_link(c, 14);  // moved to another link: listed once
    EXPECT_EQ(linked(), (std::vector<int>{a, c}));
    EXPECT_EQ(t.at(c).link, 14u);
    t.set_link(a, kNoLink);
    EXPECT_EQ(linked(), (std::vector<int>{c}));
    t.set_link(b, 12);
    t.release(c);  // a released record leaves the list
    EXPECT_EQ(linked(), (std::vector<int>{b}));
    EXPECT_EQ(t.at(t.alloc()).link, kNoLink);
}

TEST(PeerTable, NamesAreIndexedAcrossRenameAndReuse) {
    PeerTable t(4);
    int a = t.alloc();
    t.set_id(a, "old@CIC");
    t.set_id(a, "new@CIC");
    EXPECT_EQ(t.find("old@CIC"), -1);
    EXPECT_EQ(t.find("new@CIC"), a);
    t.release(a);
    int b = t.alloc();
    EXPECT_EQ(t.find("new@CIC"), -1);
    t.set_id(b, "new@CIC");
    EXPECT_EQ(t.find("new@CIC"), b);
}

TEST(PeerTable, RttMeanOverTheLastSamples) {
    PeerRecord r;
    for (int ms : {10, 20, 30})
        r.add_rtt(ms, 4);
    EXPECT_DOUBLE_EQ(r.rtt_mean(), 20.0);
    for (int ms : {40, 50, 60})
        r.add_rtt(ms, 4);
    EXPECT_EQ(r.rtt_count, 4);
    EXPECT_DOUBLE_EQ(r.rtt_mean(), 45.0);  // 30,40,50,60
    EXPECT_EQ(r.last_rtt, 60);
}

TEST(PeerTable, HostTooLongIsRefused) {
    PeerRecord r;
    EXPECT_FALSE(r.set_host(std::string(PeerRecord::kHostBytes, 'h'), 1));
    EXPECT_TRUE(r.set_host("10.0.0.1", 7000));
    EXPECT_TRUE(r.dialable());
}

}  // namespace
}  // namespace p2p
