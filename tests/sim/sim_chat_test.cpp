// Chat between p2pchat engines over the simulated network: SEND/ACK, PUB
// scopes, retransmission across a cut link, keep-alive and RTT, BYE, limits.
#include <gtest/gtest.h>

#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

struct Chat : ::testing::Test {
    Net net{7};
    SimRendezvousServer rdv{net};
    std::vector<std::unique_ptr<SimNode>> nodes;

    SimNode& add(const std::string& name, const std::string& ns = "CIC") {
        int i = static_cast<int>(nodes.size()) + 1;
        NodeConfig c = sim_config(name, ns, 100 + static_cast<std::uint64_t>(i));
        nodes.push_back(std::make_unique<SimNode>(net, c, "10.0.0." + std::to_string(i),
                                                  static_cast<std::uint16_t>(7000 + i)));
        nodes.back()->join(rdv);
        return *nodes.back();
    }
    // A DISCOVER from every live node as soon as its client allows; the
    // clients also discover right after registering and every 15 s.
    void discover_all() {
        for (auto& n : nodes)
            if (net.host(n->host()).up) n->discover_now();
    }
    bool meshed() {
        for (auto& n : nodes)
            if (n->connected_count() != nodes.size() - 1) return false;
        return true;
    }
    std::string dump() {
        std::string s;
        for (auto& n : nodes)
            s += n->id() + ":\n" + n->dump();
        return s;
    }
    void mesh() {
        discover_all();
        ASSERT_TRUE(net.run_until([&] { return meshed(); }, 5000)) << dump();
    }
};

TEST_F(Chat, SendIsShownOnceAndAcked) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    mesh();
    SendResult r = a.node().send("bob@CIC", "Olá!");
    ASSERT_EQ(r.status, SendStatus::kQueued);
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == 1; }, 2000)) << dump();
    EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC", "Olá!"), 1);
    EXPECT_EQ(a.count_msg_id(EventKind::kSent, r.msg_id), 1);
    EXPECT_EQ(a.count_msg_id(EventKind::kDelivered, r.msg_id), 1);
    EXPECT_EQ(a.count(EventKind::kAckTimeout), 0);
    // And back the other way, addressed with a leading '@'.
    ASSERT_EQ(b.node().send("@alice@CIC", "oi").status, SendStatus::kQueued);
    ASSERT_TRUE(net.run_until([&] { return b.count(EventKind::kDelivered) == 1; }, 2000));
    EXPECT_EQ(a.count(EventKind::kMsg, "bob@CIC", "oi"), 1);
}

TEST_F(Chat, PubReachesItsScopeOnce) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    SimNode& c = add("carol", "XYZ");
    mesh();
    ASSERT_EQ(a.node().pub("#CIC", "to CIC").status, SendStatus::kQueued);
    ASSERT_EQ(a.node().pub("CIC", "bare CIC").status, SendStatus::kQueued);
    SendResult all = a.node().pub("*", "to all");
    ASSERT_EQ(all.status, SendStatus::kQueued);
    EXPECT_EQ(all.links, 2u);
    net.run_for(2000);
    EXPECT_EQ(b.count(EventKind::kPub, "alice@CIC", "to CIC"), 1);
    EXPECT_EQ(b.count(EventKind::kPub, "alice@CIC", "bare CIC"), 1);
    EXPECT_EQ(b.count(EventKind::kPub, "alice@CIC", "to all"), 1);
    EXPECT_EQ(c.count(EventKind::kPub, "alice@CIC", "to CIC"), 0);
    EXPECT_EQ(c.count(EventKind::kPub, "alice@CIC", "to all"), 1);
    EXPECT_EQ(a.count(EventKind::kPub), 0);  // never echoed to the sender
    for (const Ev& e : b.events) {
        if (e.kind == EventKind::kPub && e.text != "to all") {
            EXPECT_EQ(e.scope, "#CIC");
        }
    }
    EXPECT_EQ(a.node().pub("#NOBODY", "x").status, SendStatus::kNoRoute);
    EXPECT_EQ(a.node().pub("#bad ns", "x").status, SendStatus::kBadDestination);
}

TEST_F(Chat, CutLinkMidConversationRetransmitsAndShowsOnce) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    mesh();
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) {
        SendResult r = a.node().send("bob@CIC", "m" + std::to_string(i));
        ASSERT_EQ(r.status, SendStatus::kQueued);
        ids.push_back(r.msg_id);
    }
    net.run_for(60);  // some are on the wire, some wait their turn
    // The network drops every connection between them.
    for (std::size_t s = 0; s < a.node().link_slots(); ++s) {
        LinkView v;
        if (a.node().link_view(s, v)) net.cut(a.host(), v.id);
    }
    ASSERT_TRUE(net.run_until(
        [&] {
            for (auto& id : ids)
                if (a.count_msg_id(EventKind::kDelivered, id) != 1) return false;
            return true;
        },
        60000))
        << dump();
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC", "m" + std::to_string(i)), 1) << i;
    EXPECT_EQ(a.count(EventKind::kUndelivered), 0);
    EXPECT_TRUE(a.connected_to("bob@CIC"));
}

TEST_F(Chat, SilentPeerGivesAckTimeoutsThenUndelivered) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    mesh();
    net.run_for(1000);  // the duplicate links of the simultaneous dials are settled
    net.freeze(b.host());
    SendResult r = a.node().send("bob@CIC", "anyone?");
    ASSERT_EQ(r.status, SendStatus::kQueued);
    net.run_for(25000);
    std::vector<int> retries;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kAckTimeout && e.msg_id == r.msg_id) retries.push_back(e.retry);
    EXPECT_EQ(retries, (std::vector<int>{1, 2, 3}));
    ASSERT_EQ(a.count_msg_id(EventKind::kUndelivered, r.msg_id), 1) << dump();
    for (const Ev& e : a.events) {
        if (e.kind == EventKind::kUndelivered) {
            EXPECT_EQ(e.reason, "ack_timeout");
        }
    }
    EXPECT_EQ(a.node().stats().retransmits, 3u);
}

