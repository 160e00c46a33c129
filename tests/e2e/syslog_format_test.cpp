// --log-format syslog against the real binary (issue 15.6: OpenWrt's procd
// files a service's stderr at LOG_ERR, so a router logs through syslog(3)).
// glibc's syslog() always writes to /dev/log, so the node runs in a private
// mount namespace whose /dev is an overlay of the real one with /dev/log
// linked to a datagram socket this test reads: what arrives is exactly what
// syslogd would get. Each line carries its level's priority under facility
// daemon (<31> debug, <30> info, <28> warning); a refused rendezvous is one
// warning, its retries debug only; nothing goes to stderr.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

// Binds /dev/log for a program started with in_private_dev(): the mount
// namespace, an overlay /dev, and the link are made by a shell before the
// program is exec'd (unshare(1) runs it in the same process, so signals
// reach the node itself).
class PrivateDevLog {
  public:
    PrivateDevLog() {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::string path = dir_.path() + "/log";
        std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            unavailable_ = "cannot bind a unix datagram socket at " + path;
            return;
        }
        // The same steps as the real run, ending in `true`: why it cannot work, if not.
        Process probe;
        std::string err;
        std::vector<std::string> a = in_private_dev("/bin/true", {});
        if (::getuid() != 0) {
            unavailable_ = "needs root for a mount namespace";
        } else if (!probe.start(a[0], {a.begin() + 1, a.end()}, {}, &err)) {
            unavailable_ = "cannot run unshare: " + err;
        } else {
            auto status = probe.wait_exit(std::chrono::seconds(10));
            if (!status || !status->success())
                unavailable_ = "no private /dev/log (unshare -m, overlay mount): " + probe.dump();
        }
    }
    ~PrivateDevLog() {
        if (fd_ >= 0) ::close(fd_);
    }
    const std::string& unavailable() const { return unavailable_; }

    // argv (program first) that runs `program args...` with /dev/log ours.
    std::vector<std::string> in_private_dev(const std::string& program,
                                            const std::vector<std::string>& args) const {
        std::vector<std::string> a = {
            "/usr/bin/unshare",
            "-m",
            "/bin/sh",
            "-c",
            "d=$1; shift; mount --make-rprivate / && mkdir -p \"$d/up\" \"$d/work\" && "
            "mount -t overlay overlay -o \"lowerdir=/dev,upperdir=$d/up,workdir=$d/work\" /dev && "
            "ln -sf \"$d/log\" /dev/log && exec \"$@\"",
            "sh",
            dir_.path(),
            program};
        a.insert(a.end(), args.begin(), args.end());
        return a;
    }

    // Datagrams received until one matches `re` (included), or the timeout.
    bool wait_for(const std::regex& re, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) continue;
            got_.emplace_back(buf, static_cast<std::size_t>(n));
            if (std::regex_search(got_.back(), re)) return true;
        }
    }
    int count(const std::regex& re) const {
        int n = 0;
        for (const std::string& d : got_)
            n += std::regex_search(d, re) ? 1 : 0;
        return n;
    }
    std::string all() const {
        std::string s;
        for (const std::string& d : got_)
            s += d + "\n";
        return s;
    }

  private:
    TempDir dir_;
    int fd_ = -1;
    std::string unavailable_;
    std::vector<std::string> got_;
};

TEST(SyslogFormat, LinesGoToSyslogWithTheirPriorityAndAFailureWarnsOnce) {
    PrivateDevLog dev_log;
    if (!dev_log.unavailable().empty()) GTEST_SKIP() << dev_log.unavailable();
    DeadPort dead;
    std::vector<std::string> a = dev_log.in_private_dev(
        P2PCHAT_BIN, {"--name", "syl", "--namespace", "CIC", "--no-shell", "--rendezvous",
                      "127.0.0.1:" + std::to_string(dead.port()), "--log-format", "syslog",
                      "--log-level", "debug"});
    Process node;
    std::string err;
    ASSERT_TRUE(node.start(a[0], {a.begin() + 1, a.end()}, {}, &err)) << err;

    // Facility daemon (3 << 3): debug 31, info 30, warning 28; "p2pchat[PID]: " as ident.
    const std::string head = "^<([0-9]+)>.* p2pchat\\[" + std::to_string(node.pid()) + "\\]: ";
    ASSERT_TRUE(dev_log.wait_for(
        std::regex("^<31>.*\\[Rendezvous\\] REGISTER failed \\(.*\\), retry 2 in"), kEventTimeout))
        << dev_log.all() << node.dump();
    std::regex warning("^<28>.* p2pchat\\[[0-9]+\\]: \\[Rendezvous\\] 127\\.0\\.0\\.1:" +
                       std::to_string(dead.port()) +
                       ": REGISTER failed: unreachable: Connection refused; retry in");
    EXPECT_EQ(dev_log.count(warning), 1) << dev_log.all();
    EXPECT_EQ(dev_log.count(std::regex("^<2[0-9]>.*REGISTER failed")), 1) << dev_log.all();
    EXPECT_EQ(dev_log.count(std::regex(head)), dev_log.count(std::regex("^<")))
        << "every datagram from the node, under its own pid\n"
        << dev_log.all();

    ASSERT_TRUE(node.send_signal(SIGUSR1));  // the stats line, at INFO
    EXPECT_TRUE(dev_log.wait_for(std::regex("^<30>.* p2pchat\\[" + std::to_string(node.pid()) +
                                            "\\]: \\[Node\\] stats: peers"),
                                 kEventTimeout))
        << dev_log.all();
    EXPECT_TRUE(node.lines(Stream::kStderr).empty()) << node.dump();
    node.stop();
}

}  // namespace
}  // namespace p2p::test
