// The log throttle: one line per (kind, subject) per window, then a summary
// naming the count; bounded table; nothing lost silently.
#include "core/log_throttle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/alloc_counter.h"

namespace p2p {
namespace {

struct CapturingSink final : LogSink {
    std::vector<std::string> lines;
    void write(LogLevel, std::string_view module, std::string_view text) override {
        lines.push_back("[" + std::string(module) + "] " + std::string(text));
    }
};

class LogThrottleTest : public ::testing::Test {
  protected:
    void SetUp() override {
        saved_sink_ = logger().sink();
        saved_level_ = logger().level();
        logger().set_sink(&sink_);
        logger().set_level(LogLevel::kInfo);
        throttle_.set_clock(&clock_);
    }
    void TearDown() override {
        logger().set_sink(saved_sink_);
        logger().set_level(saved_level_);
    }
    // What P2P_WARN_LIMITED does, on the test's own throttle.
    void warn(const char* kind, std::string_view subject) {
        if (throttle_.admit(LogLevel::kWarn, "Link", kind, subject))
            logger().logf(LogLevel::kWarn, "Link", "%s %.*s", kind,
                          static_cast<int>(subject.size()), subject.data());
    }

    ManualClock clock_;
    LogThrottle throttle_{10'000};
    CapturingSink sink_;
    LogSink* saved_sink_ = nullptr;
    LogLevel saved_level_ = LogLevel::kInfo;
};

TEST_F(LogThrottleTest, FloodOfOneKindGivesOneLineThenASummaryWithTheCount) {
    for (int i = 0; i < 6656; ++i) {
        warn("PONG dropped (queue full)", "x@y");
        clock_.advance(1);
    }
    ASSERT_EQ(sink_.lines.size(), 1u);
    EXPECT_EQ(sink_.lines[0], "[Link] PONG dropped (queue full) x@y");
    clock_.advance(10'000);
    EXPECT_LE(throttle_.next_due(), clock_.mono_ms());
    throttle_.flush_due();
    ASSERT_EQ(sink_.lines.size(), 2u);
    EXPECT_NE(sink_.lines[1].find("PONG dropped (queue full): x@y: 6656 in the last"),
              std::string::npos)
        << sink_.lines[1];
    // The window is over: the next event is logged in full again.
    warn("PONG dropped (queue full)", "x@y");
    EXPECT_EQ(sink_.lines.size(), 3u);
}

TEST_F(LogThrottleTest, KindsAndSubjectsAreCountedApart) {
    for (int i = 0; i < 100; ++i) {
        warn("PONG dropped", "a@n");
        warn("PONG dropped", "b@n");
        warn("refused", "a@n");
    }
    EXPECT_EQ(sink_.lines.size(), 3u);
    clock_.advance(10'000);
    throttle_.flush_due();
    ASSERT_EQ(sink_.lines.size(), 6u);
    for (std::size_t i = 3; i < 6; ++i)
        EXPECT_NE(sink_.lines[i].find(": 100 in the last 10 s (1 logged)"), std::string::npos)
            << sink_.lines[i];
}

TEST_F(LogThrottleTest, AQuietKeyNeedsNoSummary) {
    warn("refused", "a");
    clock_.advance(10'000);
    throttle_.flush_due();
    EXPECT_EQ(sink_.lines.size(), 1u);
    EXPECT_EQ(throttle_.next_due(), LogThrottle::kNever);
}

TEST_F(LogThrottleTest, SummaryComesWithTheNextEventEvenWithoutATick) {
    warn("refused", "a");
    warn("refused", "a");
    clock_.advance(10'001);
    warn("refused", "b");
    ASSERT_EQ(sink_.lines.size(), 3u);
    EXPECT_NE(sink_.lines[1].find("refused: a: 2 in the last"), std::string::npos);
}

TEST_F(LogThrottleTest, ManySubjectsAreBoundedAndCountedInOneOverflowLine) {
    const int subjects = 1000;
    for (int round = 0; round < 3; ++round)
        for (int i = 0; i < subjects; ++i)
            warn("refused", "127.0.0." + std::to_string(i));
    std::size_t cap = LogThrottle::kBuckets * LogThrottle::kWays;
    EXPECT_LE(sink_.lines.size(), cap);
    std::size_t first = sink_.lines.size();
    clock_.advance(10'000);
    throttle_.flush_due();
    EXPECT_LE(sink_.lines.size(), first + cap + 1);
    bool overflow_line = false;
    for (const std::string& l : sink_.lines)
        overflow_line |= l.find("more events from too many sources") != std::string::npos;
    EXPECT_TRUE(overflow_line);
}

TEST_F(LogThrottleTest, WithoutAClockEverythingIsLogged) {
    LogThrottle plain;
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(plain.admit(LogLevel::kWarn, "Link", "refused", "a"));
}

TEST_F(LogThrottleTest, CountingADroppedEventDoesNotAllocate) {
    warn("PONG dropped", "x@y");
    long before = test::allocations();
    int admitted = 0;
    for (int i = 0; i < 1000; ++i)
        admitted += throttle_.admit(LogLevel::kWarn, "Link", "PONG dropped", "x@y") ? 1 : 0;
    EXPECT_EQ(test::allocations() - before, 0);
    EXPECT_EQ(admitted, 0);
}

}  // namespace
}  // namespace p2p
