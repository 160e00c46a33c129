// Both programs under a service manager's Type=notify and WatchdogSec=: a datagram
// socket stands in for systemd's NOTIFY_SOCKET, as sd_notify(3) describes it.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/deadline.h"
#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

// The service manager's end: collects every datagram sent to it.
class FakeSystemd {
  public:
    FakeSystemd() {
        path_ = dir_.path() + "/notify";
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path_.c_str());
        bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    }
    ~FakeSystemd() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return bound_; }
    std::string env() const { return "NOTIFY_SOCKET=" + path_; }

    // Waits until `times` datagrams holding `needle` have arrived (counting
    // those already here); every datagram is kept.
    bool wait_for(const std::string& needle, std::chrono::milliseconds timeout, int times = 1) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (count(needle) < times) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) got_.emplace_back(buf, static_cast<std::size_t>(n));
        }
        return true;
    }
    int count(const std::string& needle) const {
        int n = 0;
        for (const std::string& d : got_)
            if (d.find(needle) != std::string::npos) ++n;
        return n;
    }
    std::string all() const {
        std::string s;
        for (const std::string& d : got_)
            s += "[" + d + "]\n";
        return s;
    }

  private:
    TempDir dir_;
    std::string path_;
    int fd_ = -1;
    bool bound_ = false;
    std::vector<std::string> got_;
};

TEST(ServiceNotify, NodeIsReadyOnceRegisteredKeepsTheWatchdogAndSaysStopping) {
    FakeSystemd systemd;
    ASSERT_TRUE(systemd.ok());
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;
    NodeConfig c;
    c.name = "svc";
    c.rendezvous_port = rdv.port();
    c.extra_env = {systemd.env(), "WATCHDOG_USEC=200000"};  // keep-alive every 100 ms
    NodeProcess node;
    ASSERT_TRUE(node.start(c, &err)) << err;
    ASSERT_TRUE(systemd.wait_for("READY=1", 10s)) << systemd.all() << node.dump();
    EXPECT_TRUE(systemd.wait_for("STATUS=registered svc@CIC", 5s)) << systemd.all();
    EXPECT_TRUE(systemd.wait_for("WATCHDOG=1", 10s, 3)) << systemd.all();
    EXPECT_EQ(systemd.count("READY=1"), 1) << systemd.all();
    auto status = node.quit();
    ASSERT_TRUE(status) << node.dump();
    EXPECT_TRUE(systemd.wait_for("STOPPING=1", 5s)) << systemd.all();
}

TEST(ServiceNotify, NodeIsReadyEvenWhenTheRendezvousIsDown) {
    FakeSystemd systemd;
    ASSERT_TRUE(systemd.ok());
    DeadPort dead;
    NodeConfig c;
    c.name = "lonely";
    c.rendezvous_port = dead.port();
    c.extra_env = {systemd.env()};
    NodeProcess node;
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    EXPECT_TRUE(systemd.wait_for("READY=1", 10s)) << systemd.all() << node.dump();
    EXPECT_TRUE(systemd.wait_for("STATUS=127.0.0.1:" + std::to_string(dead.port()) +
                                     ": REGISTER failed: unreachable: Connection refused",
                                 5s))
        << systemd.all();
}

TEST(ServiceNotify, RendezvousServerIsReadyWhenListeningAndSaysStopping) {
    FakeSystemd systemd;
    ASSERT_TRUE(systemd.ok());
    Process rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(P2PCHAT_BIN, {"rendezvous", "--listen", "127.0.0.1:0"},
                          {systemd.env(), "WATCHDOG_USEC=200000"}, &err))
        << err;
    ASSERT_TRUE(systemd.wait_for("READY=1", 10s)) << systemd.all() << rdv.dump();
    EXPECT_TRUE(systemd.wait_for("STATUS=listening on 127.0.0.1:", 5s)) << systemd.all();
    EXPECT_TRUE(systemd.wait_for("WATCHDOG=1", 2s)) << systemd.all();
    ASSERT_TRUE(rdv.send_signal(SIGTERM));
    EXPECT_TRUE(systemd.wait_for("STOPPING=1", 5s)) << systemd.all();
    auto status = rdv.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success());
}

}  // namespace
}  // namespace p2p::test
