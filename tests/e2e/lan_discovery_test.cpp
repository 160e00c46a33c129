// "Two boards on a LAN need no other program" (issue 15 #7): two real p2pchat
// nodes in two network namespaces joined by one veth pair (one link), each
// with an address and no default route (a LAN without internet), neither
// told of a rendezvous or a peer. They find each other by LAN discovery
// (docs/protocol.md §7), link, and chat with ACKs. The controls turn it off
// on one side (--no-lan-discovery, or the environment variable the test
// suite sets for every other test) and the two stay strangers.
//
// Every datagram stays inside the namespaces this test creates and deletes
// (tests/support/netns.h, torn down even when an assertion fails). Needs
// root and `ip`; skipped with the reason otherwise.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/netns.h"
#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

const std::regex kListenRe("[Ll]istening on [^ ]*:([0-9]+)");

struct LanNode {
    Process* proc = nullptr;
    bool command(const std::string& line) { return proc->write_line(line); }
    bool expect(const std::string& re, milliseconds t = kEventTimeout) {
        return proc->wait_for_line(std::regex(re), t, Stream::kStdout).has_value();
    }
    bool saw(const std::string& re) { return proc->has_line(std::regex(re)); }
};

class LanDiscoveryE2e : public ::testing::Test {
  protected:
    static constexpr const char* kA = "lan-a";
    static constexpr const char* kB = "lan-b";

    void SetUp() override {
        if (const auto& why = netns_unavailable_reason(); !why.empty())
            GTEST_SKIP() << "LAN discovery test skipped: " << why;
    }
    void TearDown() override {
        if (IsSkipped()) return;
        std::string prefix = net_.prefix(), err;
        EXPECT_TRUE(net_.teardown(&err)) << err;
        EXPECT_TRUE(Netns::listed(prefix).empty()) << "namespaces of this test remain";
    }

    // One link, two hosts, no route anywhere else.
    void build_lan(const std::string& cidr_a, const std::string& cidr_b) {
        std::string err;
        ASSERT_TRUE(net_.add(kA, &err)) << err;
        ASSERT_TRUE(net_.add(kB, &err)) << err;
        // IPv6 addresses are usable at once, not after a second or more of
        // duplicate address detection: the test is about discovery, and a
        // node whose first announcements fall into that second would only
        // be heard 30 s later.
        for (const char* ns : {kA, kB})
            ASSERT_TRUE(net_.run(find_tool("ip"),
                                 {"netns", "exec", net_.name(ns), "sh", "-c",
                                  "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && "
                                  "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad"},
                                 &err))
                << err;
        ASSERT_TRUE(net_.veth(kA, "eth0", cidr_a, kB, "eth0", cidr_b, &err)) << err;
        // No internet: a dial to anything off the link fails at once (no route),
        // so it sends nothing either.
        EXPECT_EQ(net_.probe_tcp(kA, "192.0.2.1", 80, 2s), Reach::kUnreachable);
        EXPECT_EQ(net_.probe_tcp(kB, "192.0.2.1", 80, 2s), Reach::kUnreachable);
    }

