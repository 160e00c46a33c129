// The relay as a user sees it, with real p2pchat processes over loopback:
// alice and bob each have a static --peer link to a relay node and no
// rendezvous (a dead port), so neither ever learns the other's address. Their
// /msg goes through the relay with an ACK; /routes shows the learnt route and
// the relay's counters; /metrics asks a neighbour for its link figures;
// --no-relay leaves them unreachable; --relay-ttl outside 1..8 is refused.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

class RelayCli : public ::testing::Test {
  protected:
    NodeProcess& node(const std::string& name, std::vector<std::string> peers = {},
                      std::vector<std::string> extra = {}) {
        NodeConfig c;
        c.name = name;
        c.rendezvous_port = dead_.port();
        c.peers = std::move(peers);
        c.extra_args = std::move(extra);
        nodes_.push_back(std::make_unique<NodeProcess>());
        std::string err;
        EXPECT_TRUE(nodes_.back()->start(c, &err)) << err;
        return *nodes_.back();
    }

    // relay with alice and bob linked to it (and only to it). alice_args may
    // start with --json.
    void chain(std::vector<std::string> relay_args = {}, std::vector<std::string> alice_args = {}) {
        relay_ = &node("relay", {}, std::move(relay_args));
        bool alice_json = !alice_args.empty() && alice_args[0] == "--json";
        alice_ = &node("alice", {relay_->address()}, std::move(alice_args));
        bob_ = &node("bob", {relay_->address()});
        bool up = alice_json ? alice_
                                   ->expect(
                                       "^\\{\"event\":\"link\",\"peer_id\":\"relay@"
                                       "CIC\",\"up\":true")
                                   .has_value()
                             : alice_->wait_link_up("relay@CIC");
        ASSERT_TRUE(up) << alice_->dump();
        ASSERT_TRUE(bob_->wait_link_up("relay@CIC")) << bob_->dump();
        // The relay must know bob before alice asks who has him.
        ASSERT_TRUE(relay_->saw("^link alice@CIC up") || relay_->wait_link_up("alice@CIC"))
            << relay_->dump();
        ASSERT_TRUE(relay_->saw("^link bob@CIC up") || relay_->wait_link_up("bob@CIC"))
            << relay_->dump();
    }

    // /msg from -> to, expecting sent, delivered (the ACK came back) and
    // exactly one copy shown at the receiver.
    ::testing::AssertionResult delivered(NodeProcess& from, NodeProcess& to,
                                         const std::string& text) {
        if (!from.command("/msg " + to.peer_id() + " " + text))
            return ::testing::AssertionFailure() << "stdin closed";
        std::vector<std::string> g;
        if (!from.expect("^sent (\\S+) to " + regex_escape(to.peer_id()) + "$", kEventTimeout, &g))
            return ::testing::AssertionFailure() << "no `sent` line\n" << from.dump();
        if (!from.expect("^delivered " + regex_escape(g[1]) + " to " + regex_escape(to.peer_id()) +
                         " \\([0-9.]+ ms\\)$"))
            return ::testing::AssertionFailure() << "no `delivered` line\n" << from.dump();
        if (!to.expect("^msg " + regex_escape(from.peer_id()) + ": " + regex_escape(text) + "$"))
            return ::testing::AssertionFailure() << "not shown\n" << to.dump();
        return ::testing::AssertionSuccess();
    }

    DeadPort dead_;  // no rendezvous: static links only
    std::vector<std::unique_ptr<NodeProcess>> nodes_;
    NodeProcess* relay_ = nullptr;
    NodeProcess* alice_ = nullptr;
    NodeProcess* bob_ = nullptr;
};

TEST_F(RelayCli, MsgCrossesTheRelayBothWaysAndRoutesShowIt) {
    chain();
    ASSERT_TRUE(delivered(*alice_, *bob_, "hello through the relay"));
    ASSERT_TRUE(delivered(*bob_, *alice_, "and back again"));
    // Through the relay, never directly: neither knows where the other is.
    EXPECT_FALSE(alice_->saw("^link bob@CIC up")) << alice_->dump();
    EXPECT_FALSE(bob_->saw("^link alice@CIC up")) << bob_->dump();

    // alice's table: the relay as a direct link, bob through it with an age.
    ASSERT_TRUE(alice_->command("/routes"));
    EXPECT_TRUE(alice_->expect("^DESTINATION +VIA +RTT ms +AGE *$", 5s)) << alice_->dump();
    EXPECT_TRUE(alice_->expect("^relay@CIC +direct +\\S+ +- *$", 5s)) << alice_->dump();
    EXPECT_TRUE(alice_->expect("^bob@CIC +relay@CIC +(-|[0-9]+\\.[0-9]) +[0-9]+s *$", 5s))
        << alice_->dump();
    EXPECT_TRUE(alice_->expect(
        "^info relay: relayed 0, dropped 0, refused 0, reads paused 0, slow readers 0$", 5s))
        << alice_->dump();

    // The relay counted the two SENDs it forwarded.
    ASSERT_TRUE(relay_->command("/routes"));
    std::vector<std::string> g;
    ASSERT_TRUE(
        relay_->expect("^info relay: relayed ([0-9]+), dropped ([0-9]+), refused ([0-9]+), "
                       "reads paused [0-9]+, slow readers [0-9]+$",
                       5s, &g))
        << relay_->dump();
    EXPECT_GE(std::stoi(g[1]), 2) << relay_->dump();
    EXPECT_EQ(g[2], "0");
    EXPECT_EQ(g[3], "0");
}

