// Accepting on the reactor (platform/listener.h): the connection cap and its refusal
// line, the pause when descriptors run out (EMFILE), and a Unix listener.
#include "platform/listener.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "platform/connection.h"
#include "platform/net.h"
#include "platform/unix_socket.h"
#include "tests/support/loop_wait.h"
#include "tests/unit/socket_peer.h"

namespace p2p::platform {
namespace {

using test::run_until;

constexpr std::size_t kReadCap = 4096;

struct Acceptor final : ListenerOwner, ConnectionOwner {
    EventLoop& loop;
    char read_buf[kReadCap + 1];
    std::vector<std::unique_ptr<Connection>> conns;
    std::size_t open = 0;
    explicit Acceptor(EventLoop& l) : loop(l) {}
    void on_accept(int fd, const SockAddr&) override {
        ConnectionConfig config;
        config.read_buf = read_buf;
        config.read_cap = kReadCap;
        conns.push_back(std::make_unique<Connection>(loop, *this, config));
        if (conns.back()->open(fd)) ++open;
    }
    std::size_t open_connections() const override { return open; }
    void on_closed(Connection&, CloseReason) override { --open; }
};

int connect_to(const SockAddr& addr) {
    std::string err;
    int fd = tcp_connect_start(addr, &err);
    EXPECT_GE(fd, 0) << err;
    return fd;
}

TEST(ConnectionListener, RefusesPastTheCapWithItsLine) {
    EventLoop loop;
    Acceptor acceptor(loop);
    ListenerConfig lc;
    lc.max_connections = 2;
    lc.refusal = "bye full\n";
    Listener listener(loop, acceptor, lc);
    SockAddr any;
    ASSERT_TRUE(parse_numeric_addr("127.0.0.1", 0, any));
    std::string err;
    ASSERT_TRUE(listener.listen_tcp(any, 16, &err)) << err;
    SocketPeer a, b, c;
    a.fd = connect_to(listener.address());
    b.fd = connect_to(listener.address());
    ASSERT_TRUE(run_until(
        loop, [&] { return acceptor.open == 2; }, 3000));
    c.fd = connect_to(listener.address());
    std::string got;
    bool eof = false;
    ASSERT_TRUE(run_until(
        loop,
        [&] {
            got += c.drain(&eof);
            return eof;
        },
        3000));
    EXPECT_EQ(got, "bye full\n");
    EXPECT_EQ(acceptor.open, 2u);
    // Room again after a close: the next one is accepted.
    acceptor.conns[0]->close(CloseReason::kByOwner);
    SocketPeer d;
    d.fd = connect_to(listener.address());
    ASSERT_TRUE(run_until(
        loop, [&] { return acceptor.conns.size() == 3; }, 3000));
    EXPECT_EQ(acceptor.open, 2u);
}

TEST(ConnectionListener, PausesAcceptingWhenDescriptorsRunOut) {
    EventLoop loop;
    Acceptor acceptor(loop);
    Listener listener(loop, acceptor, ListenerConfig{});
    SockAddr any;
    ASSERT_TRUE(parse_numeric_addr("127.0.0.1", 0, any));
    std::string err;
    ASSERT_TRUE(listener.listen_tcp(any, 16, &err)) << err;
    SocketPeer a;
    a.fd = connect_to(listener.address());
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    // No descriptor number below the limit is free: accept() fails with EMFILE.
    int lowest_free = ::dup(0);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(lowest_free);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    bool paused = run_until(
        loop, [&] { return listener.accept_paused(); }, 3000);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
    ASSERT_TRUE(paused);
    EXPECT_EQ(acceptor.open, 0u);
    EXPECT_TRUE(run_until(
        loop, [&] { return acceptor.open == 1; }, 3000));
    EXPECT_FALSE(listener.accept_paused());
}

TEST(ConnectionListener, AcceptsOnAUnixSocketToo) {
    EventLoop loop;
    Acceptor acceptor(loop);
    Listener listener(loop, acceptor, ListenerConfig{});
    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/connection_test_" +
                       std::to_string(::getpid()) + ".sock";
    std::string err;
    ASSERT_TRUE(listener.adopt(unix_listen(path, 0600, -1, &err), &err)) << err;
    SocketPeer a;
    a.fd = unix_connect(path, &err);
    ASSERT_GE(a.fd, 0) << err;
    EXPECT_TRUE(run_until(
        loop, [&] { return acceptor.open == 1; }, 3000));
    a.send("x\n");
    listener.stop();
    unix_unlink(path);
    EXPECT_FALSE(listener.listening());
}

}  // namespace
}  // namespace p2p::platform
