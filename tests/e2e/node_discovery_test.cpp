// Issue 2's node, end to end: real p2pchat processes over loopback.
//   - two nodes register with the real `p2pchat rendezvous` and discover
//     each other;
//   - with no rendezvous answering at the default address, a node serves it
//     in-process and a second node discovers the first through it;
//   - SIGTERM/SIGINT make a node UNREGISTER (a raw DISCOVER stops listing
//     it) and exit 0;
//   - options are checked before anything starts.
// The default address is moved off 127.0.0.1:8080 with
// P2PCHAT_DEFAULT_RENDEZVOUS so parallel tests never collide.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/process.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

// A loopback port that was free a moment ago (bound to port 0, then closed).
// Only for the in-process server test, which must bind it itself.
std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
        port = ntohs(sa.sin_port);
    ::close(fd);
    return port;
}

// The DISCOVER answer a raw client gets from the server on `port`.
std::string discover_raw(std::uint16_t port) {
    auto line = request_line(port, R"({"type":"DISCOVER","namespace":"CIC"})", 5000ms);
    return line ? *line : std::string("<no answer>");
}

// Polls until `pred(answer)` holds for a raw DISCOVER answer (the server
// state changes asynchronously), at most `timeout`.
template <class Pred>
bool discover_until(std::uint16_t port, Pred pred, std::string* last,
                    std::chrono::milliseconds timeout = kEventTimeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        *last = discover_raw(port);
        if (pred(*last)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        // Paced well under the server's 50 connections per minute.
        std::this_thread::sleep_for(1500ms);
    }
}

// Discovery between two nodes shows up as `peer X DISCOVERED` on the node
// that found the other first; that node dials, and the other learns the
// peer from the inbound link (`link X up`) before its own next DISCOVER.
// Either line means the rendezvous brought them together (no --peer here).
std::string met(const std::string& peer_id) {
    return "^(peer " + regex_escape(peer_id) + " DISCOVERED|link " + regex_escape(peer_id) + " up)";
}

::testing::AssertionResult discovered_each_other(Process& a, const std::string& a_id, Process& b,
                                                 const std::string& b_id) {
    if (!a.wait_for_line(met(b_id), kEventTimeout))
        return ::testing::AssertionFailure() << a_id << " never met " << b_id << "\n" << a.dump();
    if (!b.wait_for_line(met(a_id), kEventTimeout))
        return ::testing::AssertionFailure() << b_id << " never met " << a_id << "\n" << b.dump();
    // The rendezvous listing itself, on at least one side.
    if (!a.has_line(std::regex("^peer " + regex_escape(b_id) + " DISCOVERED")) &&
        !b.has_line(std::regex("^peer " + regex_escape(a_id) + " DISCOVERED")))
        return ::testing::AssertionFailure() << "no DISCOVERED line on either side\n"
                                             << a.dump() << b.dump();
    return ::testing::AssertionSuccess();
}

NodeConfig node_config(const std::string& name, std::uint16_t rendezvous_port) {
    NodeConfig c;
    c.name = name;
    c.ns = "CIC";
    c.rendezvous_port = rendezvous_port;
    return c;
}

