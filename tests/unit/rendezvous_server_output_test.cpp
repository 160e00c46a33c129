// The rendezvous server's pending-output budget with shared DISCOVER answers (issue
// 14, item 5): many clients that do not read the same large answer hold one copy of
// it, so the budget (max_pending_output_bytes) charges it once; a client that does
// not read costs its slot and a reference, not a copy. Real sockets, one loop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/event_loop.h"
#include "shell/runtime/rendezvous_server.h"
#include "tests/support/loop_wait.h"

namespace p2p::shell {
namespace {

constexpr int kEntries = 4000;  // 64-byte names and namespace: a ~1 MiB answer
constexpr int kClients = 8;

// A private directory holding a db of kEntries registrations, the first one ours.
class DbDir {
  public:
    DbDir() {
        std::string templ =
            (std::filesystem::temp_directory_path() / "p2p-rdv-out-XXXXXX").string();
        path_ = ::mkdtemp(templ.data());
        std::ofstream out(db());
        out << "[";
        for (int i = 0; i < kEntries; ++i) {
            char name[80];
            std::snprintf(name, sizeof name, "%064d", i);
            out << (i ? "," : "") << R"({"ip":")" << (i == 0 ? "127.0.0.1" : "192.0.2.1")
                << R"(","name":")" << name << R"(","namespace":")" << std::string(64, 'n')
                << R"(","port":)" << (1000 + i)
                << R"(,"ttl":86400,"timestamp":"2999-01-01T00:00:00+00:00"})";
        }
        out << "]";
    }
    ~DbDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string db() const { return path_ + "/peers.json"; }

  private:
    std::string path_;
};

// A client that asks for everything and never reads: a 4 KiB receive buffer, so the
// answer stops in the server's hands after a few KiB.
int unread_discover(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    const char line[] = "{\"type\":\"DISCOVER\"}\n";
    if (::send(fd, line, sizeof line - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof line - 1)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(RendezvousServerOutput, ClientsWaitingForTheSameAnswerAreChargedOneCopy) {
    DbDir dir;
    platform::EventLoop loop;
    RendezvousServerConfig config;
    config.db_path = dir.db();
    config.registry.max_registrations = kEntries;
    config.registry.rate_limit = 0;
    // Room for two copies of the answer: with one copy per client, at most two of the
    // eight could wait and the others would be cut off.
    config.max_pending_output_bytes = 2u << 20;
    RendezvousServer server(loop, config);
    platform::SockAddr addr;
    ASSERT_TRUE(platform::parse_numeric_addr("127.0.0.1", 0, addr));
    std::string err;
    ASSERT_TRUE(server.start(addr, &err)) << err;
    ASSERT_EQ(server.stats().registrations, static_cast<std::size_t>(kEntries));

    std::vector<int> clients;
    for (int i = 0; i < kClients; ++i) {
        int fd = unread_discover(server.bound_address().port());
        ASSERT_GE(fd, 0);
        clients.push_back(fd);
    }
    ASSERT_TRUE(test::run_until(
        loop, [&] { return server.stats().requests == static_cast<std::uint64_t>(kClients); },
        5000));
    for (int i = 0; i < 20; ++i)
        loop.run_once(5);
    // Every one of them is still there, waiting for its reader.
    EXPECT_EQ(server.stats().open_connections, static_cast<std::size_t>(kClients));
    for (int fd : clients)
        ::close(fd);
    server.stop();
}

}  // namespace
}  // namespace p2p::shell
