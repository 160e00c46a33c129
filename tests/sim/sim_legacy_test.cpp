// p2pchat with peers that speak only the revised protocol (the deployed
// Python peers, scripted in sim_legacy.h): messages in both directions
// without loss despite first-line-only reads, PUB-closes, epoch timestamps,
// src-less ACKs, bare-namespace PUBs, retransmissions and dialer-only pings.
#include <gtest/gtest.h>

#include "tests/sim/sim_legacy.h"
#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

struct Legacy : ::testing::Test {
    Net net{23};
    std::unique_ptr<SimNode> a;
    std::unique_ptr<LegacyScript> py;
    void SetUp() override {
        a = std::make_unique<SimNode>(net, sim_config("alice", "CIC", 3), "10.0.2.1", 7001);
        py = std::make_unique<LegacyScript>(net, "py", "CIC", "10.0.2.2", 7002);
        a->node().set_watch(true);
    }
    // alice dials the legacy peer (it registered with the rendezvous).
    void alice_dials() {
        PeerAdvert adv;
        adv.peer_id = "py@CIC";
        adv.ip = py->ip();
        adv.port = py->port();
        adv.expires_in_s = 7200;
        a->node().on_peer_advert(adv);
        ASSERT_TRUE(net.run_until([&] { return a->connected_to("py@CIC") && py->linked(); }, 3000))
            << a->dump();
    }
    void py_dials() {
        py->dial(a->ip(), a->port());
        ASSERT_TRUE(net.run_until([&] { return a->connected_to("py@CIC") && py->linked(); }, 3000))
            << a->dump();
    }
    // Every line alice wrote to py arrived as the first line of its own read.
    void expect_nothing_lost() {
        EXPECT_TRUE(py->dropped.empty())
            << "lines lost by the legacy reader: " << py->dropped.size() << "\n"
            << a->dump();
        EXPECT_TRUE(py->ttl_dropped.empty());
    }
};

TEST_F(Legacy, BurstOfSendsBothWaysWhenWeDial) {
    alice_dials();
    std::vector<std::string> ids;
    for (int i = 0; i < 8; ++i)
        ids.push_back(a->node().send("py@CIC", "to py " + std::to_string(i)).msg_id);
    for (int i = 0; i < 8; ++i)
        py->send("alice@CIC", "to alice " + std::to_string(i));
    ASSERT_TRUE(net.run_until([&] { return a->count(EventKind::kDelivered) == 8; }, 20000))
        << a->dump();
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(py->count_payload("to py " + std::to_string(i)), 1) << i;
        EXPECT_EQ(a->count(EventKind::kMsg, "py@CIC", "to alice " + std::to_string(i)), 1) << i;
    }
    net.run_for(1000);
    for (auto& [id, acked] : py->my_sends) {
        EXPECT_TRUE(acked) << id;
    }
    EXPECT_EQ(a->count(EventKind::kAckTimeout), 0);
    expect_nothing_lost();
    // At most one of our SENDs was ever awaiting its ACK: each SEND line to py
    // follows the ACK of the previous one.
    int outstanding = 0, max_outstanding = 0;
    for (const Ev& e : a->events) {
        if (e.kind == EventKind::kWire && e.outgoing &&
            e.line.find("\"SEND\"") != std::string::npos)
            max_outstanding = std::max(max_outstanding, ++outstanding);
        if (e.kind == EventKind::kDelivered) --outstanding;
    }
    EXPECT_EQ(max_outstanding, 1);
}

TEST_F(Legacy, BurstOfSendsBothWaysWhenItDials) {
    py_dials();
    for (int i = 0; i < 5; ++i)
        a->node().send("py@CIC", "x" + std::to_string(i));
    for (int i = 0; i < 5; ++i)
        py->send("alice@CIC", "y" + std::to_string(i));
    ASSERT_TRUE(net.run_until([&] { return a->count(EventKind::kDelivered) == 5; }, 20000))
        << a->dump();
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(a->count(EventKind::kMsg, "py@CIC", "y" + std::to_string(i)), 1);
    net.run_for(1000);
    for (auto& [id, acked] : py->my_sends) {
        EXPECT_TRUE(acked) << id;
    }
    expect_nothing_lost();
}

