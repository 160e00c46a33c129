// Long-lived failures are said once, with their cause (issue 15.6), against
// the real binary: a node whose rendezvous refuses connections, or whose
// name does not resolve, shows why on its console and as one WARN in its
// log, not again on each retry (the retries are at DEBUG), and says
// "reachable again after N failed attempts" once a rendezvous answers on
// that address.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/support/fake_rendezvous.h"
#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

int count_matching(Process& proc, const std::string& re, Stream stream) {
    std::regex r(re);
    int n = 0;
    for (const std::string& line : proc.lines(stream))
        n += std::regex_search(line, r) ? 1 : 0;
    return n;
}

// Waits for the client's DEBUG line of failure number `n` (the retries the
// console and the WARNs no longer repeat).
bool wait_failures(Process& proc, int n) {
    return proc
        .wait_for_line(
            "DEBUG \\[Rendezvous\\] REGISTER failed \\(.*\\), retry " + std::to_string(n) + " in",
            kEventTimeout, Stream::kStderr)
        .has_value();
}

TEST(FailureNotice, RefusedRendezvousIsSaidOnceThenReachableAgain) {
    DeadPort dead;
    NodeConfig c;
    c.name = "ria";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--log-level", "debug"};
    NodeProcess node;
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    std::string where = "127\\.0\\.0\\.1:" + std::to_string(dead.port());
    std::string said = "^rendezvous " + where +
                       ": REGISTER failed: unreachable: Connection refused; retry in [0-9.]+ s, "
                       "backing off to at most 300 s \\(further failures for this reason are not "
                       "repeated\\)$";
    ASSERT_TRUE(node.expect(said)) << node.dump();
    ASSERT_TRUE(wait_failures(node.proc(), 2)) << node.dump();
    EXPECT_EQ(count_matching(node.proc(), "REGISTER failed", Stream::kStdout), 1) << node.dump();
    EXPECT_EQ(count_matching(node.proc(),
                             " WARN \\[Rendezvous\\] " + where +
                                 ": REGISTER failed: unreachable: Connection refused;",
                             Stream::kStderr),
              1)
        << node.dump();

    // The address comes alive (the same bound socket starts listening).
    FakeRendezvous rdv(
        [](const std::string& type) -> std::string {
            if (type == "REGISTER")
                return R"({"status":"OK","ttl":7200,"ip":"127.0.0.1","port":1})";
            if (type == "DISCOVER") return R"({"status":"OK","peers":[]})";
            return R"({"status":"OK"})";
        },
        dead.release());
    ASSERT_TRUE(rdv.ok());
    std::vector<std::string> g;
    ASSERT_TRUE(
        node.expect("^rendezvous " + where + " reachable again after ([0-9]+) failed attempts$",
                    kEventTimeout, &g))
        << node.dump();
    EXPECT_GE(std::stoi(g[1]), 2) << node.dump();
    EXPECT_TRUE(node.proc().wait_for_line(
        " INFO \\[Rendezvous\\] " + where + " reachable again after " + g[1] + " failed",
        kEventTimeout, Stream::kStderr))
        << node.dump();
    // Said once: the DISCOVERs that follow succeed without another line.
    ASSERT_TRUE(node.expect("^rendezvous discovered 0 peers", kEventTimeout)) << node.dump();
    EXPECT_EQ(count_matching(node.proc(), "reachable again", Stream::kStdout), 1) << node.dump();
    auto status = node.quit();
    ASSERT_TRUE(status.has_value()) << node.dump();
    EXPECT_TRUE(status->success()) << node.dump();
}

