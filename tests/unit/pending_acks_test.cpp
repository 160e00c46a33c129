// Our SENDs awaiting ACK: a fixed table that refuses when full, found by
// msg_id through a hash index, walked per destination in submission order,
// and O(1) per operation at --max-pending-sends 65535.
#include "core/pending_acks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2p {
namespace {

std::vector<int> walk(const PendingAcks& p, std::string_view dst) {
    std::vector<int> out;
    for (int k = p.first_to(dst); k >= 0; k = p.next_to(k))
        out.push_back(k);
    return out;
}

TEST(PendingAcks, FullTableRefusesAndReleasedSlotsComeBack) {
    ChunkPool pool(64 * 1024);
    PendingAcks p(2);
    int a = p.alloc("m1", "bob@CIC", 0, 1);
    int b = p.alloc("m2", "bob@CIC", 0, 2);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    EXPECT_EQ(p.alloc("m3", "bob@CIC", 0, 3), -1);  // busy, never grown
    ASSERT_TRUE(p.at(a).line.append(pool, "x\n", 2));
    p.release(a, pool);
    EXPECT_EQ(p.size(), 1u);
    EXPECT_EQ(pool.available(), pool.capacity());  // the copy went back to the pool
    EXPECT_EQ(p.find("m1"), -1);
    int c = p.alloc("m3", "bob@CIC", 0, 3);
    EXPECT_EQ(c, a);
    EXPECT_EQ(p.find("m3"), c);
    EXPECT_EQ(p.find(""), -1);
}

TEST(PendingAcks, FindsByMsgId) {
    ChunkPool pool(4096);
    PendingAcks p(8);
    int a = p.alloc("id-a", "bob@CIC", 0, 1);
    int b = p.alloc("id-b", "carol@CIC", 1, 2);
    EXPECT_EQ(p.find("id-a"), a);
    EXPECT_EQ(p.find("id-b"), b);
    EXPECT_EQ(p.find("id-c"), -1);
    EXPECT_EQ(p.at(b).dst_id(), "carol@CIC");
    EXPECT_EQ(p.alloc(std::string(40, 'x'), "bob@CIC", 0, 3), -1);  // id too long
}

TEST(PendingAcks, WalksEachDestinationInSubmissionOrder) {
    ChunkPool pool(4096);
    PendingAcks p(8);
    int b1 = p.alloc("1", "bob@CIC", 0, 1);
    int c1 = p.alloc("2", "carol@CIC", 1, 2);
    int b2 = p.alloc("3", "bob@CIC", 0, 3);
    int b3 = p.alloc("4", "bob@CIC", 0, 4);
    EXPECT_EQ(walk(p, "bob@CIC"), (std::vector<int>{b1, b2, b3}));
    EXPECT_EQ(walk(p, "carol@CIC"), (std::vector<int>{c1}));
    EXPECT_TRUE(walk(p, "dave@CIC").empty());
    p.release(b2, pool);  // middle
    EXPECT_EQ(walk(p, "bob@CIC"), (std::vector<int>{b1, b3}));
    p.release(b1, pool);  // first
    EXPECT_EQ(walk(p, "bob@CIC"), (std::vector<int>{b3}));
    int b4 = p.alloc("5", "bob@CIC", 0, 5);  // reuses a slot, still goes last
    EXPECT_EQ(walk(p, "bob@CIC"), (std::vector<int>{b3, b4}));
    p.release(b4, pool);  // last
    int b5 = p.alloc("6", "bob@CIC", 0, 6);
    EXPECT_EQ(walk(p, "bob@CIC"), (std::vector<int>{b3, b5}));
    p.release(b3, pool);
    p.release(b5, pool);
    EXPECT_TRUE(walk(p, "bob@CIC").empty());
    EXPECT_EQ(walk(p, "carol@CIC"), (std::vector<int>{c1}));
}

TEST(PendingAcks, AWalkSurvivesReleasingTheCurrentEntry) {
    ChunkPool pool(4096);
    PendingAcks p(4);
    for (int i = 0; i < 4; ++i)
        p.alloc("m" + std::to_string(i), "bob@CIC", 0, std::uint64_t(i + 1));
    int seen = 0;
    for (int k = p.first_to("bob@CIC"); k >= 0;) {
        int after = p.next_to(k);
        p.release(k, pool);
        k = after;
        ++seen;
    }
    EXPECT_EQ(seen, 4);
    EXPECT_EQ(p.size(), 0u);
}

TEST(PendingAcks, ManySendsAt65535CostO1Each) {
    constexpr std::size_t kCap = 65535;
    ChunkPool pool(4096);
    PendingAcks p(kCap);
    std::vector<std::string> ids(kCap);
    std::uint64_t seq = 0;
    char dst[32];
    auto dest = [&](std::uint64_t i) {
        int n = std::snprintf(dst, sizeof dst, "peer%u@CIC", unsigned(i % 200));
        return std::string_view(dst, std::size_t(n));
    };
    for (std::size_t s = 0; s < kCap; ++s) {
        ids[s] = "id-" + std::to_string(seq);
        ASSERT_GE(p.alloc(ids[s], dest(seq), 0, seq), 0);
        ++seq;
    }
    EXPECT_EQ(p.size(), kCap);
    std::uint64_t before = p.probes();
    constexpr int kOps = 200'000;
    for (int i = 0; i < kOps; ++i) {
        // An ACK arrives for some message: found by id, released, and a new
        // SEND takes its place.
        std::size_t s = std::size_t(i * 7919) % kCap;
        int k = p.find(ids[s]);
        ASSERT_GE(k, 0);
        p.release(k, pool);
        ids[s] = "id-" + std::to_string(seq);
        ASSERT_GE(p.alloc(ids[s], dest(seq), 0, seq), 0);
        ++seq;
    }
    EXPECT_LT(double(p.probes() - before) / kOps, 32.0);
}

}  // namespace
}  // namespace p2p
