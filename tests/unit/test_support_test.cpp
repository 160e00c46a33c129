// The process and TCP helpers other tests stand on: they must capture output,
// time out instead of hanging, and never leave a child behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "tests/support/node_process.h"
#include "tests/support/process.h"
#include "tests/support/process_guard.h"
#include "tests/support/tcp_client.h"
#include "tests/support/tcp_queues.h"

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

TEST(Process, DestructorStopsAChildWithSigtermSoItsExitPathRuns) {
    TempDir dir;
    const std::string marker = dir.path() + "/stopped";
    {
        Process p;
        ASSERT_TRUE(p.start("/bin/sh", {"-c", "trap 'echo term > " + shell_quote(marker) +
                                                  "; exit 0' TERM; echo ready; "
                                                  "while :; do sleep 0.05; done"}));
        ASSERT_TRUE(p.wait_for_line("ready", 5s));
    }
    EXPECT_TRUE(std::filesystem::exists(marker)) << "the child was not given SIGTERM";
}

TEST(Process, ChildThatIgnoresSigtermIsKilledAndFailsTheTest) {
    pid_t pid = -1;
    EXPECT_NONFATAL_FAILURE(
        {
            Process p;
            p.set_stop_timeout(300ms);
            ASSERT_TRUE(p.start("/bin/sh", {"-c", "trap '' TERM; echo ready; exec sleep 30"}));
            ASSERT_TRUE(p.wait_for_line("ready", 5s));
            pid = p.pid();
        },
        "ignored SIGTERM");
    EXPECT_NE(::kill(pid, 0), 0);  // killed and reaped all the same
}

TEST(Process, SanitizerReportOnTheChildsStderrFailsTheTest) {
    for (const char* report :
         {"==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020",
          "==12==ERROR: LeakSanitizer: detected memory leaks",
          "core/codec.cpp:10:5: runtime error: signed integer overflow"}) {
        EXPECT_NONFATAL_FAILURE(
            {
                Process p;
                ASSERT_TRUE(p.start("/bin/sh", {"-c", std::string("echo '") + report + "' >&2"}));
                p.wait_exit(5s);
            },
            "sanitizer error");
    }
    Process clean;  // the same output on stdout, or a clean stderr, is no report
    ASSERT_TRUE(clean.start("/bin/sh", {"-c", "echo 'runtime error: x'; echo fine >&2"}));
    clean.wait_exit(5s);
}

// The mark comes from the environment every gtest program links
// (process_guard_env.cpp): this test fails without it.
TEST(ProcessGuard, FindsAMarkedGrandchildThatOutlivedItsParent) {
    Process p;
    ASSERT_TRUE(p.start("/bin/sh", {"-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $!"}));
    auto line = p.wait_for_line("^[0-9]+$", 5s);
    ASSERT_TRUE(line);
    const pid_t orphan = static_cast<pid_t>(std::stol(*line));
    ASSERT_TRUE(p.wait_exit(5s));
    bool found = false;
    for (const LeftoverProcess& left : processes_marked_by(::getpid()))
        found = found || (left.pid == orphan && left.command.find("sleep 30") == 0);
    EXPECT_TRUE(found) << "the orphaned sleep is not seen as this test's";
    EXPECT_NONFATAL_FAILURE(fail_on_leftover_processes(100ms), "outlived its test");
    EXPECT_TRUE(processes_marked_by(::getpid()).empty());
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

// A socket listening on an ephemeral 127.0.0.1 port; the port into *port.
int listen_on_loopback(std::uint16_t* port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    *port = ntohs(a.sin_port);
    return fd;
}

// A one-shot line server on an ephemeral loopback port, in a thread.
class LineServer {
  public:
    explicit LineServer(std::string reply, bool close_after = true) {
        fd_ = listen_on_loopback(&port_);
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

// A listener on an ephemeral 127.0.0.1 port that accepts and reads only when told.
struct QuietListener {
    QuietListener() { fd = listen_on_loopback(&port); }
    ~QuietListener() {
        if (accepted >= 0) ::close(accepted);
        ::close(fd);
    }
    int fd = -1, accepted = -1;
    std::uint16_t port = 0;
};

TEST(TcpQueues, AcceptedOnlyOnceTheProgramHasTakenTheConnection) {
    QuietListener server;
    TcpClient c;
    ASSERT_TRUE(c.connect(server.port));
    EXPECT_FALSE(wait_accepted(server.port, 1, 100ms)) << "queued, not accepted";
    server.accepted = ::accept(server.fd, nullptr, nullptr);
    ASSERT_GE(server.accepted, 0);
    EXPECT_TRUE(wait_accepted(server.port, 1, 5s));
    EXPECT_FALSE(wait_accepted(server.port, 2, 100ms)) << "only one connection exists";
}

TEST(TcpQueues, ReadAllOnlyOnceTheProgramHasReadWhatWasSent) {
    QuietListener server;
    TcpClient c;
    ASSERT_TRUE(c.connect(server.port));
    server.accepted = ::accept(server.fd, nullptr, nullptr);
    ASSERT_GE(server.accepted, 0);
    EXPECT_TRUE(wait_peer_read_all(c.fd(), 5s)) << "nothing sent yet";
    ASSERT_TRUE(c.send("half a line"));
    EXPECT_FALSE(wait_peer_read_all(c.fd(), 100ms)) << "sent, not read";
    char buf[64];
    EXPECT_EQ(::read(server.accepted, buf, sizeof buf), 11);
    EXPECT_TRUE(wait_peer_read_all(c.fd(), 5s));
}

TEST(TcpQueues, ClosesHandledOnlyOnceTheProgramClosedItsEnd) {
    QuietListener server;
    auto c = std::make_unique<TcpClient>();
    ASSERT_TRUE(c->connect(server.port));
    server.accepted = ::accept(server.fd, nullptr, nullptr);
    ASSERT_GE(server.accepted, 0);
    c.reset();  // the client closes; the server has not noticed
    EXPECT_FALSE(wait_closes_handled(server.port, 100ms));
    ::close(server.accepted);
    server.accepted = -1;
    EXPECT_TRUE(wait_closes_handled(server.port, 5s));
}

}  // namespace
}  // namespace p2p::test