TEST(FailureNotice, UnresolvableRendezvousNameIsSaidOnce) {
    DeadPort unused;  // NodeConfig wants a port; --rendezvous below replaces the address
    NodeConfig c;
    c.name = "una";
    c.rendezvous_port = unused.port();
    // .invalid never resolves (RFC 6761).
    c.extra_args = {"--rendezvous", "p2pchat-test.invalid:8080", "--log-level", "debug"};
    // A machine whose DNS server is unreachable answers "Temporary failure in name
    // resolution" only after glibc's timeouts: keep those under the 5 s connect
    // deadline, so the cause is still the resolver's.
    c.extra_env = {"RES_OPTIONS=timeout:1 attempts:1"};
    NodeProcess node;
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    std::string said =
        "^rendezvous p2pchat-test\\.invalid:8080: REGISTER failed: unreachable: cannot resolve "
        "p2pchat-test\\.invalid: .+; retry in";
    ASSERT_TRUE(node.expect(said)) << node.dump();
    ASSERT_TRUE(wait_failures(node.proc(), 2)) << node.dump();
    EXPECT_EQ(count_matching(node.proc(), "REGISTER failed", Stream::kStdout), 1) << node.dump();
    EXPECT_EQ(
        count_matching(node.proc(), " WARN \\[Rendezvous\\] .*cannot resolve", Stream::kStderr), 1)
        << node.dump();
}

// A static peer that refuses: its first failure is shown with the cause, the redials
// that fail the same way are not (console or log), and its CONNECTED when it comes up
// ends it with "reachable again" in the log.
TEST(FailureNotice, KnownPeerThatRefusesIsSaidOnceUntilItAnswers) {
    DeadPort rdv;
    DeadPort peer_port(true);  // refuses, until bea listens on it too
    std::uint16_t port = peer_port.port();
    std::string at = "127\\.0\\.0\\.1:" + std::to_string(port);
    NodeConfig c;
    c.name = "pia";
    c.rendezvous_port = rdv.port();
    c.peers = {"127.0.0.1:" + std::to_string(port)};
    c.extra_args = {"--log-level", "debug", "--no-lan-discovery"};
    NodeProcess node;
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    ASSERT_TRUE(
        node.expect("^peer " + at + " STALE connect failed: Connection refused; retry 1/[0-9]+ in"))
        << node.dump();
    // The second dial fails too (PeerLinks logs each at DEBUG), and is not shown.
    ASSERT_TRUE(node.proc().wait_for_line("DEBUG \\[Links\\] dial failed: .*Connection refused",
                                          kEventTimeout, Stream::kStderr))
        << node.dump();
    ASSERT_TRUE(node.proc().wait_for_line("DEBUG \\[Links\\] dial failed: .*Connection refused",
                                          kEventTimeout, Stream::kStderr))
        << node.dump();
    EXPECT_EQ(count_matching(node.proc(), "^peer " + at + " STALE", Stream::kStdout), 1)
        << node.dump();
    EXPECT_EQ(count_matching(node.proc(), "^peer " + at + " CONNECTING", Stream::kStdout), 1)
        << node.dump();
    EXPECT_EQ(count_matching(node.proc(),
                             " WARN \\[Peers\\] peer " + at +
                                 " unreachable: connect failed: Connection refused; retry 1/",
                             Stream::kStderr),
              1)
        << node.dump();
    EXPECT_EQ(count_matching(node.proc(), " WARN \\[Peers\\]", Stream::kStderr), 1) << node.dump();

    // The peer comes up on that port.
    NodeConfig bc;
    bc.name = "bea";
    bc.port = port;
    bc.rendezvous_port = rdv.port();
    bc.extra_args = {"--no-lan-discovery"};
    NodeProcess bea;
    ASSERT_TRUE(bea.start(bc, &err)) << err;
    ASSERT_TRUE(node.expect("^peer bea@CIC CONNECTED", kEventTimeout)) << node.dump();
    EXPECT_TRUE(node.proc().wait_for_line(
        " INFO \\[Peers\\] peer bea@CIC at " + at + " reachable again after [0-9]+ failed attempts",
        kEventTimeout, Stream::kStderr))
        << node.dump();
}

}  // namespace
}  // namespace p2p::test
