// Mesh formation and maintenance over the simulated network: discovery,
// simultaneous dials, churn, redial backoff, registration lapse, static peers.
#include <gtest/gtest.h>

#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

struct Mesh : ::testing::Test {
    Net net{11};
    SimRendezvousServer rdv{net};
    std::vector<std::unique_ptr<SimNode>> nodes;

    SimNode& add(const std::string& name, NodeConfig c = {}) {
        int i = static_cast<int>(nodes.size()) + 1;
        if (c.name.empty()) c = sim_config(name, "CIC", 1000 + static_cast<std::uint64_t>(i));
        nodes.push_back(std::make_unique<SimNode>(net, c, "10.0.1." + std::to_string(i),
                                                  static_cast<std::uint16_t>(7000 + i)));
        return *nodes.back();
    }
    bool up(const SimNode& n) { return net.host(n.host()).up; }
    // A DISCOVER from every live node as soon as its client allows; the
    // clients also discover right after registering and every 15 s.
    void discover_all() {
        for (auto& n : nodes)
            if (up(*n)) n->discover_now();
    }
    bool fully_meshed(std::size_t live) {
        for (auto& n : nodes)
            if (up(*n) && n->connected_count() != live - 1) return false;
        return true;
    }
    std::string dump() {
        std::string s;
        for (auto& n : nodes)
            s += n->id() + ":\n" + n->dump();
        return s;
    }
};

TEST_F(Mesh, TwelveNodesMeshFromDiscoveryAndEveryMessageArrivesOnce) {
    net.chunk_max = 7;  // reads split anywhere, lines joined by the framer
    for (int i = 0; i < 12; ++i)
        add("n" + std::to_string(i)).join(rdv);
    discover_all();
    ASSERT_TRUE(net.run_until([&] { return fully_meshed(12); }, 10000)) << dump();
    net.run_for(1000);  // duplicate links from simultaneous dials settle
    // Every node messages every other node.
    for (auto& from : nodes)
        for (auto& to : nodes)
            if (from != to) {
                ASSERT_EQ(from->node().send(to->id(), "hi from " + from->id()).status,
                          SendStatus::kQueued);
            }
    ASSERT_TRUE(net.run_until(
        [&] {
            for (auto& n : nodes)
                if (n->count(EventKind::kDelivered) != 11) return false;
            return true;
        },
        30000))
        << dump();
    for (auto& to : nodes) {
        for (auto& from : nodes) {
            if (from != to) {
                EXPECT_EQ(to->count(EventKind::kMsg, from->id()), 1);
            }
        }
    }
    for (auto& n : nodes)
        EXPECT_EQ(n->count(EventKind::kUndelivered), 0);
}

TEST_F(Mesh, SimultaneousDialsAgreeOnTheLowerIdsOutboundLink) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    a.join(rdv);
    b.join(rdv);
    discover_all();  // both registered and discovered together: they dial each other at once
    ASSERT_TRUE(net.run_until([&] { return fully_meshed(2); }, 5000));
    net.run_for(1000);
    auto active = [](SimNode& n, LinkDirection& dir) {
        int count = 0;
        for (std::size_t s = 0; s < n.node().link_slots(); ++s) {
            LinkView v;
            if (n.node().link_view(s, v) && v.active) {
                dir = v.direction;
                ++count;
            }
        }
        return count;
    };
    LinkDirection da, db;
    ASSERT_EQ(active(a, da), 1);
    ASSERT_EQ(active(b, db), 1);
    EXPECT_EQ(da, LinkDirection::kOutbound);  // "alice" < "bob": alice's dial wins
    EXPECT_EQ(db, LinkDirection::kInbound);
    // Between relay-capable peers the spare link is closed with BYE
    // "duplicate", which does not mean the peer left.
    EXPECT_EQ(a.node().link_count(), 1u);
    EXPECT_EQ(b.node().link_count(), 1u);
    EXPECT_TRUE(a.connected_to("bob@CIC"));
    EXPECT_TRUE(b.connected_to("alice@CIC"));
    EXPECT_EQ(a.node().send("bob@CIC", "one").status, SendStatus::kQueued);
    EXPECT_EQ(b.node().send("alice@CIC", "two").status, SendStatus::kQueued);
    net.run_for(2000);
    EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC", "one"), 1);
    EXPECT_EQ(a.count(EventKind::kMsg, "bob@CIC", "two"), 1);
}

TEST_F(Mesh, ChurnNodesVanishAndReturn) {
    for (int i = 0; i < 8; ++i)
        add("n" + std::to_string(i)).join(rdv);
    net.run_for(15000);
    ASSERT_TRUE(fully_meshed(8)) << dump();
    // Three die abruptly.
    for (int i : {1, 4, 6})
        net.kill(nodes[std::size_t(i)]->host());
    net.run_for(1000);
    for (auto& n : nodes) {
        if (!up(*n)) continue;
        for (int i : {1, 4, 6}) {
            PeerView v;
            ASSERT_TRUE(n->peer_state(nodes[std::size_t(i)]->id(), v));
            EXPECT_EQ(v.state, PeerState::kStale) << n->id();
            EXPECT_GT(v.next_attempt_at, 0);  // a redial is scheduled
        }
        EXPECT_EQ(n->connected_count(), 4u);
    }
    // They come back on the same addresses and register again.
    for (int i : {1, 4, 6}) {
        nodes[std::size_t(i)]->restart();
        nodes[std::size_t(i)]->join(rdv);
    }
    net.run_for(30000);
    ASSERT_TRUE(fully_meshed(8)) << dump();
    // Traffic after the churn flows everywhere.
    SimNode& a = *nodes[0];
    for (int i : {1, 4, 6})
        ASSERT_EQ(a.node().send(nodes[std::size_t(i)]->id(), "back?").status, SendStatus::kQueued);
    net.run_for(3000);
    EXPECT_EQ(a.count(EventKind::kDelivered), 3) << a.dump();
}

