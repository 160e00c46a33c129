// The spec's minimum chat scenarios with real p2pchat processes over
// loopback, driven through the console contract (docs/shell.md "Output"): nodes
// meshing through a rendezvous or through static --peer addresses, /msg
// with ACK, /pub to a namespace and to everyone, keep-alive and RTT, a
// node killed with SIGKILL and returning, and /quit saying goodbye.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

// Waits until `node` reports a link up to every peer in `peers`, in any
// order (one cursor-based wait per link, so no line is ever skipped).
::testing::AssertionResult links_up(NodeProcess& node, std::set<std::string> peers) {
    while (!peers.empty()) {
        std::string alternatives;
        for (const auto& p : peers)
            alternatives += (alternatives.empty() ? "" : "|") + regex_escape(p);
        std::vector<std::string> groups;
        if (!node.expect("^link (" + alternatives + ") up", kEventTimeout, &groups))
            return ::testing::AssertionFailure()
                   << node.peer_id() << " has no link to " << *peers.begin() << "\n"
                   << node.dump();
        peers.erase(groups[1]);
    }
    return ::testing::AssertionSuccess();
}

// /msg from one node to another; checks sent -> delivered on the sender and
// exactly the text on the receiver.
::testing::AssertionResult msg_delivered(NodeProcess& from, NodeProcess& to,
                                         const std::string& text) {
    if (!from.command("/msg " + to.peer_id() + " " + text))
        return ::testing::AssertionFailure() << "stdin closed";
    std::vector<std::string> groups;
    if (!from.expect("^sent (\\S+) to " + regex_escape(to.peer_id()) + "$", kEventTimeout, &groups))
        return ::testing::AssertionFailure() << "no `sent` line\n" << from.dump();
    if (!from.expect("^delivered " + regex_escape(groups[1]) + " to " + regex_escape(to.peer_id()) +
                     " \\([0-9.]+ ms\\)$"))
        return ::testing::AssertionFailure() << "no `delivered` line\n" << from.dump();
    if (!to.expect("^msg " + regex_escape(from.peer_id()) + ": " + regex_escape(text) + "$"))
        return ::testing::AssertionFailure() << "not shown\n" << to.dump();
    return ::testing::AssertionSuccess();
}

// A /rtt table row (PEER, MEAN ms, LAST ms, SAMPLES) with at least one sample.
std::string rtt_row(const std::string& peer) {
    return "^" + regex_escape(peer) + " +[0-9]+\\.[0-9] +[0-9]+(\\.[0-9])? +[1-9][0-9]* *$";
}

class ChatScenario : public ::testing::Test {
  protected:
    NodeProcess& node(const std::string& name, std::uint16_t rendezvous_port,
                      std::vector<std::string> peers = {}, int ping_interval_s = 0,
                      const std::string& ns = "CIC") {
        NodeConfig c;
        c.name = name;
        c.ns = ns;
        c.rendezvous_port = rendezvous_port;
        c.peers = std::move(peers);
        c.ping_interval_s = ping_interval_s;
        nodes_.push_back(std::make_unique<NodeProcess>());
        std::string err;
        EXPECT_TRUE(nodes_.back()->start(c, &err)) << err;
        return *nodes_.back();
    }

    RendezvousProcess& rendezvous() {
        if (!rdv_started_) {
            std::string err;
            EXPECT_TRUE(rdv_.start(&err)) << err;
            rdv_started_ = true;
        }
        return rdv_;
    }

    // The DISCOVER answer for `ns`, asked from 127.0.0.1 like the nodes.
    std::string discover(const std::string& ns) {
        TcpClient c;
        if (!c.connect(rdv_.port())) return {};
        c.send_line("{\"type\":\"DISCOVER\",\"namespace\":\"" + ns + "\"}");
        return c.read_line().value_or("");
    }

    RendezvousProcess rdv_;
    bool rdv_started_ = false;
    DeadPort dead_;
    std::vector<std::unique_ptr<NodeProcess>> nodes_;
};

