// platform/output_queue over real pipes, sockets and files: a reader that stops never
// blocks the writer, what is accepted arrives whole and in order, drops are counted and
// reported once the reader is back.
#include "platform/output_queue.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "tests/support/loop_wait.h"
#include "tests/support/temp_path.h"

namespace p2p::platform {
namespace {

using Clock = std::chrono::steady_clock;

class OutputQueueTest : public ::testing::Test {
  protected:
    void SetUp() override { ::signal(SIGPIPE, SIG_IGN); }
};

std::string numbered_line(int i) {
    char buf[128];
    int n = std::snprintf(buf, sizeof buf, "line %06d %s\n", i,
                          "padding padding padding padding padding padding padding");
    return std::string(buf, static_cast<std::size_t>(n));
}

// Reads everything from fd until EOF.
std::string read_all(int fd) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

TEST_F(OutputQueueTest, AStoppedPipeReaderNeverBlocksTheWriter) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    const int flags_before = ::fcntl(p[1], F_GETFL);
    {
        OutputQueue out(p[1], 64 * 1024);
        EXPECT_STREQ(out.method(), "reopened");
        auto start = Clock::now();
        int accepted = 0;
        for (int i = 0; i < 20000; ++i)  // ~1.7 MB into a 64 KiB pipe nobody reads
            if (out.write(numbered_line(i))) ++accepted;
        EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
        EXPECT_LT(accepted, 20000);
        EXPECT_GT(accepted, 0);
        EXPECT_LE(out.backlog(), 64u * 1024);
        EXPECT_EQ(out.dropped_total(), static_cast<std::uint64_t>(20000 - accepted));
        EXPECT_EQ(out.take_dropped_report(), 0u) << "still dropping: not reported yet";
    }
    // The descriptor the shell shares with us was never made non-blocking.
    EXPECT_EQ(::fcntl(p[1], F_GETFL), flags_before);
    ::close(p[0]);
    ::close(p[1]);
}

TEST_F(OutputQueueTest, BacklogDrainsInOrderWhenTheReaderComesBack) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    EventLoop loop;
    std::string expected;
    std::uint64_t dropped = 0;
    {
        OutputQueue out(p[1], 32 * 1024);
        out.attach(loop);
        for (int i = 0; i < 5000; ++i) {
            std::string line = numbered_line(i);
            if (out.write(line))
                expected += line;
            else
                ++dropped;
        }
        ASSERT_GT(dropped, 0u);
        std::string got;
        std::thread reader([&] {
            char buf[4096];
            while (got.size() < expected.size()) {
                ssize_t n = ::read(p[0], buf, sizeof buf);
                if (n <= 0) break;
                got.append(buf, static_cast<std::size_t>(n));
            }
        });
        EXPECT_TRUE(test::run_until(loop, [&] { return out.backlog() == 0; }));
        reader.join();
        EXPECT_EQ(got, expected) << "every accepted line whole, in order, once";
        EXPECT_EQ(out.take_dropped_report(), dropped);
        EXPECT_EQ(out.take_dropped_report(), 0u) << "reported once";
        EXPECT_TRUE(out.write("after\n"));
        EXPECT_EQ(out.backlog(), 0u);
    }
    char buf[16];
    EXPECT_EQ(::read(p[0], buf, sizeof buf), 6);
    ::close(p[0]);
    ::close(p[1]);
}

TEST_F(OutputQueueTest, SocketIsWrittenWithoutBlockingAndWithoutTouchingItsFlags) {
    int s[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    const int flags_before = ::fcntl(s[0], F_GETFL);
    {
        OutputQueue out(s[0], 16 * 1024);
        EXPECT_STREQ(out.method(), "send");
        auto start = Clock::now();
        for (int i = 0; i < 20000; ++i)
            out.write(numbered_line(i));
        EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
        EXPECT_GT(out.dropped_total(), 0u);
    }
    EXPECT_EQ(::fcntl(s[0], F_GETFL), flags_before);
    ::close(s[0]);
    ::close(s[1]);
}

TEST_F(OutputQueueTest, ReaderGoneIsReportedNotFatal) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    ::close(p[0]);
    OutputQueue out(p[1]);
    EXPECT_FALSE(out.write("nobody\n"));
    EXPECT_TRUE(out.reader_gone());
    EXPECT_FALSE(out.write("still nobody\n"));
    ::close(p[1]);
}

TEST_F(OutputQueueTest, RegularFileIsWrittenDirectly) {
    std::string path = p2p::test::temp_template("p2p_outq");
    int fd = ::mkstemp(path.data());
    ASSERT_GE(fd, 0);
    {
        OutputQueue out(fd);
        EXPECT_STREQ(out.method(), "file");
        EXPECT_TRUE(out.write("one\n"));
        EXPECT_TRUE(out.write("two\n"));
    }
    int rd = ::open(path.c_str(), O_RDONLY);
    EXPECT_EQ(read_all(rd), "one\ntwo\n");
    ::close(rd);
    ::close(fd);
    ::unlink(path.c_str());
}

}  // namespace
}  // namespace p2p::platform