    // A node with no --rendezvous and no --peer. `env_extra` over the defaults;
    // P2PCHAT_NO_LAN_DISCOVERY is cleared (the suite sets it for every test).
    void start(const char* ns, const std::string& name, LanNode* node,
               const std::vector<std::string>& extra_args = {},
               const std::vector<std::string>& env_extra = {}) {
        std::string home = dir_.path() + "/home-" + name, err;
        std::filesystem::create_directories(home);
        std::vector<std::string> args = {"--name", name, "--namespace", "CIC", "--port", "0"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        // Only the first of two entries with one name would count: env_extra's replaces ours.
        std::vector<std::string> env = env_extra;
        for (std::string e : {"HOME=" + home, std::string("NO_COLOR=1"), std::string("TERM=dumb"),
                              std::string("P2PCHAT_NO_LAN_DISCOVERY=")}) {
            std::string key = e.substr(0, e.find('=') + 1);
            bool given = false;
            for (const auto& x : env_extra)
                given = given || x.rfind(key, 0) == 0;
            if (!given) env.push_back(e);
        }
        node->proc = net_.exec_in(ns, P2PCHAT_BIN, args, env, &err);
        ASSERT_NE(node->proc, nullptr) << err;
        ASSERT_TRUE(wait_either_stream(*node->proc, kListenRe, kEventTimeout, nullptr))
            << node->proc->dump();
    }

    void chat(LanNode& a, LanNode& b) {
        ASSERT_TRUE(a.expect("^link bob@CIC up")) << a.proc->dump() << b.proc->dump();
        ASSERT_TRUE(b.expect("^link alice@CIC up")) << a.proc->dump() << b.proc->dump();
        ASSERT_TRUE(a.command("/msg bob@CIC hello over the LAN"));
        EXPECT_TRUE(b.expect("^msg alice@CIC: hello over the LAN$")) << b.proc->dump();
        EXPECT_TRUE(a.expect("^delivered \\S+ to bob@CIC")) << a.proc->dump();
        ASSERT_TRUE(b.command("/msg alice@CIC and back"));
        EXPECT_TRUE(a.expect("^msg bob@CIC: and back$")) << a.proc->dump();
        EXPECT_TRUE(b.expect("^delivered \\S+ to alice@CIC")) << b.proc->dump();
    }

    // `a` has LAN discovery off, `b` on. Long enough for every announcement of the start burst (0,
    // 1 and 3 s) and the answers to them: the positive tests link well within it.
    void expect_strangers(LanNode& a, LanNode& b) {
        std::this_thread::sleep_for(8s);
        EXPECT_FALSE(a.saw("LAN discovery on")) << a.proc->dump();  // `a` has it off
        EXPECT_FALSE(a.saw("^link bob@CIC up")) << a.proc->dump();
        EXPECT_FALSE(b.saw("^link alice@CIC up")) << b.proc->dump();
        EXPECT_FALSE(a.saw("^peer bob@CIC")) << a.proc->dump();
        EXPECT_FALSE(b.saw("^peer alice@CIC")) << b.proc->dump();
        // And a message has nowhere to go.
        ASSERT_TRUE(a.command("/msg bob@CIC anyone there"));
        EXPECT_TRUE(a.expect("no_route|unknown|not delivered|NOT delivered|undelivered", 10s))
            << a.proc->dump();
        EXPECT_FALSE(b.saw("anyone there")) << b.proc->dump();
    }

    TempDir dir_;  // declared first: outlives the processes writing into it
    Netns net_;
};

TEST_F(LanDiscoveryE2e, TwoNodesOnAnIpv4LanFindEachOtherAndChat) {
    build_lan("10.201.0.1/24", "10.201.0.2/24");
    LanNode a, b;
    start(kA, "alice", &a);
    start(kB, "bob", &b);
    EXPECT_TRUE(a.expect("^info LAN discovery on udp port 47474 \\(239\\.255\\.112\\.99\\)"))
        << a.proc->dump();
    chat(a, b);
    // Each heard the other at the address it announced from (the first to
    // hear may have dialed before the other heard it: wait for both).
    EXPECT_TRUE(wait_either_stream(*a.proc, std::regex("found bob@CIC at 10\\.201\\.0\\.2 port"),
                                   kEventTimeout, nullptr))
        << a.proc->dump();
    EXPECT_TRUE(wait_either_stream(*b.proc, std::regex("found alice@CIC at 10\\.201\\.0\\.1 port"),
                                   kEventTimeout, nullptr))
        << b.proc->dump();
    ASSERT_TRUE(a.command("/peers"));
    EXPECT_TRUE(a.expect("bob@CIC +10\\.201\\.0\\.2:", 5s)) << a.proc->dump();
}

TEST_F(LanDiscoveryE2e, TwoNodesOnAnIpv6OnlyLanFindEachOtherAndChat) {
    // No IPv4 at all: only link-local multicast and link-local addresses
    // (the ULAs below exist so the links have a global-scope address too,
    // as a router-less LAN often does; nothing routes them anywhere).
    build_lan("fd70::1/64", "fd70::2/64");
    LanNode a, b;
    start(kA, "alice", &a, {"--listen-host", "::"});
    start(kB, "bob", &b, {"--listen-host", "::"});
    chat(a, b);
    // Heard at its link-local address, with the interface it was heard on
    // (the address a dial needs).
    EXPECT_TRUE(wait_either_stream(
        *a.proc, std::regex("found bob@CIC at fe80::[0-9a-f:]+%eth0 port"), 5s, nullptr))
        << a.proc->dump();
}

// A hostile host on the link: garbage, oversized datagrams, names that break
// the rule, and a stream of made-up peers. The node survives, keeps its link
// to bob and chats, and took in at most 4 made-up peers from that address.
TEST_F(LanDiscoveryE2e, HostileDatagramsOnTheLinkChangeNothing) {
    build_lan("10.201.0.1/24", "10.201.0.2/24");
    LanNode a, b;
    start(kA, "alice", &a);
    start(kB, "bob", &b);
    ASSERT_TRUE(a.expect("^link bob@CIC up")) << a.proc->dump() << b.proc->dump();

    int fd = net_.socket_in(kB, AF_INET, SOCK_DGRAM);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(47474);
    ::inet_pton(AF_INET, "10.201.0.1", &to.sin_addr);
    auto send = [&](const std::string& d) {
        ::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    };
    auto fake = [](const std::string& name) {
        return R"({"type":"LAN_ANNOUNCE","v":1,"name":")" + name +
               R"(","namespace":"CIC","port":9,"instance":"00000000000000ee"})";
    };
    for (int round = 0; round < 20; ++round) {
        send("not json");
        send(std::string(60000, '{'));
        send(fake("bad name"));
        send(fake("a\u202eb"));
        send(R"({"type":"LAN_ANNOUNCE","v":1,"name":"x","namespace":"CIC","port":"9"})");
        for (int i = 0; i < 10; ++i)
            send(fake("fake" + std::to_string(round * 10 + i)));
        std::this_thread::sleep_for(50ms);
    }
    ::close(fd);

    ASSERT_TRUE(a.command("/msg bob@CIC still here"));
    EXPECT_TRUE(b.expect("^msg alice@CIC: still here$")) << b.proc->dump();
    EXPECT_TRUE(a.expect("^delivered \\S+ to bob@CIC")) << a.proc->dump();
    int fakes = 0;
    for (const auto& line : a.proc->lines())
        if (std::regex_search(line, std::regex("^peer fake[0-9]+@CIC DISCOVERED"))) ++fakes;
    EXPECT_LE(fakes, 4) << a.proc->dump();
    EXPECT_GE(fakes, 1) << "the made-up peers never arrived: the test proves nothing";
    EXPECT_FALSE(a.saw("bad name|a.b@CIC")) << a.proc->dump();
    EXPECT_FALSE(a.saw("^link bob@CIC down")) << a.proc->dump();
}

TEST_F(LanDiscoveryE2e, WithTheFlagOnOneSideTheyStayStrangers) {
    build_lan("10.201.0.1/24", "10.201.0.2/24");
    LanNode a, b;
    start(kA, "alice", &a, {"--no-lan-discovery"});
    start(kB, "bob", &b);
    EXPECT_TRUE(b.expect("^info LAN discovery on udp port 47474")) << b.proc->dump();
    expect_strangers(a, b);
}

TEST_F(LanDiscoveryE2e, WithTheEnvironmentVariableOnOneSideTheyStayStrangers) {
    build_lan("10.201.0.1/24", "10.201.0.2/24");
    LanNode a, b;
    start(kA, "alice", &a, {}, {"P2PCHAT_NO_LAN_DISCOVERY=1"});
    start(kB, "bob", &b);
    expect_strangers(a, b);
}

}  // namespace
}  // namespace p2p::test