TEST_F(ChatScenario, ThreeNodesAndARendezvous_MsgPubNamespaceAndPubAll) {
    auto port = rendezvous().port();
    auto& alice = node("alice", port);
    auto& bob = node("bob", port);
    auto& carol = node("carol", port);
    ASSERT_TRUE(links_up(alice, {"bob@CIC", "carol@CIC"}));
    ASSERT_TRUE(links_up(bob, {"alice@CIC", "carol@CIC"}));
    ASSERT_TRUE(links_up(carol, {"alice@CIC", "bob@CIC"}));

    ASSERT_TRUE(msg_delivered(alice, bob, "hello bob"));
    ASSERT_TRUE(msg_delivered(carol, alice, "hi alice, carol here"));

    ASSERT_TRUE(alice.command("/pub #CIC hello namespace"));
    EXPECT_TRUE(bob.expect("^pub #CIC alice@CIC: hello namespace$")) << bob.dump();
    EXPECT_TRUE(carol.expect("^pub #CIC alice@CIC: hello namespace$")) << carol.dump();

    ASSERT_TRUE(bob.command("/pub * hello everyone"));
    EXPECT_TRUE(alice.expect("^pub \\* bob@CIC: hello everyone$")) << alice.dump();
    EXPECT_TRUE(carol.expect("^pub \\* bob@CIC: hello everyone$")) << carol.dump();

    // A unicast reaches only its destination, and each message shows once.
    EXPECT_FALSE(carol.saw("hello bob")) << carol.dump();
    for (NodeProcess* n : {&bob, &carol}) {
        int shown = 0;
        for (const auto& line : n->proc().lines())
            if (line == "pub #CIC alice@CIC: hello namespace") ++shown;
        EXPECT_EQ(shown, 1) << n->dump();
    }
}

TEST_F(ChatScenario, PubToANamespaceStaysInIt) {
    auto port = rendezvous().port();
    auto& alice = node("alice", port);
    auto& bob = node("bob", port);
    auto& dave = node("dave", port, {}, 0, "LAB");
    // dave is in another namespace: the static link makes him a neighbour
    // whatever the discovery scope.
    ASSERT_TRUE(dave.command("/connect " + alice.address()));
    ASSERT_TRUE(links_up(alice, {"bob@CIC", "dave@LAB"}));
    ASSERT_TRUE(links_up(bob, {"alice@CIC"}));

    ASSERT_TRUE(alice.command("/pub #CIC only for CIC"));
    EXPECT_TRUE(bob.expect("^pub #CIC alice@CIC: only for CIC$")) << bob.dump();
    ASSERT_TRUE(alice.command("/pub * for every one"));
    EXPECT_TRUE(dave.expect("^pub \\* alice@CIC: for every one$")) << dave.dump();
    EXPECT_TRUE(bob.expect("^pub \\* alice@CIC: for every one$")) << bob.dump();
    // dave got the later broadcast, so the earlier #CIC publish, had it been
    // sent to him, would have been shown before it.
    EXPECT_FALSE(dave.saw("only for CIC")) << dave.dump();
}

TEST_F(ChatScenario, StaticPeersMeshWithNoRendezvous) {
    auto& alice = node("alice", dead_.port());
    auto& bob = node("bob", dead_.port(), {alice.address()});
    auto& carol = node("carol", dead_.port(), {alice.address(), bob.address()});
    ASSERT_TRUE(links_up(alice, {"bob@CIC", "carol@CIC"}));
    ASSERT_TRUE(links_up(bob, {"alice@CIC", "carol@CIC"}));
    ASSERT_TRUE(links_up(carol, {"alice@CIC", "bob@CIC"}));
    // alice never dialed anyone: she learnt both ids from their HELLOs.
    ASSERT_TRUE(msg_delivered(alice, carol, "found you by your HELLO"));
    ASSERT_TRUE(msg_delivered(bob, alice, "static hello"));
    ASSERT_TRUE(carol.command("/pub * mesh without a rendezvous"));
    EXPECT_TRUE(alice.expect("^pub \\* carol@CIC: mesh without a rendezvous$")) << alice.dump();
    EXPECT_TRUE(bob.expect("^pub \\* carol@CIC: mesh without a rendezvous$")) << bob.dump();
}

