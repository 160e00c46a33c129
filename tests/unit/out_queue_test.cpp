// Bounded outgoing queues over the shared chunk pool: all-or-nothing appends,
// limits in bytes and messages, one-line slices for legacy peers, chunk reuse.
#include "core/out_queue.h"

#include <gtest/gtest.h>

#include <string>

#include "core/node.h"

namespace p2p {
namespace {

std::string collect(const OutQueue& q, bool one_line) {
    OutSlice s[64];
    std::size_t n = q.slices(s, 64, one_line);
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out.append(s[i].data, s[i].len);
    return out;
}

TEST(OutQueue, KeepsLinesInOrderAcrossChunks) {
    ChunkPool pool(64 * 1024);
    OutQueue q;
    OutQueue::Limits lim{1 << 20, 1000};
    std::string expect;
    for (int i = 0; i < 100; ++i) {
        std::string line =
            "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i * 7, 'x') + "\"}\n";
        ASSERT_TRUE(q.push(pool, line.data(), line.size(), lim)) << i;
        expect += line;
    }
    EXPECT_EQ(q.msgs(), 100u);
    EXPECT_EQ(q.bytes(), expect.size());
    std::string got;
    while (!q.empty()) {
        std::string part = collect(q, false);
        std::size_t take = std::min<std::size_t>(part.size(), 333);  // partial writes
        got += part.substr(0, take);
        q.consume(pool, take);
    }
    EXPECT_EQ(got, expect);
    EXPECT_EQ(q.msgs(), 0u);
    EXPECT_EQ(pool.available(), pool.capacity());  // every chunk back
}

TEST(OutQueue, OneLineModeStopsAtTheFirstNewline) {
    ChunkPool pool(8 * 1024);
    OutQueue q;
    OutQueue::Limits lim{1 << 20, 1000};
    q.push(pool, "a\n", 2, lim);
    q.push(pool, "bb\n", 3, lim);
    EXPECT_EQ(collect(q, true), "a\n");
    EXPECT_EQ(q.consume(pool, 1), 0u);  // half a message written
    EXPECT_EQ(collect(q, true), "\n");
    EXPECT_EQ(q.consume(pool, 1), 1u);
    EXPECT_EQ(q.msgs(), 1u);
    EXPECT_EQ(collect(q, true), "bb\n");
}

TEST(OutQueue, LimitsInBytesAndMessagesRefuseWithoutPartialAppends) {
    ChunkPool pool(64 * 1024);
    OutQueue q;
    OutQueue::Limits lim{100, 3};
    std::string l40(39, 'x');
    l40 += '\n';
    EXPECT_TRUE(q.push(pool, l40.data(), 40, lim));
    EXPECT_TRUE(q.push(pool, l40.data(), 40, lim));
    EXPECT_FALSE(q.push(pool, l40.data(), 40, lim));  // 120 > 100 bytes
    EXPECT_EQ(q.bytes(), 80u);
    EXPECT_TRUE(q.push(pool, "y\n", 2, lim));
    EXPECT_FALSE(q.push(pool, "z\n", 2, lim));  // 4 > 3 messages
    EXPECT_EQ(q.msgs(), 3u);
}

TEST(OutQueue, ExhaustedPoolRefusesAndRecovers) {
    ChunkPool pool(4 * ChunkPool::kChunkBytes);
    ASSERT_EQ(pool.capacity(), 4u);
    OutQueue a, b;
    OutQueue::Limits lim{1 << 20, 1000};
    std::string big(3 * ChunkPool::kDataBytes, 'x');
    big.back() = '\n';
    ASSERT_TRUE(a.push(pool, big.data(), big.size(), lim));
    EXPECT_EQ(pool.available(), 1u);
    EXPECT_FALSE(b.push(pool, big.data(), big.size(), lim));  // nothing half-written
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(pool.available(), 1u);
    a.clear(pool);
    EXPECT_TRUE(b.push(pool, big.data(), big.size(), lim));
}

TEST(OutQueue, CopiesOfAChunkQueue) {
    ChunkPool pool(64 * 1024);
    ChunkQueue line;
    std::string text(5000, 'q');
    text += '\n';
    ASSERT_TRUE(line.append(pool, text.data(), text.size()));
    OutQueue q;
    OutQueue::Limits lim{1 << 20, 10};
    ASSERT_TRUE(q.push_copy(pool, line, lim));
    ASSERT_TRUE(q.push_copy(pool, line, lim));
    EXPECT_EQ(collect(q, true), text);
    EXPECT_EQ(q.msgs(), 2u);
    char buf[8000];
    EXPECT_EQ(line.peek(buf, sizeof buf), text.size());
    EXPECT_EQ(std::string(buf, text.size()), text);
}

}  // namespace
}  // namespace p2p
