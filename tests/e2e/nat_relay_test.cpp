// The relay across a real NAT (issue 4): network namespaces where two home
// routers masquerade two private sides, so A and B can each dial out to the
// public side but nobody can dial A or B; a rendezvous server and a relay
// node live on the public side. Real p2pchat binaries run inside the
// namespaces, driven through their console (docs/shell.md "Output").
//
// Needs root, `ip` and `nft`; skipped with the reason otherwise.
//
// The legacy-interop test at the end runs over loopback instead: the
// scripted legacy peer (tests/support/legacy_peer.h) lives in this process
// and binds 127.0.0.1, and "reachable only through the relay" needs no NAT
// there: nobody is told its address except the relay it dials. Over loopback
// it also runs without root, so every build checks it.
#include <arpa/inet.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/legacy_peer.h"
#include "tests/support/netns.h"
#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::regex kListenRe("[Ll]istening on [^ ]*:([0-9]+)");

bool poll_until(const std::function<bool()>& pred, milliseconds timeout = kEventTimeout) {
    auto deadline = Clock::now() + timeout;
    int step = 1;
    while (!pred()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(milliseconds(step));
        step = std::min(step * 2, 50);
    }
    return true;
}

// A process is gone once it no longer exists or is a zombie nobody reaped
// (pid 1 of a container may not reap orphans).
bool process_gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    auto close_paren = line.rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < line.size() &&
           line[close_paren + 2] == 'Z';
}

int count_lines(Process& p, const std::string& re) {
    std::regex r(re);
    auto lines = p.lines();
    return static_cast<int>(std::count_if(
        lines.begin(), lines.end(), [&](const std::string& l) { return std::regex_search(l, r); }));
}

// A p2pchat process started inside a namespace.
struct NsNode {
    Process* proc = nullptr;
    std::string peer_id;
    std::uint16_t port = 0;

    bool command(const std::string& line) { return proc->write_line(line); }
    std::optional<std::string> expect(const std::string& re, milliseconds t = kEventTimeout,
                                      std::vector<std::string>* groups = nullptr) {
        return proc->wait_for_line(std::regex(re), t, Stream::kStdout, groups);
    }
    bool saw(const std::string& re) { return proc->has_line(std::regex(re)); }
};

class NatRelayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (const auto& why = netns_unavailable_reason(); !why.empty())
            GTEST_SKIP() << "NAT test skipped: " << why;
        std::string err;
        auto t0 = Clock::now();
        ASSERT_TRUE(NatTopology::build(net_, &err)) << err;
        build_ms_ = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
    }

    // Teardown runs here, after any failed assertion of the test body, and
    // the Netns destructor would run it again if this line were not reached.
    void TearDown() override {
        if (IsSkipped()) return;
        std::string prefix = net_.prefix(), err;
        EXPECT_TRUE(net_.teardown(&err)) << err;
        EXPECT_TRUE(Netns::listed(prefix).empty()) << "namespaces of this test remain";
    }

    // Starts `p2pchat rendezvous` on the public side; returns its port (0 on failure).
    std::uint16_t start_rendezvous(std::string* err) {
        Process* p = net_.exec_in(
            NatTopology::kPub, P2PCHAT_BIN,
            {"rendezvous", "--listen", "0.0.0.0:0", "--db", dir_.path() + "/registry.json"}, {},
            err);
        if (!p) return 0;
        std::vector<std::string> groups;
        if (!wait_either_stream(*p, kListenRe, kEventTimeout, &groups) || groups.size() < 2) {
            if (err) *err = "rendezvous never said where it listens:\n" + p->dump();
            return 0;
        }
        return static_cast<std::uint16_t>(std::stoi(groups[1]));
    }

    bool start_node(const std::string& ns, const std::string& name, std::uint16_t rdv_port,
                    NsNode* node, std::string* err, const std::vector<std::string>& extra = {}) {
        std::string home = dir_.path() + "/home-" + name;
        std::filesystem::create_directories(home);
        std::vector<std::string> args = {
            "--name",
            name,
            "--namespace",
            "CIC",
            "--port",
            "0",
            "--rendezvous",
            std::string(NatTopology::kPubIp) + ":" + std::to_string(rdv_port),
            "--discovery-interval",
            "1"};
        args.insert(args.end(), extra.begin(), extra.end());
        node->proc =
            net_.exec_in(ns, P2PCHAT_BIN, args, {"HOME=" + home, "NO_COLOR=1", "TERM=dumb"}, err);
        if (!node->proc) return false;
        node->peer_id = name + "@CIC";
        std::vector<std::string> groups;
        if (!wait_either_stream(*node->proc, kListenRe, kEventTimeout, &groups) ||
            groups.size() < 2) {
            if (err) *err = name + " never said where it listens:\n" + node->proc->dump();
            return false;
        }
        node->port = static_cast<std::uint16_t>(std::stoi(groups[1]));
        return true;
    }

    TempDir dir_;  // declared first: destroyed after the processes that write into it
    Netns net_;
    long build_ms_ = 0;
};