TEST_F(ChatScenario, KeepAliveMeasuresRttShownByRttCommand) {
    auto& alice = node("alice", dead_.port(), {}, 1);
    auto& bob = node("bob", dead_.port(), {alice.address()}, 1);
    ASSERT_TRUE(links_up(bob, {"alice@CIC"}));
    ASSERT_TRUE(links_up(alice, {"bob@CIC"}));
    // PINGs go every second; ask until a sample shows up (a few seconds).
    bool seen = false;
    auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
        ASSERT_TRUE(bob.command("/rtt"));
        seen = bob.expect(rtt_row("alice@CIC"), 1500ms).has_value();
    }
    EXPECT_TRUE(seen) << bob.dump();
    // Both sides ping, so both measure.
    seen = false;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
        ASSERT_TRUE(alice.command("/rtt"));
        seen = alice.expect(rtt_row("bob@CIC"), 1500ms).has_value();
    }
    EXPECT_TRUE(seen) << alice.dump();
}

TEST_F(ChatScenario, PeerThatStopsAnsweringPingsIsDeclaredDeadWithBye) {
    auto& alice = node("alice", dead_.port(), {}, 1);
    RawPeer raw;
    ASSERT_TRUE(raw.connect(alice.port()));
    ASSERT_TRUE(raw.hello("mute@CIC", {"ack"}));
    // Three PINGs unanswered, then BYE and close.
    std::vector<std::string> lines;
    int pings = 0;
    std::optional<JsonLine> bye;
    while (!bye) {
        auto line = raw.read_line(5s);
        ASSERT_TRUE(line) << "pings seen: " << pings << "\n" << alice.dump();
        JsonLine json(*line);
        if (json.type() == "PING") ++pings;
        if (json.type() == "BYE") bye.emplace(*line);
    }
    EXPECT_GE(pings, 3);
    EXPECT_EQ(bye->str("src"), "alice@CIC");
    EXPECT_TRUE(raw.wait_closed(5s)) << alice.dump();
    EXPECT_TRUE(alice.expect("^link mute@CIC down")) << alice.dump();
    EXPECT_TRUE(alice.saw("^peer mute@CIC STALE")) << alice.dump();
}

TEST_F(ChatScenario, NodeKilledWithSigkillGoesStaleAndIsReconnectedOnReturn) {
    auto port = rendezvous().port();
    auto& alice = node("alice", port, {}, 1);
    auto& bob = node("bob", port, {}, 1);
    ASSERT_TRUE(links_up(alice, {"bob@CIC"}));
    ASSERT_TRUE(links_up(bob, {"alice@CIC"}));
    ASSERT_TRUE(msg_delivered(alice, bob, "before the crash"));

    bob.proc().kill_now();
    EXPECT_TRUE(alice.expect("^link bob@CIC down")) << alice.dump();
    EXPECT_TRUE(alice.expect("^peer bob@CIC STALE")) << alice.dump();

    std::string err;
    ASSERT_TRUE(bob.restart(&err)) << err;  // same port as before
    ASSERT_TRUE(links_up(alice, {"bob@CIC"}));
    ASSERT_TRUE(links_up(bob, {"alice@CIC"}));
    ASSERT_TRUE(msg_delivered(alice, bob, "after the crash"));
}