TEST(NodeDiscovery, TwoNodesDiscoverEachOtherThroughTheRendezvous) {
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;

    NodeProcess alice;
    NodeProcess bob;
    ASSERT_TRUE(alice.start(node_config("alice", rdv.port()), &err)) << err;
    ASSERT_TRUE(bob.start(node_config("bob", rdv.port()), &err)) << err;

    ASSERT_TRUE(alice.expect("^rendezvous registered alice@CIC")) << alice.dump();
    EXPECT_TRUE(discovered_each_other(alice.proc(), "alice@CIC", bob.proc(), "bob@CIC"));
    EXPECT_FALSE(alice.saw("^peer alice@CIC")) << "own entry must be skipped\n" << alice.dump();

    // /peers lists bob at the address bob registered (alice may have met
    // bob on his inbound link first: the address comes from her DISCOVER).
    bool listed = false;
    for (int attempt = 0; attempt < 20 && !listed; ++attempt) {
        ASSERT_TRUE(alice.command("/peers"));
        listed =
            alice.expect("^bob@CIC +127\\.0\\.0\\.1:" + std::to_string(bob.port()) + " ", 500ms)
                .has_value();
    }
    EXPECT_TRUE(listed) << alice.dump();

    // /quit: BYE, UNREGISTER, then exit 0; the server no longer lists alice.
    auto status = alice.quit();
    ASSERT_TRUE(status.has_value()) << alice.dump();
    EXPECT_TRUE(status->success()) << alice.dump();
    EXPECT_TRUE(alice.expect("^rendezvous unregistered$")) << alice.dump();
    std::string last;
    EXPECT_TRUE(discover_until(
        rdv.port(),
        [](const std::string& a) {
            return a.find("\"bob\"") != std::string::npos &&
                   a.find("\"alice\"") == std::string::npos;
        },
        &last))
        << last;
}

TEST(NodeDiscovery, SigtermUnregistersAndExitsZero) {
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;
    NodeProcess carol;
    NodeProcess dave;
    ASSERT_TRUE(carol.start(node_config("carol", rdv.port()), &err)) << err;
    ASSERT_TRUE(dave.start(node_config("dave", rdv.port()), &err)) << err;
    ASSERT_TRUE(discovered_each_other(carol.proc(), "carol@CIC", dave.proc(), "dave@CIC"));

    std::string last;
    ASSERT_TRUE(discover_until(
        rdv.port(), [](const std::string& a) { return a.find("\"carol\"") != std::string::npos; },
        &last))
        << last;

    ASSERT_TRUE(carol.proc().send_signal(SIGTERM));
    auto status = carol.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value()) << carol.dump();
    EXPECT_TRUE(status->success()) << carol.dump();
    EXPECT_TRUE(carol.expect("^rendezvous unregistered$")) << carol.dump();
    // Straight after the exit, without waiting for any ttl to lapse.
    last = discover_raw(rdv.port());
    EXPECT_EQ(last.find("\"carol\""), std::string::npos) << last;
    EXPECT_NE(last.find("\"dave\""), std::string::npos) << last;

    ASSERT_TRUE(dave.proc().send_signal(SIGINT));
    status = dave.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value()) << dave.dump();
    EXPECT_TRUE(status->success()) << dave.dump();
    EXPECT_TRUE(dave.expect("^rendezvous unregistered$")) << dave.dump();
}

// Starts a node with no --rendezvous; the default address comes from the
// environment. Waits for its listen line and returns the port it listens on.
std::uint16_t start_default_node(Process& p, const std::string& name, std::uint16_t default_port,
                                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--name", name, "--namespace",          "CIC",
                                     "--port", "0",  "--discovery-interval", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<std::string> env = {
        "P2PCHAT_DEFAULT_RENDEZVOUS=127.0.0.1:" + std::to_string(default_port), "NO_COLOR=1",
        "TERM=dumb"};
    std::string err;
    if (!p.start(P2PCHAT_BIN, args, env, &err)) {
        ADD_FAILURE() << err;
        return 0;
    }
    std::vector<std::string> groups;
    if (!p.wait_for_line("^info listening on [^ ]*:([0-9]+)", kEventTimeout, Stream::kStdout,
                         &groups)) {
        ADD_FAILURE() << "no listen line\n" << p.dump();
        return 0;
    }
    return static_cast<std::uint16_t>(std::stoi(groups[1]));
}