// A dial that was really attempted and failed (kError would mean the probe
// itself broke, which must not count as "unreachable").
bool not_connected(Reach r) {
    return r == Reach::kRefused || r == Reach::kUnreachable || r == Reach::kTimedOut;
}

std::string accept_peer_ip(int listen_fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    int fd = ::accept(listen_fd, reinterpret_cast<sockaddr*>(&sa), &len);
    if (fd < 0) return "";
    ::close(fd);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &sa.sin_addr, text, sizeof text);
    return text;
}

// The topology itself, with plain sockets: this part needs no relay.
TEST_F(NatRelayTest, OnlyOutboundDialsCrossTheRouters) {
    using T = NatTopology;
    std::uint16_t pub_port = 0, a_port = 0, b_port = 0;
    int pub_fd = net_.listen_in(T::kPub, "0.0.0.0", &pub_port);
    ASSERT_GE(pub_fd, 0);
    ASSERT_GE(net_.listen_in(T::kA, "0.0.0.0", &a_port), 0);
    ASSERT_GE(net_.listen_in(T::kB, "0.0.0.0", &b_port), 0);
    std::cout << "topology built in " << build_ms_ << " ms\n";

    // Out through the NAT: the public side sees the router's address, not A's.
    EXPECT_EQ(net_.probe_tcp(T::kA, T::kPubIp, pub_port, 5s), Reach::kConnected);
    EXPECT_EQ(accept_peer_ip(pub_fd), T::kRouterAPublicIp);
    EXPECT_EQ(net_.probe_tcp(T::kB, T::kPubIp, pub_port, 5s), Reach::kConnected);
    EXPECT_EQ(accept_peer_ip(pub_fd), T::kRouterBPublicIp);

    // In: nobody reaches A or B, by private or by public address.
    for (const char* from : {T::kPub, T::kB}) {
        Reach r = net_.probe_tcp(from, T::kAIp, a_port, 1s);
        EXPECT_TRUE(not_connected(r)) << from << " -> A private: " << to_string(r);
        r = net_.probe_tcp(from, T::kRouterAPublicIp, a_port, 1s);
        EXPECT_TRUE(not_connected(r)) << from << " -> A via its router: " << to_string(r);
    }
    for (const char* from : {T::kPub, T::kA}) {
        Reach r = net_.probe_tcp(from, T::kBIp, b_port, 1s);
        EXPECT_TRUE(not_connected(r)) << from << " -> B private: " << to_string(r);
        r = net_.probe_tcp(from, T::kRouterBPublicIp, b_port, 1s);
        EXPECT_TRUE(not_connected(r)) << from << " -> B via its router: " << to_string(r);
    }
    // The routers are reachable from each side (the failures above are NAT, not routing).
    EXPECT_EQ(net_.probe_tcp(T::kB, T::kRouterAPublicIp, a_port, 5s), Reach::kRefused);
    EXPECT_EQ(net_.probe_tcp(T::kA, T::kRouterBPublicIp, b_port, 5s), Reach::kRefused);
}