TEST_F(Legacy, RetransmittedCopiesAreShownOnceAndAckedEveryTime) {
    py_dials();
    py->ignore_first_acks = 2;  // py believes our first two ACKs were lost
    std::string id = py->send("alice@CIC", "again?");
    net.run_for(16000);
    EXPECT_EQ(a->count(EventKind::kMsg, "py@CIC", "again?"), 1);
    EXPECT_EQ(py->count("ACK"), 3);  // the original and two retransmissions, each ACKed
    EXPECT_TRUE(py->my_sends[id]);
    EXPECT_EQ(a->node().stats().duplicates, 2u);
}

TEST_F(Legacy, BareNamespacePubIsAcceptedAndOurPubMakesItHangUp) {
    alice_dials();
    py->publish_ns("hello ns");
    net.run_for(500);
    ASSERT_EQ(a->count(EventKind::kPub, "py@CIC", "hello ns"), 1) << a->dump();
    for (const Ev& e : a->events) {
        if (e.kind == EventKind::kPub) {
            EXPECT_EQ(e.scope, "#CIC");
        }
    }
    // A deployed peer closes the link on any PUB; alice redials and chat goes on.
    ASSERT_EQ(a->node().pub("#CIC", "to everyone").status, SendStatus::kQueued);
    ASSERT_TRUE(net.run_until([&] { return !py->closes.empty(); }, 2000));
    EXPECT_EQ(py->closes[0], "PUB received");
    ASSERT_TRUE(net.run_until([&] { return a->connected_to("py@CIC") && py->linked(); }, 10000))
        << a->dump();
    a->node().send("py@CIC", "still there?");
    ASSERT_TRUE(net.run_until([&] { return a->count(EventKind::kDelivered) == 1; }, 5000))
        << a->dump();
    expect_nothing_lost();
}

TEST_F(Legacy, KeepAliveWithAPeerThatPingsOnlyWhenItDialed) {
    py->ping_interval_ms = 10'000;
    py_dials();
    net.run_for(200'000);
    EXPECT_TRUE(a->connected_to("py@CIC")) << a->dump();
    EXPECT_GE(py->count("PONG"), 6);  // our PONGs to its PINGs
    EXPECT_GE(py->count("PING"), 6);  // alice pings on its inbound link too
    PeerView v;
    ASSERT_TRUE(a->peer_state("py@CIC", v));
    EXPECT_GE(v.rtt_count, 1);
    EXPECT_EQ(a->count(EventKind::kLink), 1);  // never went down
    expect_nothing_lost();
}

TEST_F(Legacy, NeverSendsTtlZeroAndEveryLineCarriesTtl) {
    alice_dials();
    a->node().send("py@CIC", "m");
    a->node().pub("*", "p");
    net.run_for(3000);
    for (const Ev& e : a->events) {
        if (e.kind == EventKind::kWire && e.outgoing) {
            EXPECT_NE(e.line.find("\"ttl\":1}"), std::string::npos) << e.line;
        }
    }
    EXPECT_TRUE(py->ttl_dropped.empty());
}

}  // namespace
}  // namespace p2p::sim

namespace p2p::sim {
namespace {

TEST_F(Legacy, APeerThatStopsReadingIsStillFoundDead) {
    net.sockbuf_bytes = 4096;
    alice_dials();
    net.freeze(py->host());  // the process hangs: it reads nothing, answers nothing
    // alice keeps typing: the paced queue to py never drains.
    for (int i = 0; i < 40; ++i)
        a->node().send("py@CIC", std::string(400, 'q'));
    PeerView v;
    ASSERT_TRUE(net.run_until(
        [&] { return a->peer_state("py@CIC", v) && v.state == PeerState::kStale; }, 300000))
        << a->dump();
    bool dead = false;
    for (const Ev& e : a->events) {
        if (e.kind == EventKind::kLink && !e.up && e.reason.find("dead") != std::string::npos)
            dead = true;
    }
    EXPECT_TRUE(dead);
}

}  // namespace
}  // namespace p2p::sim
