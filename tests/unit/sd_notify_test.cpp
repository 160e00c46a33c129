// platform/sd_notify: the datagrams systemd reads, sent to a real AF_UNIX datagram socket
// standing in for the service manager, by path and by abstract name.
#include "platform/sd_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace p2p::platform {
namespace {

// The service manager's end: a bound datagram socket that collects what arrives.
class FakeSystemd {
  public:
    // name: "/path" or "@abstract", as NOTIFY_SOCKET spells it.
    explicit FakeSystemd(std::string name) : name_(std::move(name)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::string bytes = name_;
        if (bytes[0] == '@') bytes[0] = '\0';
        bytes.copy(sa.sun_path, bytes.size());
        socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + bytes.size() +
                                               (bytes[0] == '\0' ? 0 : 1));
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0;
    }
    ~FakeSystemd() {
        ::close(fd_);
        if (name_[0] == '/') ::unlink(name_.c_str());
    }
    bool bound() const { return bound_; }
    const std::string& name() const { return name_; }

    // The next datagram, or "" when none arrives within timeout_ms.
    std::string receive(int timeout_ms = 1000) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1) return "";
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    }

  private:
    std::string name_;
    int fd_ = -1;
    bool bound_ = false;
};

std::string unique_suffix() {
    return std::to_string(getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string temp_socket_path() {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp") + "/p2p-notify-" + unique_suffix();
}

NotifyEnvironment env_for(const std::string& socket, std::string usec = "", std::string pid = "") {
    return {socket, std::move(usec), std::move(pid)};
}

TEST(SdNotify, ReadyReachesAPathSocket) {
    FakeSystemd systemd(temp_socket_path());
    ASSERT_TRUE(systemd.bound());
    ServiceNotifier notifier(env_for(systemd.name()));
    ASSERT_TRUE(notifier.enabled());
    EXPECT_TRUE(notifier.ready());
    EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST(SdNotify, EveryStateReachesAnAbstractSocket) {
    FakeSystemd systemd("@p2p-notify-" + unique_suffix());
    ASSERT_TRUE(systemd.bound());
    ServiceNotifier notifier(env_for(systemd.name()));
    ASSERT_TRUE(notifier.enabled());
    EXPECT_TRUE(notifier.ready());
    EXPECT_EQ(systemd.receive(), "READY=1");
    EXPECT_TRUE(notifier.watchdog());
    EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
    EXPECT_TRUE(notifier.status("3 peers, 2 links"));
    EXPECT_EQ(systemd.receive(), "STATUS=3 peers, 2 links");
    EXPECT_TRUE(notifier.stopping());
    EXPECT_EQ(systemd.receive(), "STOPPING=1");
    EXPECT_TRUE(notifier.reloading());
    std::string reload = systemd.receive();
    EXPECT_EQ(reload.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reload;
    EXPECT_GT(reload.size(), std::string("RELOADING=1\nMONOTONIC_USEC=").size());
}

TEST(SdNotify, StatusStaysOneAssignment) {
    FakeSystemd systemd("@p2p-notify-" + unique_suffix());
    ASSERT_TRUE(systemd.bound());
    ServiceNotifier notifier(env_for(systemd.name()));
    EXPECT_TRUE(notifier.status("line one\nREADY=1\r"));
    EXPECT_EQ(systemd.receive(), "STATUS=line one READY=1 ");
}

TEST(SdNotify, WithoutAUsableSocketNothingIsSent) {
    for (const char* name : {"", "relative/path", "@", "/", "vsock:2:1234"}) {
        ServiceNotifier notifier(env_for(name));
        EXPECT_FALSE(notifier.enabled()) << name;
        EXPECT_FALSE(notifier.ready()) << name;
    }
    std::string too_long = "/" + std::string(sizeof(sockaddr_un::sun_path), 'x');
    EXPECT_FALSE(ServiceNotifier(env_for(too_long)).enabled());
}

TEST(SdNotify, AGoneManagerIsAFailedSendNotACrash) {
    std::string path = temp_socket_path();
    { FakeSystemd gone(path); }
    ServiceNotifier notifier(env_for(path));
    ASSERT_TRUE(notifier.enabled());
    EXPECT_FALSE(notifier.ready());
}

TEST(SdNotify, AManagerThatDoesNotReadNeverBlocksTheSender) {
    FakeSystemd systemd("@p2p-notify-" + unique_suffix());
    ASSERT_TRUE(systemd.bound());
    ServiceNotifier notifier(env_for(systemd.name()));
    // The receive queue holds net.unix.max_dgram_qlen datagrams (10 by default); a
    // blocking send would hang here for good once it is full.
    auto start = std::chrono::steady_clock::now();
    int dropped = 0;
    for (int i = 0; i < 2000; ++i)
        if (!notifier.watchdog()) ++dropped;
    EXPECT_GT(dropped, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
}

TEST(SdNotify, WatchdogIntervalIsHalfOfWatchdogUsec) {
    EXPECT_EQ(ServiceNotifier(env_for("", "30000000")).watchdog_interval_ms(), 15000);
    EXPECT_EQ(ServiceNotifier(env_for("", "30000000", "4242"), 4242).watchdog_interval_ms(), 15000);
    EXPECT_EQ(ServiceNotifier(env_for("", "1000")).watchdog_interval_ms(), 1) << "at least 1 ms";
}

TEST(SdNotify, NoWatchdogWhenUnsetMalformedOrMeantForAnotherProcess) {
    EXPECT_EQ(ServiceNotifier(env_for("")).watchdog_interval_ms(), 0);
    for (const char* usec : {"0", "-5", "abc", "30s", "12 "})
        EXPECT_EQ(ServiceNotifier(env_for("", usec)).watchdog_interval_ms(), 0) << usec;
    EXPECT_EQ(ServiceNotifier(env_for("", "30000000", "4243"), 4242).watchdog_interval_ms(), 0);
    EXPECT_EQ(ServiceNotifier(env_for("", "30000000", "x"), 4242).watchdog_interval_ms(), 0);
}

TEST(SdNotify, ReadsTheProcessEnvironment) {
    ::setenv("NOTIFY_SOCKET", "@from-env", 1);
    ::setenv("WATCHDOG_USEC", "8000000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    NotifyEnvironment env = notify_environment();
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    EXPECT_EQ(env.notify_socket, "@from-env");
    EXPECT_EQ(env.watchdog_usec, "8000000");
    EXPECT_EQ(ServiceNotifier(env).watchdog_interval_ms(), 4000) << "our own pid";
    EXPECT_EQ(notify_environment().notify_socket, "");
}

TEST(SdNotify, PingerKeepsTheWatchdogFedFromTheLoop) {
    FakeSystemd systemd("@p2p-notify-" + unique_suffix());
    ASSERT_TRUE(systemd.bound());
    ServiceNotifier notifier(env_for(systemd.name(), "40000"));  // a ping every 20 ms
    ASSERT_EQ(notifier.watchdog_interval_ms(), 20);
    EventLoop loop;
    WatchdogPinger pinger(loop, notifier);
    pinger.start();
    EXPECT_TRUE(pinger.running());
    EXPECT_EQ(systemd.receive(0), "WATCHDOG=1") << "one at once";
    // Paced by the loop's timer: four more take at least 3 intervals, and arrive well
    // within seconds even on a loaded machine.
    int pings = 0;
    auto start = std::chrono::steady_clock::now();
    while (pings < 4 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
        loop.run_once(10);
        while (systemd.receive(0) == "WATCHDOG=1")
            ++pings;
    }
    EXPECT_GE(pings, 4);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));
    pinger.stop();
    EXPECT_FALSE(pinger.running());
    for (int i = 0; i < 5; ++i)
        loop.run_once(10);
    EXPECT_EQ(systemd.receive(0), "") << "stopped";
}

TEST(SdNotify, PingerIsIdleWithoutAWatchdog) {
    FakeSystemd systemd("@p2p-notify-" + unique_suffix());
    ServiceNotifier notifier(env_for(systemd.name()));
    EventLoop loop;
    WatchdogPinger pinger(loop, notifier);
    pinger.start();
    EXPECT_FALSE(pinger.running());
    EXPECT_EQ(systemd.receive(0), "");
}

}  // namespace
}  // namespace p2p::platform