// The scenario: A and B, each behind its own NAT, chat through the
// public relay both ways with ACKs, and a /pub reaches B exactly once.
TEST_F(NatRelayTest, NattedPeersChatThroughThePublicRelay) {
    using T = NatTopology;
    std::string err;
    std::uint16_t rdv = start_rendezvous(&err);
    ASSERT_NE(rdv, 0) << err;
    NsNode relay, a, b;
    ASSERT_TRUE(start_node(T::kPub, "relay", rdv, &relay, &err)) << err;
    ASSERT_TRUE(start_node(T::kA, "alice", rdv, &a, &err)) << err;
    ASSERT_TRUE(start_node(T::kB, "bob", rdv, &b, &err)) << err;

    // The real listen ports: A reaches the relay, nobody reaches A or B.
    EXPECT_EQ(net_.probe_tcp(T::kA, T::kPubIp, relay.port, 5s), Reach::kConnected);
    EXPECT_TRUE(not_connected(net_.probe_tcp(T::kPub, T::kRouterAPublicIp, a.port, 1s)));
    EXPECT_TRUE(not_connected(net_.probe_tcp(T::kPub, T::kAIp, a.port, 1s)));
    EXPECT_TRUE(not_connected(net_.probe_tcp(T::kA, T::kRouterBPublicIp, b.port, 1s)));
    EXPECT_TRUE(not_connected(net_.probe_tcp(T::kA, T::kBIp, b.port, 1s)));
    EXPECT_TRUE(not_connected(net_.probe_tcp(T::kB, T::kRouterAPublicIp, a.port, 1s)));

    // Both dial out to the relay (found through the rendezvous).
    ASSERT_TRUE(a.expect("^link relay@CIC up")) << a.proc->dump();
    ASSERT_TRUE(b.expect("^link relay@CIC up")) << b.proc->dump();
    ASSERT_TRUE(poll_until([&] {
        return relay.saw("^link alice@CIC up") && relay.saw("^link bob@CIC up");
    })) << relay.proc->dump();
    // Each has discovered the other (at its router's address) and tried it.
    ASSERT_TRUE(poll_until([&] { return a.saw("^peer bob@CIC ") && b.saw("^peer alice@CIC "); }))
        << a.proc->dump() << b.proc->dump();

    ASSERT_TRUE(a.command("/msg bob@CIC hello through the NAT"));
    EXPECT_TRUE(b.expect("^msg alice@CIC: hello through the NAT$")) << b.proc->dump();
    EXPECT_TRUE(a.expect("^delivered \\S+ to bob@CIC")) << a.proc->dump();

    ASSERT_TRUE(b.command("/msg alice@CIC and back again"));
    EXPECT_TRUE(a.expect("^msg bob@CIC: and back again$")) << a.proc->dump();
    EXPECT_TRUE(b.expect("^delivered \\S+ to alice@CIC")) << b.proc->dump();

    ASSERT_TRUE(a.command("/pub #CIC one copy only"));
    EXPECT_TRUE(b.expect("^pub #CIC alice@CIC: one copy only$")) << b.proc->dump();
    // A later message on the same path is a barrier: any duplicate of the PUB
    // would have arrived before it.
    ASSERT_TRUE(a.command("/msg bob@CIC after the pub"));
    EXPECT_TRUE(b.expect("^msg alice@CIC: after the pub$")) << b.proc->dump();
    EXPECT_EQ(count_lines(*b.proc, "^pub #CIC alice@CIC: one copy only$"), 1);

    // Never a direct link between the two, whatever they tried.
    EXPECT_FALSE(a.saw("^link bob@CIC up")) << a.proc->dump();
    EXPECT_FALSE(b.saw("^link alice@CIC up")) << b.proc->dump();
    EXPECT_FALSE(a.saw("^undelivered")) << a.proc->dump();
    EXPECT_FALSE(b.saw("^undelivered")) << b.proc->dump();
    // And A's route table says how it reaches B.
    ASSERT_TRUE(a.command("/routes"));
    EXPECT_TRUE(a.expect("^bob@CIC +relay@CIC ", 5s)) << a.proc->dump();
}

// The same network with a public node that does not relay (--no-relay):
// A's message to B has no way through and A is told so; B never sees it.
// This is the control for the test above: without the relay, the NAT
// really separates them.
TEST_F(NatRelayTest, WithoutARelayNattedPeersCannotReachEachOther) {
    using T = NatTopology;
    std::string err;
    std::uint16_t rdv = start_rendezvous(&err);
    ASSERT_NE(rdv, 0) << err;
    NsNode hub, a, b;
    ASSERT_TRUE(start_node(T::kPub, "hub", rdv, &hub, &err, {"--no-relay"})) << err;
    ASSERT_TRUE(start_node(T::kA, "alice", rdv, &a, &err)) << err;
    ASSERT_TRUE(start_node(T::kB, "bob", rdv, &b, &err)) << err;
    ASSERT_TRUE(a.expect("^link hub@CIC up")) << a.proc->dump();
    ASSERT_TRUE(b.expect("^link hub@CIC up")) << b.proc->dump();
    ASSERT_TRUE(poll_until([&] { return a.saw("^peer bob@CIC ") && b.saw("^peer alice@CIC "); }))
        << a.proc->dump() << b.proc->dump();

    ASSERT_TRUE(a.command("/msg bob@CIC nobody carries this"));
    // Nothing answers within the ACK timeout (5 s): A says so. (The final
    // `undelivered` comes only after three more retransmissions, 20 s in all;
    // the first timeout already shows that nothing got through.)
    EXPECT_TRUE(a.expect("^ack_timeout \\S+ to bob@CIC|^undelivered \\S+ to bob@CIC", 30s))
        << a.proc->dump();
    EXPECT_FALSE(a.saw("^delivered ")) << a.proc->dump();
    EXPECT_FALSE(b.saw("nobody carries this")) << b.proc->dump();
    EXPECT_FALSE(a.saw("^link bob@CIC up")) << a.proc->dump();
}