TEST(NodeDiscovery, ServesTheRendezvousItselfWhenNoneAnswers) {
    std::uint16_t rdv_port = free_port();
    ASSERT_NE(rdv_port, 0);
    std::string at = "127\\.0\\.0\\.1:" + std::to_string(rdv_port);

    Process erin;
    std::uint16_t erin_port = start_default_node(erin, "erin", rdv_port);
    ASSERT_NE(erin_port, 0);
    ASSERT_TRUE(erin.wait_for_line("^rendezvous serving in-process on " + at, kEventTimeout))
        << erin.dump();
    ASSERT_TRUE(erin.wait_for_line("^rendezvous registered erin@CIC", kEventTimeout))
        << erin.dump();

    // The second node finds a rendezvous answering there and only uses it.
    Process frank;
    std::uint16_t frank_port = start_default_node(frank, "frank", rdv_port);
    ASSERT_NE(frank_port, 0);
    EXPECT_TRUE(discovered_each_other(frank, "frank@CIC", erin, "erin@CIC"));
    EXPECT_FALSE(frank.has_line(std::regex("serving in-process"))) << frank.dump();

    // A raw client sees both registrations in the in-process server.
    std::string answer = discover_raw(rdv_port);
    EXPECT_NE(answer.find("\"erin\""), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"frank\""), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"port\":" + std::to_string(erin_port)), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"port\":" + std::to_string(frank_port)), std::string::npos) << answer;

    ASSERT_TRUE(frank.write_line("/quit"));
    auto status = frank.wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value()) << frank.dump();
    EXPECT_TRUE(status->success()) << frank.dump();
    ASSERT_TRUE(erin.send_signal(SIGTERM));
    status = erin.wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value()) << erin.dump();
    EXPECT_TRUE(status->success()) << erin.dump();
}

TEST(NodeDiscovery, ServeRendezvousFlagPicksAPortAndServesOthers) {
    // A dead default address (bound, not listening) proves the flag, not the
    // fallback, made the node serve.
    DeadPort dead;
    Process gina;
    std::uint16_t gina_port =
        start_default_node(gina, "gina", dead.port(), {"--serve-rendezvous", "127.0.0.1:0"});
    ASSERT_NE(gina_port, 0);
    std::vector<std::string> groups;
    ASSERT_TRUE(gina.wait_for_line("^rendezvous serving in-process on 127\\.0\\.0\\.1:([0-9]+)",
                                   kEventTimeout, Stream::kStdout, &groups))
        << gina.dump();
    std::uint16_t served = static_cast<std::uint16_t>(std::stoi(groups[1]));
    ASSERT_NE(served, 0);

    NodeProcess hank;
    std::string err;
    ASSERT_TRUE(hank.start(node_config("hank", served), &err)) << err;
    EXPECT_TRUE(discovered_each_other(hank.proc(), "hank@CIC", gina, "gina@CIC"));
    ASSERT_TRUE(gina.write_line("/quit"));
    auto status = gina.wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value()) << gina.dump();
    EXPECT_TRUE(status->success()) << gina.dump();
}

TEST(NodeDiscovery, UnreachableRendezvousIsRetriedWithBackoff) {
    DeadPort dead;
    NodeProcess ivan;
    std::string err;
    NodeConfig c = node_config("ivan", dead.port());
    c.extra_args.insert(c.extra_args.end(), {"--log-level", "debug"});
    ASSERT_TRUE(ivan.start(c, &err)) << err;
    // Two failures in a row, the second retry scheduled later than the first (the
    // console says the failure once, tests/e2e/failure_notice_test.cpp; each retry
    // is logged at DEBUG).
    std::vector<std::string> g1;
    std::vector<std::string> g2;
    const std::string retry =
        "DEBUG \\[Rendezvous\\] REGISTER failed \\(.*\\), retry [0-9]+ in ([0-9]+) ms$";
    ASSERT_TRUE(ivan.proc().wait_for_line(retry, kEventTimeout, Stream::kStderr, &g1))
        << ivan.dump();
    ASSERT_TRUE(ivan.proc().wait_for_line(retry, kEventTimeout, Stream::kStderr, &g2))
        << ivan.dump();
    // Jittered steps: the first retry within [0.5, 1] s, the second [1, 2] s.
    EXPECT_LE(std::stoi(g1[1]), 1000) << ivan.dump();
    EXPECT_GE(std::stoi(g2[1]), 1000) << ivan.dump();
    // Still alive and answering commands; quits cleanly without a registration.
    auto status = ivan.quit();
    ASSERT_TRUE(status.has_value()) << ivan.dump();
    EXPECT_TRUE(status->success()) << ivan.dump();
}

