// P2P_ASSERT on the tables' index-based accessors: an out-of-range index
// stops a Debug build at the accessor. Release builds compile the checks out,
// so there is nothing to show there.
#include "core/invariant.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/expiring_table.h"
#include "core/log.h"
#include "core/out_queue.h"
#include "core/peer_table.h"
#include "core/pending_acks.h"
#include "core/slot_index.h"
#include "core/timer_heap.h"

namespace p2p {
namespace {

// The failure is reported through the log sink: show it on stderr so the
// death tests can check it was the invariant, not some other crash.
struct StderrSink final : LogSink {
    void write(LogLevel, std::string_view module, std::string_view text) override {
        std::fprintf(stderr, "[%.*s] %.*s\n", int(module.size()), module.data(), int(text.size()),
                     text.data());
    }
};

class InvariantDeathTest : public ::testing::Test {
  protected:
    void SetUp() override {
#ifdef NDEBUG
        GTEST_SKIP() << "P2P_ASSERT is compiled out when NDEBUG is defined";
#endif
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        saved_ = logger().sink();
        logger().set_sink(&sink_);
    }
    void TearDown() override {
        logger().set_sink(saved_);
    }

  private:
    StderrSink sink_;
    LogSink* saved_ = nullptr;
};

constexpr const char* kCaught = "\\[Invariant\\] .*: ";

TEST_F(InvariantDeathTest, PeerTableIndexOutOfRange) {
    PeerTable t(4);
    EXPECT_DEATH(t.at(4), kCaught);
    EXPECT_DEATH(t.at(-1), kCaught);
}

TEST_F(InvariantDeathTest, PendingAcksIndexOutOfRange) {
    PendingAcks p(4);
    EXPECT_DEATH(p.at(7), kCaught);
    EXPECT_DEATH(p.next_to(-1), kCaught);
}

TEST_F(InvariantDeathTest, TimerHeapSlotOutOfRange) {
    TimerHeap h(4);
    EXPECT_DEATH(h.set(4, 100), kCaught);
    EXPECT_DEATH(h.clear(9), kCaught);
    EXPECT_DEATH(h.top_slot(), kCaught);  // empty heap has no top
}

TEST_F(InvariantDeathTest, ExpiringTableSlotOutOfRange) {
    ExpiringTable<int> t(4);
    EXPECT_DEATH(t.at(4), kCaught);
    EXPECT_DEATH(t.erase(-2), kCaught);
}

TEST_F(InvariantDeathTest, SlotIndexSlotOutOfRange) {
    SlotIndex ix(4);
    EXPECT_DEATH(ix.insert(1, 4), kCaught);
}

TEST_F(InvariantDeathTest, ChunkPoolRefusesAForeignChunk) {
    ChunkPool a(4096), b(4096);
    ChunkPool::Chunk* c = a.take();
    EXPECT_DEATH(b.give(c), kCaught);
    a.give(c);
}

TEST(Invariant, AHoldingConditionDoesNothing) {
    int evaluated = 0;
    P2P_ASSERT(++evaluated == 1);
#ifdef NDEBUG
    EXPECT_EQ(evaluated, 0);  // compiled out: not even evaluated
#else
    EXPECT_EQ(evaluated, 1);
#endif
}

}  // namespace
}  // namespace p2p
