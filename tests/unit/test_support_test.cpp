// The process and TCP helpers other tests stand on: they must capture output,
// time out instead of hanging, and never leave a child behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/process.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

TEST(Process, CapturesStdoutAndStderrLines) {
    Process p;
    std::string err;
    ASSERT_TRUE(
        p.start("/bin/sh", {"-c", "echo one; echo two >&2; printf 'three\\r\\nfour'"}, {}, &err))
        << err;
    std::vector<std::string> groups;
    EXPECT_EQ(p.wait_for_line("^t(h)ree$", 5s, Stream::kStdout, &groups), "three");
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[1], "h");
    EXPECT_EQ(p.wait_for_line("two", 5s, Stream::kStderr), "two");
    auto status = p.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success());
    // The unterminated last line is kept once the stream closes.
    EXPECT_EQ(p.wait_for_line("four", 5s), "four");
    EXPECT_EQ(p.lines(), (std::vector<std::string>{"one", "three", "four"}));
}

TEST(Process, CursorMovesPastMatchedLines) {
    Process p;
    ASSERT_TRUE(p.start("/bin/sh", {"-c", "echo a1; echo a2"}));
    EXPECT_EQ(p.wait_for_line("^a", 5s), "a1");
    EXPECT_EQ(p.wait_for_line("^a", 5s), "a2");
    EXPECT_FALSE(p.wait_for_line("^a", 2s));  // stream closes without a third
    EXPECT_TRUE(p.has_line(std::regex("a1")));
}

TEST(Process, StdinLinesReachTheChildAndEnvIsPassed) {
    Process p;
    ASSERT_TRUE(p.start("/bin/sh",
                        {"-c", "echo \"$P2P_HELPER_TEST\"; while read l; do echo got:$l; done"},
                        {"P2P_HELPER_TEST=hello"}));
    EXPECT_EQ(p.wait_for_line("hello", 5s), "hello");
    ASSERT_TRUE(p.write_line("ping"));
    EXPECT_EQ(p.wait_for_line("^got:", 5s), "got:ping");
    p.close_stdin();
    auto status = p.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 0);
}

TEST(Process, WaitForLineTimesOutWhileChildIsSilent) {
    Process p;
    ASSERT_TRUE(p.start("/bin/sleep", {"30"}));
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(p.wait_for_line(".", 200ms));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
    EXPECT_FALSE(p.wait_exit(50ms));
    ASSERT_TRUE(p.send_signal(SIGTERM));
    auto status = p.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_FALSE(status->exited);
    EXPECT_EQ(status->signal, SIGTERM);
}

TEST(Process, DestructorKillsARunningChild) {
    pid_t pid;
    {
        Process p;
        ASSERT_TRUE(p.start("/bin/sleep", {"30"}));
        pid = p.pid();
        EXPECT_TRUE(p.running());
    }
    EXPECT_NE(::kill(pid, 0), 0);  // reaped: no such process any more
}

TEST(Process, ReportsExecFailure) {
    Process p;
    std::string err;
    EXPECT_FALSE(p.start("/nonexistent/program", {}, {}, &err));
    EXPECT_NE(err.find("exec"), std::string::npos) << err;
}

TEST(Process, RssOfSelfIsPositive) {
    EXPECT_GT(rss_kib(::getpid()), 0);
}

// A one-shot line server on an ephemeral loopback port, in a thread.
class LineServer {
  public:
    explicit LineServer(std::string reply, bool close_after = true) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::listen(fd_, 4), 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this, reply, close_after] {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            char buf[256];
            std::string got;
            while (got.find('\n') == std::string::npos) {
                ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) break;
                got.append(buf, static_cast<std::size_t>(n));
            }
            received_ = got;
            [[maybe_unused]] ssize_t w = ::write(c, reply.data(), reply.size());
            if (!close_after) {
                while (::read(c, buf, sizeof buf) > 0) {
                }
            }
            ::close(c);
        });
    }
    ~LineServer() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    std::string received() {
        thread_.join();
        thread_ = std::thread([] {});
        return received_;
    }

  private:
    int fd_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::string received_;
};

TEST(TcpClient, RequestLineRoundTrip) {
    LineServer server("pong\r\n");
    EXPECT_EQ(request_line(server.port(), "ping"), "pong");
    EXPECT_EQ(server.received(), "ping\n");
}

TEST(TcpClient, ReadsSeveralLinesThenSeesClose) {
    LineServer server("a\nb\npartial");
    TcpClient c;
    ASSERT_TRUE(c.connect(server.port()));
    ASSERT_TRUE(c.send_line("x"));
    EXPECT_EQ(c.read_line(), "a");
    EXPECT_EQ(c.read_line(), "b");
    std::string line;
    EXPECT_EQ(c.read_line(&line, 5s), TcpClient::Read::kClosed);
    EXPECT_EQ(c.pending(), "partial");
}

TEST(TcpClient, ReadTimesOutWhenServerIsSilent) {
    LineServer server("", /*close_after=*/false);
    TcpClient c;
    ASSERT_TRUE(c.connect(server.port()));
    std::string line;
    EXPECT_EQ(c.read_line(&line, 200ms), TcpClient::Read::kTimeout);
    EXPECT_FALSE(c.wait_closed(100ms));
    ASSERT_TRUE(c.send_line("done"));
    c.close();
}

TEST(TcpClient, ConnectRefusedFailsQuickly) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);  // bound then closed: nobody listens on this port
    TcpClient c;
    std::string err;
    EXPECT_FALSE(c.connect(ntohs(a.sin_port), 2s, "127.0.0.1", &err));
    EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace p2p::test