TEST_F(Mesh, RedialBacksOffThenGivesUpUntilReregistered) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    b.join(rdv);
    ASSERT_TRUE(run_until_registered(net, b));
    net.kill(b.host());  // registered, but nobody answers at its address
    a.join(rdv);         // discovers bob right after registering
    a.discover_now();
    net.run_for(120000);
    std::vector<MonoMs> dials;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kPeer && e.state == PeerState::kConnecting) dials.push_back(e.at);
    ASSERT_EQ(dials.size(), 6u) << a.dump();  // first dial + 5 redials
    for (std::size_t i = 1; i < dials.size(); ++i) {
        MonoMs base = 1000LL << (i - 1);
        MonoMs gap = dials[i] - dials[i - 1];
        EXPECT_GE(gap, base) << i;
        EXPECT_LE(gap, base + base / 4 + 2 * net.latency_ms + 1) << i;
    }
    PeerView v;
    ASSERT_TRUE(a.peer_state("bob@CIC", v));
    EXPECT_EQ(v.state, PeerState::kStale);
    EXPECT_EQ(v.next_attempt_at, 0);
    // Same registration listed again: still left alone.
    a.discover_now();
    net.run_for(10000);
    EXPECT_EQ(a.count(EventKind::kPeer, "bob@CIC"), 1 + 6 * 2);
    // bob comes back and registers again: alice dials at once.
    b.restart();
    b.join(rdv);
    ASSERT_TRUE(run_until_registered(net, b));
    a.discover_now();
    ASSERT_TRUE(net.run_until([&] { return a.connected_to("bob@CIC"); }, 1000)) << a.dump();
}

TEST_F(Mesh, PeerIsRemovedWhenItsRegistrationLapses) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    a.join(rdv);
    b.join(rdv, 60);
    discover_all();
    ASSERT_TRUE(net.run_until([&] { return fully_meshed(2); }, 5000));
    net.kill(b.host());
    net.run_for(90000);
    PeerView v;
    EXPECT_FALSE(a.peer_state("bob@CIC", v)) << a.dump();
    EXPECT_EQ(a.count(EventKind::kPeer, "bob@CIC") > 0, true);
    EXPECT_EQ(a.events.back().kind, EventKind::kPeer);
    bool gone = false;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kPeer && e.state == PeerState::kGone) gone = true;
    EXPECT_TRUE(gone);
    EXPECT_EQ(a.node().peer_count(), 0u);
}

TEST_F(Mesh, StaticPeersMeshWithoutRendezvous) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    SimNode& c = add("carol");
    // carol knows alice and bob by address only; alice knows bob.
    ASSERT_TRUE(c.node().add_static_peer(a.ip(), a.port()));
    ASSERT_TRUE(c.node().add_static_peer(b.ip(), b.port()));
    ASSERT_TRUE(a.node().add_static_peer(b.ip(), b.port()));
    ASSERT_TRUE(
        net.run_until([&] { return c.connected_count() == 2 && a.connected_to("bob@CIC"); }, 5000))
        << dump();
    EXPECT_TRUE(c.connected_to("alice@CIC"));  // peer_id learnt from HELLO_OK
    EXPECT_TRUE(c.connected_to("bob@CIC"));
    EXPECT_TRUE(b.connected_to("carol@CIC"));  // learnt from HELLO
    ASSERT_EQ(c.node().send("alice@CIC", "static hello").status, SendStatus::kQueued);
    net.run_for(1000);
    EXPECT_EQ(a.count(EventKind::kMsg, "carol@CIC", "static hello"), 1);
    // alice restarts: carol's static record redials it.
    net.kill(a.host());
    net.run_for(100);
    a.restart();
    ASSERT_TRUE(net.run_until([&] { return c.connected_to("alice@CIC"); }, 10000)) << c.dump();
    PeerView v;
    ASSERT_TRUE(c.peer_state("alice@CIC", v));
    EXPECT_TRUE(v.is_static);
}

}  // namespace
}  // namespace p2p::sim

namespace p2p::sim {
namespace {

TEST_F(Mesh, WithoutRelayTheSpareLinkStaysOpenUnused) {
    NodeConfig ca = sim_config("alice", "CIC", 5);
    NodeConfig cb = sim_config("bob", "CIC", 6);
    ca.features = cb.features = kFeatureAck;  // --no-relay: both are "legacy" to each other
    SimNode& a = add("alice", ca);
    SimNode& b = add("bob", cb);
    a.join(rdv);
    b.join(rdv);
    discover_all();
    ASSERT_TRUE(net.run_until([&] { return fully_meshed(2); }, 5000));
    net.run_for(1000);
    EXPECT_EQ(a.node().link_count(), 2u);
    EXPECT_EQ(b.node().link_count(), 2u);
    int active = 0;
    for (std::size_t s = 0; s < a.node().link_slots(); ++s) {
        LinkView v;
        if (a.node().link_view(s, v) && v.active) {
            ++active;
            EXPECT_EQ(v.direction, LinkDirection::kOutbound);
            EXPECT_TRUE(v.legacy);
        }
    }
    EXPECT_EQ(active, 1);
    EXPECT_EQ(a.node().send("bob@CIC", "one").status, SendStatus::kQueued);
    net.run_for(2000);
    EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC", "one"), 1);
}

}  // namespace
}  // namespace p2p::sim