// Builds a namespace, starts a node and an orphaned grandchild inside, then
// fails an assertion. Returns through the failure, so only RAII can clean up.
void build_start_and_fail(const std::string& db_dir, std::string* prefix, pid_t* node_pid,
                          pid_t* orphan_pid) {
    Netns net;
    *prefix = net.prefix();
    std::string err;
    ASSERT_TRUE(net.add("doomed", &err)) << err;
    Process* node = net.exec_in(
        "doomed", P2PCHAT_BIN,
        {"rendezvous", "--listen", "127.0.0.1:0", "--db", db_dir + "/registry.json"}, {}, &err);
    ASSERT_NE(node, nullptr) << err;
    *node_pid = node->pid();
    ASSERT_TRUE(wait_either_stream(*node, kListenRe, kEventTimeout, nullptr)) << node->dump();
    // A process the Netns did not start itself: only the per-namespace sweep finds it.
    Process* shell =
        net.exec_in("doomed", "/bin/sh", {"-c", "sleep 300 & echo $!; wait"}, {}, &err);
    ASSERT_NE(shell, nullptr) << err;
    std::vector<std::string> groups;
    ASSERT_TRUE(
        shell->wait_for_line(std::regex("^([0-9]+)$"), kEventTimeout, Stream::kStdout, &groups));
    *orphan_pid = static_cast<pid_t>(std::stoi(groups[1]));
    ASSERT_FALSE(Netns::listed(*prefix).empty());
    ASSERT_TRUE(false) << "deliberate failure with a namespace and processes alive";
}

TEST(NetnsCleanup, AFailedAssertionStillRemovesNamespacesAndProcesses) {
    if (const auto& why = netns_unavailable_reason(); !why.empty())
        GTEST_SKIP() << "namespace test skipped: " << why;
    TempDir dir;
    std::string prefix;
    pid_t node_pid = -1, orphan_pid = -1;
    ::testing::TestPartResultArray failures;
    {
        ::testing::ScopedFakeTestPartResultReporter intercept(
            ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
        build_start_and_fail(dir.path(), &prefix, &node_pid, &orphan_pid);
    }
    ASSERT_EQ(failures.size(), 1) << "the scenario did not reach its deliberate failure: "
                                  << failures.GetTestPartResult(0).message();
    EXPECT_TRUE(failures.GetTestPartResult(0).fatally_failed());
    EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("deliberate failure"),
              std::string::npos);
    ASSERT_GT(orphan_pid, 0);
    EXPECT_TRUE(Netns::listed(prefix).empty()) << "namespace leaked";
    EXPECT_TRUE(process_gone(node_pid)) << "node " << node_pid << " survived";
    EXPECT_TRUE(poll_until([&] { return process_gone(orphan_pid); }, 5s))
        << "orphan " << orphan_pid << " survived";
}

TEST(NetnsCleanup, NamespacesOfAKilledRunAreSweptByTheNext) {
    if (const auto& why = netns_unavailable_reason(); !why.empty())
        GTEST_SKIP() << "namespace test skipped: " << why;
    // A pid that certainly belonged to a run which no longer exists.
    Process gone;
    ASSERT_TRUE(gone.start("/bin/true", {}));
    ASSERT_TRUE(gone.wait_exit(kEventTimeout));
    std::string stale = "p2pnat-" + std::to_string(gone.pid()) + "-0-stale";
    std::string err;
    Netns net;  // only for run(); its own sweep already happened
    ASSERT_TRUE(net.run(find_tool("ip"), {"netns", "add", stale}, &err)) << err;
    ASSERT_EQ(Netns::listed(stale).size(), 1u);

    // Our own live namespaces are never touched by a sweep.
    ASSERT_TRUE(net.add("alive", &err)) << err;
    EXPECT_GE(Netns::sweep_dead_runs(), 1);
    EXPECT_TRUE(Netns::listed(stale).empty());
    EXPECT_EQ(Netns::listed(net.name("alive")).size(), 1u);
    EXPECT_TRUE(net.teardown(&err)) << err;
}