TEST_F(ChatScenario, QuitSendsByeToEveryLinkAndUnregisters) {
    auto port = rendezvous().port();
    auto& alice = node("alice", port);
    auto& bob = node("bob", port);
    ASSERT_TRUE(links_up(alice, {"bob@CIC"}));
    RawPeer raw;
    ASSERT_TRUE(raw.connect(alice.port()));
    ASSERT_TRUE(raw.hello("raw@CIC", {"ack"}));
    ASSERT_TRUE(links_up(alice, {"raw@CIC"}));
    ASSERT_NE(discover("CIC").find("\"name\":\"alice\""), std::string::npos) << discover("CIC");

    ASSERT_TRUE(alice.command("/quit"));
    auto bye = raw.read_type("BYE", 5s);
    ASSERT_TRUE(bye) << alice.dump();
    EXPECT_EQ(bye->str("src"), "alice@CIC");
    EXPECT_EQ(bye->str("dst"), "raw@CIC");
    EXPECT_FALSE(bye->str("msg_id").empty());
    ASSERT_TRUE(raw.send_raw("{\"type\":\"BYE_OK\",\"msg_id\":\"" + bye->str("msg_id") +
                             "\",\"src\":\"raw@CIC\",\"dst\":\"alice@CIC\",\"ttl\":1}\n"));
    EXPECT_TRUE(raw.wait_closed()) << alice.dump();
    auto status = alice.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(status) << alice.dump();
    EXPECT_TRUE(status->success()) << alice.dump();
    EXPECT_TRUE(bob.expect("^link alice@CIC down")) << bob.dump();
    // bob heard a goodbye, not a crash: alice is not treated as a lost link.
    EXPECT_FALSE(bob.saw("^peer alice@CIC STALE")) << bob.dump();
    // UNREGISTER happened before exit, so the listing no longer has alice.
    std::string listing = discover("CIC");
    EXPECT_NE(listing.find("\"name\":\"bob\""), std::string::npos) << listing;
    EXPECT_EQ(listing.find("\"name\":\"alice\""), std::string::npos) << listing;
}

TEST_F(ChatScenario, MsgToUnknownPeerIsRefusedWithNoRoute) {
    auto& alice = node("alice", dead_.port());
    ASSERT_TRUE(alice.command("/msg ghost@CIC are you there?"));
    EXPECT_TRUE(alice.expect("^(undelivered \\S+ to ghost@CIC: no_route|error .*no.route)"))
        << alice.dump();
}

TEST_F(ChatScenario, TooLargeMessageRefusedBeforeSending) {
    auto& alice = node("alice", dead_.port());
    auto& bob = node("bob", dead_.port(), {alice.address()});
    ASSERT_TRUE(links_up(bob, {"alice@CIC"}));
    // The typed line fits the console's 32768-byte input line, but the SEND
    // it would make (payload plus JSON fields) does not fit a wire line.
    std::string payload(32740, 'y');
    ASSERT_LT(("/msg alice@CIC " + payload).size(), 32768u);
    ASSERT_TRUE(bob.command("/msg alice@CIC " + payload));
    EXPECT_TRUE(
        bob.expect("^(undelivered \\S+ to alice@CIC: message_too_large|error "
                   ".*message_too_large)"))
        << bob.dump();
    // A typed line too long for the console itself is refused out loud.
    ASSERT_TRUE(bob.command("/msg alice@CIC " + std::string(33000, 'y')));
    EXPECT_TRUE(bob.expect("^error .*(too long|longer than)")) << bob.dump();
    // The link is unharmed and nothing oversized reached alice.
    ASSERT_TRUE(msg_delivered(bob, alice, "small one"));
    EXPECT_FALSE(alice.saw("yyyyyyyyyy")) << alice.dump();
}

TEST_F(ChatScenario, UnknownCommandGetsOneLineExplanation) {
    auto& alice = node("alice", dead_.port());
    ASSERT_TRUE(alice.command("/frobnicate now"));
    EXPECT_TRUE(alice.expect("^error .+")) << alice.dump();
    ASSERT_TRUE(alice.command("/msg"));
    EXPECT_TRUE(alice.expect("^error .+")) << alice.dump();
    EXPECT_TRUE(alice.proc().running());
}

}  // namespace
}  // namespace p2p::test
