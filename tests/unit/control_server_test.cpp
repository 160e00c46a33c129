// shell/runtime/control_server on a real EventLoop and Unix socket: the greeting, a
// request and its answer, the limits (request length, clients, unread output), and
// accepting when the process is out of descriptors (a pause, not a spin).
#include "shell/runtime/control_server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/limits.h"
#include "platform/net.h"
#include "platform/unix_socket.h"
#include "tests/support/loop_wait.h"

namespace p2p::shell {
namespace {

using test::run_until;

struct Handler final : ControlHandler {
    bool on_control_command(ControlClient& client, std::string_view line) override {
        commands.emplace_back(line);
        if (line == "flood") {
            for (int i = 0; i < 10'000; ++i)
                client.output(std::string(100, 'f') + "\n");
            return true;
        }
        client.output("ran " + std::string(line) + "\n");
        return line != "fail";
    }
    std::vector<std::string> commands;
};

// A client of the control socket, reading what the server sends.
class Client {
  public:
    explicit Client(const std::string& path) {
        std::string err;
        fd_ = platform::unix_connect(path, &err);
        EXPECT_GE(fd_, 0) << err;
    }
    ~Client() {
        if (fd_ >= 0) platform::close_fd(fd_);
    }
    void send(std::string_view s) const {
        ASSERT_EQ(::write(fd_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
    }
    // Reads until `text` has arrived (or the server closed); everything read so far.
    bool wait_for(platform::EventLoop& loop, std::string_view text) {
        return run_until(loop, [&] {
            read_some();
            return got.find(text) != std::string::npos;
        });
    }
    bool wait_closed(platform::EventLoop& loop) {
        return run_until(loop, [&] { return read_some() == platform::IoResult::kClosed; });
    }
    platform::IoResult read_some() {
        char buf[4096];
        std::size_t n = 0;
        platform::IoResult r = platform::sock_read(fd_, buf, sizeof buf, &n);
        if (r == platform::IoResult::kOk) got.append(buf, n);
        return r;
    }
    int fd() const { return fd_; }
    std::string got;

  private:
    int fd_ = -1;
};

class ControlServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("p2p-control-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        config.path = (dir_ / "control").string();
        config.what = "test";
    }
    void TearDown() override {
        server.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    ControlServer& start() {
        server = std::make_unique<ControlServer>(loop, handler, config);
        std::string err;
        EXPECT_TRUE(server->start(&err)) << err;
        return *server;
    }

    platform::EventLoop loop;
    Handler handler;
    ControlServerConfig config;
    std::unique_ptr<ControlServer> server;

  private:
    std::filesystem::path dir_;
};

TEST_F(ControlServerTest, GreetsRunsACommandAndEndsItsAnswerWithOkOrErr) {
    start();
    Client c(config.path);
    ASSERT_TRUE(c.wait_for(loop, "hello p2pchat-control 1 test\n"));
    c.send("run t1 /peers\nrun t2 fail\nbogus\n");
    ASSERT_TRUE(c.wait_for(loop, "err - unknown request"));
    EXPECT_EQ(c.got,
              "hello p2pchat-control 1 test\n"
              "o ran /peers\nok t1\n"
              "o ran fail\nerr t2\n"
              "err - unknown request (run, ids, mode, events, readonly, typed)\n");
    EXPECT_EQ(server->clients(), 1u);
}

TEST_F(ControlServerTest, RequestTooLongIsRefusedAndTheNextOneRuns) {
    start();
    Client c(config.path);
    ASSERT_TRUE(c.wait_for(loop, "hello"));
    c.send("run t1 " + std::string(kMaxLineBytes + 100, 'x') + "\nrun t2 after\n");
    ASSERT_TRUE(c.wait_for(loop, "ok t2\n"));
    EXPECT_NE(c.got.find("err - request too long\n"), std::string::npos) << c.got;
    EXPECT_EQ(handler.commands, std::vector<std::string>{"after"});
}

TEST_F(ControlServerTest, ClientsOverTheLimitAreToldAndClosed) {
    config.max_clients = 1;
    start();
    Client first(config.path);
    ASSERT_TRUE(first.wait_for(loop, "hello"));
    Client second(config.path);
    ASSERT_TRUE(second.wait_for(loop, "bye too many attached clients\n"));
    EXPECT_TRUE(second.wait_closed(loop));
    EXPECT_EQ(server->clients(), 1u);
}

TEST_F(ControlServerTest, AClientThatStopsReadingIsDroppedAndAHangUpIsSwept) {
    config.queue_bytes = 64 * 1024;
    start();
    Client stuck(config.path);
    Client gone(config.path);
    ASSERT_TRUE(run_until(loop, [&] { return server->clients() == 2; }));
    stuck.send("run t1 flood\n");  // ~1 MB of output, nothing read
    ASSERT_TRUE(run_until(loop, [&] { return server->clients() == 1; }));
    platform::close_fd(gone.fd());
    ASSERT_TRUE(run_until(loop, [&] { return server->clients() == 0; }));
    EXPECT_TRUE(stuck.wait_closed(loop)) << "the dropped client's socket is still open";
    std::size_t seen = 0;
    server->for_each_client([&](ControlClient&) { ++seen; });
    EXPECT_EQ(seen, 0u);
}

// Out of descriptors, accept() fails with EMFILE while the connection stays queued and
// the listener readable: the server must pause accepting, not wake the loop at once
// again and again, and accept the client once descriptors are free.
TEST_F(ControlServerTest, OutOfDescriptorsPausesAcceptingInsteadOfSpinning) {
    start();
    int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);
    std::vector<int> filler;
    while (true) {
        int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) break;
        filler.push_back(fd);
        ASSERT_LT(filler.size(), 1'000'000u) << "no descriptor limit to reach";
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", config.path.c_str());
    int rc = ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int connect_errno = errno;

    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    int wakeups = 0;
    bool paused = false;
    MonoMs end = loop.now() + 300;
    while (loop.now() < end) {
        loop.run_once(50);
        ++wakeups;
        paused = paused || server->accept_paused();
    }
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    for (int fd : filler)
        ::close(fd);
    ASSERT_EQ(rc, 0) << std::strerror(connect_errno);
    auto cpu_us = [](const rusage& r) {
        return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1'000'000L + r.ru_utime.tv_usec +
               r.ru_stime.tv_usec;
    };
    EXPECT_TRUE(paused);
    EXPECT_LT(wakeups, 40) << "the loop spins on a listener it cannot accept from";
    EXPECT_LT(cpu_us(after) - cpu_us(before), 100'000L);

    // Descriptors are free again: the queued client is greeted.
    std::string got;
    ASSERT_TRUE(run_until(loop, [&] {
        char buf[256];
        ssize_t n = ::recv(client, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        return got.find('\n') != std::string::npos;
    }));
    EXPECT_EQ(got, "hello p2pchat-control 1 test\n");
    EXPECT_EQ(server->clients(), 1u);
    ::close(client);
}

}  // namespace
}  // namespace p2p::shell