// ---- interop over loopback ---------------------------------------------------------

// A legacy peer that only the relay knows: alice reaches it through the relay
// (final hop carried with ttl 1, since it discards ttl 0), its ACKs travel
// back to alice, and a relayed PUB never reaches it.
TEST(RelayInterop, LegacyPeerBehindTheRelayGetsSendsNeverPubs) {
    DeadPort no_rendezvous;  // static links only: nobody learns the legacy peer's address
    NodeProcess relay, alice;
    std::string err;
    NodeConfig relay_cfg;
    relay_cfg.name = "relay";
    relay_cfg.rendezvous_port = no_rendezvous.port();
    ASSERT_TRUE(relay.start(relay_cfg, &err)) << err;
    LegacyPeerOptions opts;
    opts.peer_id = "old@CIC";
    LegacyPeer legacy(opts);
    ASSERT_TRUE(legacy.dial(relay.port()));
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    ASSERT_TRUE(relay.wait_link_up("old@CIC")) << relay.dump();
    NodeConfig alice_cfg;
    alice_cfg.name = "alice";
    alice_cfg.rendezvous_port = no_rendezvous.port();
    alice_cfg.peers = {relay.address()};
    ASSERT_TRUE(alice.start(alice_cfg, &err)) << err;
    ASSERT_TRUE(alice.wait_link_up("relay@CIC")) << alice.dump();

    auto got_payload = [](const std::string& text) {
        return [text](const LegacyState& s) {
            for (const auto& r : s.received)
                if (r.type == "SEND" && r.payload == text) return true;
            return false;
        };
    };

    ASSERT_TRUE(alice.command("/msg old@CIC through the relay"));
    ASSERT_TRUE(legacy.wait_until(got_payload("through the relay"), kEventTimeout))
        << alice.dump() << relay.dump();
    // The ACK alice counts is the one the legacy peer wrote, passed back by the relay.
    std::vector<std::string> id;
    EXPECT_TRUE(alice.expect("^delivered (\\S+) to old@CIC", kEventTimeout, &id))
        << alice.dump() << relay.dump();
    auto state = legacy.snapshot();
    if (id.size() == 2) {
        EXPECT_NE(std::find(state.acks_sent.begin(), state.acks_sent.end(), id[1]),
                  state.acks_sent.end())
            << "alice's delivered " << id[1] << " matches no ACK the legacy peer sent";
    }
    for (const auto& r : state.received) {
        if (r.type != "SEND") continue;
        EXPECT_EQ(r.src, "alice@CIC") << "the relay keeps the origin's src: " << r.line;
        EXPECT_EQ(r.link, 0) << "arrived on the link to the relay";
        EXPECT_NE(r.line.find("\"ttl\":1"), std::string::npos) << "final hop ttl: " << r.line;
    }
    EXPECT_TRUE(state.ttl_dropped.empty()) << "a copy arrived with ttl <= 0";

    // A PUB from alice reaches the relay, which must not pass it on to the
    // legacy peer (it would close the link on it).
    ASSERT_TRUE(alice.command("/pub #CIC not for old peers"));
    ASSERT_TRUE(relay.expect("^pub #CIC alice@CIC: not for old peers$")) << relay.dump();
    // Barrier: the relay forwards in order, so a SEND after the PUB arriving
    // proves the PUB was not queued before it.
    ASSERT_TRUE(alice.command("/msg old@CIC after the pub"));
    ASSERT_TRUE(legacy.wait_until(got_payload("after the pub"), kEventTimeout)) << relay.dump();
    EXPECT_TRUE(alice.expect("^delivered \\S+ to old@CIC")) << alice.dump();
    state = legacy.snapshot();
    EXPECT_EQ(state.count_type("PUB"), 0);
    for (const auto& lost : state.dropped)  // a PUB sharing a read with another line
        EXPECT_EQ(lost.find("\"PUB\""), std::string::npos) << lost;
    EXPECT_TRUE(state.closes.empty()) << state.closes.front();
    EXPECT_EQ(state.handshakes, 1) << "the legacy peer was only ever linked to the relay";
    EXPECT_FALSE(alice.saw("^link old@CIC up"));
}

}  // namespace
}  // namespace p2p::test