// A scripted rendezvous on loopback: answers REGISTER with OK and DISCOVER
// with `discover_answer`, one request per connection, like the real server.
class ScriptedRendezvous {
  public:
    explicit ScriptedRendezvous(std::string discover_answer) : answer_(std::move(discover_answer)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
            ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
            return;
        port_ = ntohs(sa.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedRendezvous() {
        ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    int discovers() const { return discovers_.load(); }

  private:
    void serve() {
        for (;;) {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            std::string request;
            char buf[4096];
            while (request.find('\n') == std::string::npos) {
                ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            std::string reply = R"({"status":"OK","ttl":7200,"ip":"127.0.0.1","port":1})";
            if (request.find("\"DISCOVER\"") != std::string::npos) {
                reply = answer_;
                ++discovers_;
            }
            reply += "\n";
            for (std::size_t off = 0; off < reply.size();) {
                ssize_t n = ::send(c, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
                if (n <= 0) break;
                off += static_cast<std::size_t>(n);
            }
            ::close(c);
        }
    }

    std::string answer_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<int> discovers_{0};
};

// A busy server lists more peers than fit in one 32 KiB protocol line; the
// node reads the whole answer (up to 256 KiB) and learns every peer.
TEST(NodeDiscovery, LongDiscoverAnswerFromABusyServer) {
    DeadPort dead;  // every listed peer "lives" here: dials are refused on loopback
    std::string peers;
    for (int i = 0; i < 400; ++i) {
        if (i) peers += ",";
        peers += R"({"ip":"127.0.0.1","port":)" + std::to_string(dead.port()) + R"(,"name":"busy)" +
                 std::to_string(i) + R"(","namespace":"CIC","ttl":7200,"expires_in":7000})";
    }
    std::string answer = R"({"status":"OK","peers":[)" + peers + "]}";
    ASSERT_GT(answer.size(), 32768u);
    ScriptedRendezvous rdv(answer);
    ASSERT_NE(rdv.port(), 0);

    NodeConfig c = node_config("judy", rdv.port());
    c.extra_args = {"--max-peers", "500", "--log-level", "ERROR"};
    NodeProcess judy;
    std::string err;
    ASSERT_TRUE(judy.start(c, &err)) << err;
    EXPECT_TRUE(judy.expect("^rendezvous discovered 400 peers \\(400 listed, 400 tracked\\)$"))
        << judy.dump();
    EXPECT_TRUE(judy.saw("^peer busy0@CIC DISCOVERED")) << judy.dump();
    EXPECT_TRUE(judy.saw("^peer busy399@CIC DISCOVERED")) << judy.dump();
    auto status = judy.quit();
    ASSERT_TRUE(status.has_value()) << judy.dump();
    EXPECT_TRUE(status->success()) << judy.dump();
}

TEST(NodeDiscovery, BadOptionsAreRefusedBeforeStarting) {
    Process p;
    ASSERT_TRUE(p.start(P2PCHAT_BIN, {"--name", "bad name", "--namespace", "CIC"}));
    auto status = p.wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(status->exited);
    EXPECT_EQ(status->code, 78);
    // Output is captured by a reader thread: wait for it rather than peek.
    EXPECT_TRUE(p.wait_for_line("--name", kEventTimeout, Stream::kStderr)) << p.dump();

    Process help;
    ASSERT_TRUE(help.start(P2PCHAT_BIN, {"--help"}));
    status = help.wait_exit(kEventTimeout);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(status->success());
    EXPECT_TRUE(help.wait_for_line("--serve-rendezvous", kEventTimeout)) << help.dump();
}

}  // namespace
}  // namespace p2p::test
