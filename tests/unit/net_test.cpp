// platform/net.h over real loopback sockets (IPv4, and IPv6 where the host
// has ::1).
#include "platform/net.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace p2p::platform {
namespace {

bool wait_fd(int fd, short events, int ms = 5000) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, ms) == 1;
}

void expect_nonblock_cloexec(int fd) {
    EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK) << "fd " << fd;
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd;
}

bool nodelay(int fd) {
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    return v != 0;
}

// A listener on an ephemeral loopback port plus one accepted connection.
struct Conn {
    int listener = -1;
    int client = -1;
    int server = -1;
    explicit Conn(const char* ip = "127.0.0.1") {
        SockAddr a;
        EXPECT_TRUE(parse_numeric_addr(ip, 0, a));
        std::string err;
        listener = tcp_listen(a, 16, &err);
        if (listener < 0) return;
        SockAddr bound = local_addr(listener);
        client = tcp_connect_start(bound, &err);
        EXPECT_GE(client, 0) << err;
        EXPECT_TRUE(wait_fd(client, POLLOUT));
        EXPECT_EQ(tcp_connect_error(client), 0);
        EXPECT_TRUE(wait_fd(listener, POLLIN));
        server = tcp_accept(listener, nullptr);
        EXPECT_GE(server, 0);
    }
    ~Conn() {
        close_fd(client);
        close_fd(server);
        close_fd(listener);
    }
};

TEST(Net, ParseNumericAddr) {
    SockAddr a;
    ASSERT_TRUE(parse_numeric_addr("127.0.0.1", 8080, a));
    EXPECT_EQ(a.storage.ss_family, AF_INET);
    EXPECT_EQ(a.port(), 8080);
    EXPECT_EQ(a.len, sizeof(sockaddr_in));
    EXPECT_EQ(a.to_string(), "127.0.0.1:8080");

    ASSERT_TRUE(parse_numeric_addr("::1", 7070, a));
    EXPECT_EQ(a.storage.ss_family, AF_INET6);
    EXPECT_EQ(a.len, sizeof(sockaddr_in6));
    EXPECT_EQ(a.to_string(), "[::1]:7070");
    char buf[64];
    EXPECT_STREQ(a.ip(buf, sizeof buf), "::1");

    ASSERT_TRUE(parse_numeric_addr("[fe80::1]", 1, a));
    EXPECT_EQ(a.to_string(), "[fe80::1]:1");
    ASSERT_TRUE(parse_numeric_addr("0.0.0.0", 0, a));
    EXPECT_EQ(a.port(), 0);

    for (const char* bad : {"localhost", "", "1.2.3", "256.1.1.1", "1.2.3.4 ", "[::1",
                            "example.com", "::g", "1.2.3.4:80"}) {
        EXPECT_FALSE(parse_numeric_addr(bad, 1, a)) << bad;
    }
}

TEST(Net, IpIntoATinyBufferIsSafe) {
    SockAddr a;
    ASSERT_TRUE(parse_numeric_addr("192.168.100.200", 1, a));
    char tiny[4];
    EXPECT_STREQ(a.ip(tiny, sizeof tiny), "");  // too small: empty, never overrun
    SockAddr none;
    char buf[64];
    EXPECT_STREQ(none.ip(buf, sizeof buf), "");
    EXPECT_EQ(none.port(), 0);
}

TEST(Net, SplitHostPort) {
    std::string host;
    std::uint16_t port = 0;
    ASSERT_TRUE(split_host_port("127.0.0.1:8080", host, port));
    EXPECT_EQ(host, "127.0.0.1");
    EXPECT_EQ(port, 8080);
    ASSERT_TRUE(split_host_port("rdv.example.org:65535", host, port));
    EXPECT_EQ(host, "rdv.example.org");
    EXPECT_EQ(port, 65535);
    ASSERT_TRUE(split_host_port("[::1]:7070", host, port));
    EXPECT_EQ(host, "::1");
    EXPECT_EQ(port, 7070);
    EXPECT_FALSE(split_host_port("0.0.0.0:0", host, port));
    ASSERT_TRUE(split_host_port("0.0.0.0:0", host, port, /*allow_zero=*/true));
    EXPECT_EQ(port, 0);

    for (const char* bad :
         {"", "host", "host:", ":80", "host:65536", "host:-1", "host:8a", "host:123456", "::1:80",
          "[::1]", "[::1]80", "[::1:80", "[]:80", "host: 80"}) {
        std::string h = "unchanged";
        EXPECT_FALSE(split_host_port(bad, h, port, true)) << bad;
        EXPECT_EQ(h, "unchanged") << bad;
    }
}

TEST(Net, ListenConnectAcceptOverIpv4) {
    Conn c;
    ASSERT_GE(c.server, 0);
    expect_nonblock_cloexec(c.listener);
    expect_nonblock_cloexec(c.client);
    expect_nonblock_cloexec(c.server);
    EXPECT_TRUE(nodelay(c.client));
    EXPECT_TRUE(nodelay(c.server));
    EXPECT_NE(local_addr(c.listener).port(), 0);
    EXPECT_EQ(peer_addr(c.client).port(), local_addr(c.listener).port());
    EXPECT_EQ(peer_addr(c.server).port(), local_addr(c.client).port());
    char ip[64];
    EXPECT_STREQ(peer_addr(c.server).ip(ip, sizeof ip), "127.0.0.1");
    // Nothing else pending: accept says so instead of blocking.
    EXPECT_EQ(tcp_accept(c.listener, nullptr), -1);
}