TEST_F(RelayCli, MetricsShowsTheNeighboursFiguresForOurLink) {
    chain();
    ASSERT_TRUE(delivered(*alice_, *bob_, "something to count"));
    ASSERT_TRUE(alice_->command("/metrics relay@CIC"));
    EXPECT_TRUE(alice_->expect("^info metrics requested from relay@CIC$", 5s)) << alice_->dump();
    // The relay has sent alice messages (HELLO_OK, RELAY_OK, the ACK) and
    // received some (HELLO, WHO_HAS, SEND).
    EXPECT_TRUE(
        alice_->expect("^metrics relay@CIC: rtt [0-9]+\\.[0-9] ms, sent [1-9][0-9]*, received "
                       "[1-9][0-9]*, last seen [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z$"))
        << alice_->dump();
    // Asking someone we have no link to is refused at once.
    ASSERT_TRUE(alice_->command("/metrics bob@CIC"));
    EXPECT_TRUE(alice_->expect("^error /metrics: no link to bob@CIC", 5s)) << alice_->dump();
}

TEST_F(RelayCli, MetricsInJsonIsAMetricsObject) {
    chain({}, {"--json"});
    ASSERT_TRUE(alice_->command("/metrics relay@CIC"));
    EXPECT_TRUE(
        alice_->expect("^\\{\"event\":\"metrics\",\"peer_id\":\"relay@CIC\",\"rtt_ms\":[0-9.]+,"
                       "\"sent_count\":[1-9][0-9]*,\"recv_count\":[1-9][0-9]*,"
                       "\"last_seen\":\"[0-9]{4}-[0-9:T-]+Z\"\\}$"))
        << alice_->dump();
}

TEST_F(RelayCli, ANoRelayNodeLeavesTheOthersWithNoRoute) {
    chain({"--no-relay"});
    ASSERT_TRUE(alice_->command("/msg bob@CIC nobody carries this"));
    EXPECT_TRUE(alice_->expect("^undelivered \\S+ to bob@CIC: no_route$", 30s)) << alice_->dump();
    EXPECT_FALSE(alice_->saw("^delivered ")) << alice_->dump();
    EXPECT_FALSE(bob_->saw("nobody carries this")) << bob_->dump();
    // The relay announced no relay feature on its links.
    ASSERT_TRUE(relay_->command("/conn"));
    EXPECT_TRUE(relay_->expect("^alice@CIC .* am-- ", 5s)) << relay_->dump();
    ASSERT_TRUE(relay_->command("/routes"));
    EXPECT_TRUE(
        relay_->expect("^info relay \\(off\\): relayed 0, dropped 0, refused 0, reads paused 0, "
                       "slow readers 0$",
                       5s))
        << relay_->dump();
}

TEST(RelayCliFlags, RelayTtlOutsideOneToEightIsRefused) {
    for (const char* ttl : {"9", "0"}) {
        Process p;
        std::string err;
        ASSERT_TRUE(p.start(P2PCHAT_BIN, {"--name", "x", "--namespace", "CIC", "--relay-ttl", ttl},
                            {}, &err))
            << err;
        auto status = p.wait_exit(kEventTimeout);
        ASSERT_TRUE(status) << p.dump();
        EXPECT_TRUE(status->exited) << p.dump();
        EXPECT_EQ(status->code, 78) << p.dump();
        EXPECT_TRUE(p.has_line(std::regex(std::string("^p2pchat: --relay-ttl: expected an integer "
                                                      "1\\.\\.8, got \"") +
                                          ttl + "\"$"),
                               Stream::kStderr))
            << p.dump();
    }
}

}  // namespace
}  // namespace p2p::test