TEST_F(Chat, KeepAliveMeasuresRttAndDeclaresDeadLinks) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    mesh();
    a.node().set_watch(true);
    b.node().set_watch(true);
    net.run_for(31000);
    PeerView v;
    ASSERT_TRUE(a.peer_state("bob@CIC", v));
    EXPECT_GE(v.rtt_count, 1);
    EXPECT_EQ(v.last_rtt_ms, 2 * net.latency_ms) << dump();
    // bob freezes: 3 PINGs go unanswered, then the link is dead and bob STALE.
    net.freeze(b.host());
    ASSERT_TRUE(net.run_until(
        [&] { return a.peer_state("bob@CIC", v) && v.state == PeerState::kStale; }, 200000))
        << dump();
    bool dead = false;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kLink && !e.up && e.reason.find("dead") != std::string::npos)
            dead = true;
    EXPECT_TRUE(dead) << dump();
    // bob comes back (a restarted process): alice redials it.
    b.restart();
    ASSERT_TRUE(net.run_until([&] { return a.connected_to("bob@CIC"); }, 60000)) << dump();
}

TEST_F(Chat, QuitSaysByeAndThePeerDoesNotRedialUntilReregistered) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    mesh();
    net.run_for(1000);
    a.node().quit();
    ASSERT_TRUE(net.run_until([&] { return a.quit_done; }, 3000)) << dump();
    PeerView v;
    ASSERT_TRUE(b.peer_state("alice@CIC", v));
    EXPECT_EQ(v.state, PeerState::kGone);  // it left; not a lost link
    EXPECT_TRUE(v.said_bye);
    EXPECT_EQ(v.next_attempt_at, 0);
    EXPECT_EQ(a.node().link_count(), 0u);
    // alice's process is gone; bob keeps discovering the old registration and
    // does not dial it.
    net.kill(a.host());
    std::size_t before = b.events.size();
    for (int i = 0; i < 4; ++i) {
        b.discover_now();
        net.run_for(15000);
    }
    EXPECT_EQ(b.events.size(), before) << dump();  // no dial, no state change
    // alice restarts and registers again: bob dials it.
    a.restart();
    a.join(rdv);
    ASSERT_TRUE(run_until_registered(net, a));
    b.discover_now();
    ASSERT_TRUE(net.run_until([&] { return b.connected_to("alice@CIC"); }, 5000)) << dump();
}

TEST_F(Chat, TooLargeUnknownAndBadDestinationsAreRefusedLocally) {
    SimNode& a = add("alice");
    add("bob");
    mesh();
    std::uint64_t lines = a.node().stats().lines_out;
    SendResult big = a.node().send("bob@CIC", std::string(kMaxLineBytes, 'x'));
    EXPECT_EQ(big.status, SendStatus::kTooLarge);
    EXPECT_EQ(a.count(EventKind::kUndelivered), 1);
    EXPECT_EQ(a.events.back().reason, "message_too_large");
    EXPECT_EQ(a.node().pub("*", std::string(kMaxLineBytes, 'x')).status, SendStatus::kTooLarge);
    // A payload that just fits still goes.
    EXPECT_EQ(a.node().send("bob@CIC", std::string(kMaxLineBytes - 200, 'y')).status,
              SendStatus::kQueued);
    // Unknown peer: bob is asked (WHO_HAS), does not know it either, and
    // after the WHO_HAS timeout the user is told no_route.
    SendResult zed = a.node().send("zed@CIC", "hi");
    EXPECT_EQ(zed.status, SendStatus::kQueued);
    EXPECT_EQ(a.node().send("alice@CIC", "me").status, SendStatus::kBadDestination);
    EXPECT_EQ(a.node().send("no-at-sign", "x").status, SendStatus::kBadDestination);
    EXPECT_EQ(a.node().stats().lines_out, lines + 2);  // the SEND that fits, the WHO_HAS
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == 1; }, 3000));
    ASSERT_TRUE(net.run_until(
        [&] { return a.count_msg_id(EventKind::kUndelivered, zed.msg_id) == 1; }, 4000));
    EXPECT_EQ(a.events.back().reason, "no_route");
}

TEST_F(Chat, UserQueueFullIsBusyNotSilentLoss) {
    NodeConfig c = sim_config("alice", "CIC", 5);
    c.max_user_queue_bytes = 1;  // the minimum
    nodes.push_back(std::make_unique<SimNode>(net, c, "10.0.0.1", 7001));
    nodes.back()->join(rdv);
    SimNode& a = *nodes.back();
    SimNode& b = add("bob");
    mesh();
    net.freeze(b.host());
    int sent = 0;
    while (a.node().user_queue_has_room())  // a host stops reading input here
        ASSERT_EQ(a.node().send("bob@CIC", std::to_string(sent++)).status, SendStatus::kQueued);
    SendStatus st = SendStatus::kQueued;
    while (st == SendStatus::kQueued && sent < 1000) {  // one that ignores the bound
        st = a.node().send("bob@CIC", std::to_string(sent++)).status;
    }
    EXPECT_EQ(st, SendStatus::kBusy);
    EXPECT_EQ(a.events.back().kind, EventKind::kUndelivered);
    EXPECT_EQ(a.events.back().reason, "busy");
    net.run_for(60000);
    EXPECT_EQ(a.count(EventKind::kUndelivered), sent) << dump();  // every message accounted for
}

}  // namespace
}  // namespace p2p::sim