TEST(Net, ListenConnectAcceptOverIpv6) {
    SockAddr a;
    ASSERT_TRUE(parse_numeric_addr("::1", 0, a));
    std::string err;
    int probe = tcp_listen(a, 1, &err);
    if (probe < 0) GTEST_SKIP() << "no IPv6 loopback here: " << err;
    close_fd(probe);
    Conn c("::1");
    ASSERT_GE(c.server, 0);
    EXPECT_EQ(peer_addr(c.server).storage.ss_family, AF_INET6);
    EXPECT_EQ(peer_addr(c.server).to_string().rfind("[::1]:", 0), 0u);
    EXPECT_TRUE(nodelay(c.client));
}

TEST(Net, AcceptFillsThePeerAddress) {
    SockAddr a;
    ASSERT_TRUE(parse_numeric_addr("127.0.0.1", 0, a));
    std::string err;
    int l = tcp_listen(a, 4, &err);
    ASSERT_GE(l, 0) << err;
    int c = tcp_connect_start(local_addr(l), &err);
    ASSERT_GE(c, 0) << err;
    ASSERT_TRUE(wait_fd(l, POLLIN));
    SockAddr peer;
    int s = tcp_accept(l, &peer);
    ASSERT_GE(s, 0);
    EXPECT_EQ(peer.to_string(), local_addr(c).to_string());
    close_fd(s);
    close_fd(c);
    close_fd(l);
}

TEST(Net, ListenOnABusyPortFailsWithText) {
    SockAddr a;
    ASSERT_TRUE(parse_numeric_addr("127.0.0.1", 0, a));
    std::string err;
    int l = tcp_listen(a, 4, &err);
    ASSERT_GE(l, 0);
    SockAddr taken = local_addr(l);
    EXPECT_EQ(tcp_listen(taken, 4, &err), -1);
    EXPECT_NE(err.find("bind"), std::string::npos) << err;
    EXPECT_NE(err.find(taken.to_string()), std::string::npos) << err;
    close_fd(l);
}

TEST(Net, ConnectToAClosedPortReportsRefused) {
    SockAddr a;
    ASSERT_TRUE(parse_numeric_addr("127.0.0.1", 0, a));
    std::string err;
    int l = tcp_listen(a, 4, &err);
    SockAddr target = local_addr(l);
    close_fd(l);  // nothing listens there now
    int c = tcp_connect_start(target, &err);
    if (c < 0) {
        EXPECT_NE(err.find("refused"), std::string::npos) << err;
        return;
    }
    ASSERT_TRUE(wait_fd(c, POLLOUT));
    EXPECT_EQ(tcp_connect_error(c), ECONNREFUSED);
    close_fd(c);
}

TEST(Net, ReadWritevAndEof) {
    Conn c;
    ASSERT_GE(c.server, 0);
    char buf[64];
    std::size_t n = 99;
    EXPECT_EQ(sock_read(c.server, buf, sizeof buf, &n), IoResult::kAgain);

    const char* a = "hello ";
    const char* b = "world\n";
    iovec iov[2] = {{const_cast<char*>(a), 6}, {const_cast<char*>(b), 6}};
    ASSERT_EQ(sock_writev(c.client, iov, 2, &n), IoResult::kOk);
    EXPECT_EQ(n, 12u);

    std::string got;
    while (got.size() < 12 && wait_fd(c.server, POLLIN)) {
        ASSERT_EQ(sock_read(c.server, buf, sizeof buf, &n), IoResult::kOk);
        got.append(buf, n);
    }
    EXPECT_EQ(got, "hello world\n");

    close_fd(c.client);
    c.client = -1;
    ASSERT_TRUE(wait_fd(c.server, POLLIN));
    EXPECT_EQ(sock_read(c.server, buf, sizeof buf, &n), IoResult::kClosed);
}

TEST(Net, WritevStopsWithAgainWhenThePeerDoesNotRead) {
    Conn c;
    ASSERT_GE(c.server, 0);
    std::vector<char> chunk(64 * 1024, 'x');
    iovec iov{chunk.data(), chunk.size()};
    std::size_t total = 0, n = 0;
    IoResult r = IoResult::kOk;
    for (int i = 0; i < 10000 && r == IoResult::kOk; ++i) {
        r = sock_writev(c.client, &iov, 1, &n);
        total += n;
    }
    EXPECT_EQ(r, IoResult::kAgain);
    EXPECT_GT(total, 0u);
}

TEST(Net, WritevToAResetPeerFailsWithoutSigpipe) {
    Conn c;
    ASSERT_GE(c.server, 0);
    linger lg{1, 0};
    ASSERT_EQ(setsockopt(c.server, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close_fd(c.server);  // RST
    c.server = -1;
    ASSERT_TRUE(wait_fd(c.client, POLLIN));
    char byte = 'x';
    iovec iov{&byte, 1};
    std::size_t n = 0;
    IoResult r = IoResult::kOk;
    // The first write may still be accepted locally; the error shows within a few.
    for (int i = 0; i < 100 && r == IoResult::kOk; ++i)
        r = sock_writev(c.client, &iov, 1, &n);
    EXPECT_TRUE(r == IoResult::kClosed || r == IoResult::kError);
}

TEST(Net, ReadAfterResetIsAnErrorOrClosed) {
    Conn c;
    ASSERT_GE(c.server, 0);
    linger lg{1, 0};
    ASSERT_EQ(setsockopt(c.server, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close_fd(c.server);
    c.server = -1;
    ASSERT_TRUE(wait_fd(c.client, POLLIN));
    char buf[8];
    std::size_t n = 0;
    IoResult r = sock_read(c.client, buf, sizeof buf, &n);
    EXPECT_TRUE(r == IoResult::kError || r == IoResult::kClosed);
}

}  // namespace
}  // namespace p2p::platform
