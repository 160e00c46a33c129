// The relay extension over the simulated network (docs/protocol.md §5): peers that
// cannot dial each other talk through a relay; route discovery, TTL rule,
// PUB flooding that stops, a relay dying mid-stream, a neighbour that never
// reads, and a legacy final hop.
#include <gtest/gtest.h>

#include "core/log.h"

#include "tests/sim/sim_legacy.h"
#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

struct Relay : ::testing::Test {
    Net net{31};
    std::vector<std::unique_ptr<SimNode>> nodes;

    SimNode& add(const std::string& name, int relay_ttl = 1) {
        int i = static_cast<int>(nodes.size()) + 1;
        NodeConfig c = sim_config(name, "CIC", 500 + static_cast<std::uint64_t>(i));
        c.relay_ttl = relay_ttl;
        nodes.push_back(std::make_unique<SimNode>(net, c, "10.0.3." + std::to_string(i),
                                                  static_cast<std::uint16_t>(7000 + i)));
        return *nodes.back();
    }
    // Neither can dial the other (both behind NATs).
    void separate(SimNode& a, SimNode& b) {
        net.block_dial(a.host(), b.host());
        net.block_dial(b.host(), a.host());
    }
    void link(SimNode& a, SimNode& b) { a.node().add_static_peer(b.ip(), b.port()); }
    // a and b cannot reach each other, only through r: waits until both
    // links to r are up.
    bool chain(SimNode& a, SimNode& r, SimNode& b) {
        separate(a, b);
        link(a, r);
        link(b, r);
        return net.run_until(
            [&] {
                return r.connected_count() == 2 && a.connected_count() == 1 &&
                       b.connected_count() == 1;
            },
            5000);
    }
    std::string dump() {
        std::string s;
        for (auto& n : nodes)
            s += n->id() + ":\n" + n->dump();
        return s;
    }
};

TEST_F(Relay, ChainSendWithAckBothWaysThroughTheRelay) {
    SimNode& a = add("alice");
    SimNode& r = add("relay");
    SimNode& b = add("bob");
    ASSERT_TRUE(chain(a, r, b)) << dump();
    SendResult ab = a.node().send("bob@CIC", "hello through R");
    ASSERT_EQ(ab.status, SendStatus::kQueued);
    ASSERT_TRUE(
        net.run_until([&] { return a.count_msg_id(EventKind::kDelivered, ab.msg_id) == 1; }, 5000))
        << dump();
    EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC", "hello through R"), 1);
    SendResult ba = b.node().send("alice@CIC", "and back");
    ASSERT_TRUE(
        net.run_until([&] { return b.count_msg_id(EventKind::kDelivered, ba.msg_id) == 1; }, 5000))
        << dump();
    EXPECT_EQ(a.count(EventKind::kMsg, "bob@CIC", "and back"), 1);
    EXPECT_EQ(r.count(EventKind::kMsg), 0);  // the relay shows nothing
    EXPECT_EQ(r.node().stats().relayed, 2u);
    // alice now has a cached route bob -> relay.
    bool route = false;
    for (std::size_t s = 0; s < a.node().route_slots(); ++s) {
        RouteView v;
        if (a.node().route_view(s, v) && v.dst == "bob@CIC") {
            route = v.via == "relay@CIC";
        }
    }
    EXPECT_TRUE(route);
    // Later messages use the route at once: no further WHO_HAS.
    for (int i = 0; i < 5; ++i)
        a.node().send("bob@CIC", "m" + std::to_string(i));
    net.run_for(2000);
    EXPECT_EQ(a.count(EventKind::kDelivered), 6);
    EXPECT_EQ(a.count(EventKind::kUndelivered), 0);
}

// Counts the INFO lines of one module that contain a piece of text.
struct InfoLineCounter final : LogSink {
    std::string module, part;
    int count = 0;
    void write(LogLevel level, std::string_view mod, std::string_view text) override {
        if (level == LogLevel::kInfo && mod == module && text.find(part) != std::string_view::npos)
            ++count;
    }
};

// A burst typed before the route is known may get several WHO_HAS_HITs for
// one destination: the route is logged at INFO once, not once per HIT.
TEST_F(Relay, ABurstLogsItsNewRouteOnce) {
    SimNode& a = add("alice");
    SimNode& r = add("relay");
    SimNode& b = add("bob");
    ASSERT_TRUE(chain(a, r, b)) << dump();
    InfoLineCounter lines;
    lines.module = "Relay";
    lines.part = "route to bob@CIC";
    LogSink* before_sink = logger().sink();
    LogLevel before_level = logger().level();
    logger().set_sink(&lines);
    logger().set_level(LogLevel::kInfo);
    for (int i = 0; i < 20; ++i)
        a.node().send("bob@CIC", "burst " + std::to_string(i));
    net.run_for(3000);
    logger().set_sink(before_sink);
    logger().set_level(before_level);
    EXPECT_EQ(a.count(EventKind::kDelivered), 20) << dump();
    EXPECT_EQ(lines.count, 1);
}

TEST_F(Relay, PubReachesTheFarSideExactlyOnce) {
    SimNode& a = add("alice");
    SimNode& r = add("relay");
    SimNode& b = add("bob");
    ASSERT_TRUE(chain(a, r, b)) << dump();
    ASSERT_EQ(a.node().pub("#CIC", "flood").status, SendStatus::kQueued);
    ASSERT_EQ(a.node().pub("*", "flood all").status, SendStatus::kQueued);
    net.run_for(2000);
    EXPECT_EQ(b.count(EventKind::kPub, "alice@CIC", "flood"), 1);
    EXPECT_EQ(b.count(EventKind::kPub, "alice@CIC", "flood all"), 1);
    EXPECT_EQ(r.count(EventKind::kPub, "alice@CIC"), 2);
    EXPECT_EQ(a.count(EventKind::kPub), 0);
}

TEST_F(Relay, FloodingStopsInALoop) {
    // A ring of five relays, each linked to its two neighbours only, with
    // origin ttl 8: the seen-msg_id cache, not the ttl, ends the flood.
    for (int i = 0; i < 5; ++i)
        add("n" + std::to_string(i), 8);
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j)
            if (i != j && (i + 1) % 5 != j && (j + 1) % 5 != i)
                net.block_dial(nodes[i]->host(), nodes[j]->host());
    for (int i = 0; i < 5; ++i)
        link(*nodes[i], *nodes[(i + 1) % 5]);
    ASSERT_TRUE(net.run_until(
        [&] {
            for (auto& n : nodes)
                if (n->connected_count() != 2) return false;
            return true;
        },
        5000))
        << dump();
    net.run_for(1000);
    ASSERT_EQ(nodes[0]->node().pub("*", "round").status, SendStatus::kQueued);
    net.run_for(5000);
    std::uint64_t relayed = 0;
    for (int i = 1; i < 5; ++i)
        EXPECT_EQ(nodes[i]->count(EventKind::kPub, "n0@CIC", "round"), 1) << i;
    for (auto& n : nodes)
        relayed += n->node().stats().relayed;
    EXPECT_LE(relayed, 8u);  // each node forwards at most to its two neighbours
    EXPECT_GE(nodes[1]->node().stats().duplicates + nodes[4]->node().stats().duplicates +
                  nodes[2]->node().stats().duplicates + nodes[3]->node().stats().duplicates,
              1u);
}

// alice - r1 - r2 - bob: bob is two relays away from alice.
struct ThreeHops : Relay {
    SendResult sent;
    void send_far(int ttl) {
        SimNode& a = add("alice", ttl);
        SimNode& r1 = add("r1", ttl);
        SimNode& r2 = add("r2", ttl);
        SimNode& b = add("bob", ttl);
        separate(a, r2);
        separate(a, b);
        separate(r1, b);
        link(a, r1);
        link(r1, r2);
        link(r2, b);
        ASSERT_TRUE(net.run_until(
            [&] {
                return r1.connected_count() == 2 && r2.connected_count() == 2 &&
                       a.connected_count() == 1;
            },
            5000));
        net.run_for(500);
        sent = a.node().send("bob@CIC", "far away");
        ASSERT_EQ(sent.status, SendStatus::kQueued);
        net.run_for(30000);
    }
};

TEST_F(ThreeHops, TtlOneStopsAfterOneRelay) {
    send_far(1);
    SimNode& a = *nodes[0];
    EXPECT_EQ(a.count_msg_id(EventKind::kDelivered, sent.msg_id), 0);
    EXPECT_EQ(nodes[3]->count(EventKind::kMsg, "alice@CIC", "far away"), 0);
    ASSERT_EQ(a.count_msg_id(EventKind::kUndelivered, sent.msg_id), 1) << dump();
    EXPECT_EQ(a.events.back().reason, "no_route");
}

TEST_F(ThreeHops, TtlThreeCrossesTwoRelays) {
    send_far(3);
    SimNode& a = *nodes[0];
    EXPECT_EQ(a.count_msg_id(EventKind::kDelivered, sent.msg_id), 1) << dump();
    EXPECT_EQ(nodes[3]->count(EventKind::kMsg, "alice@CIC", "far away"), 1);
    EXPECT_EQ(nodes[1]->node().stats().relayed + nodes[2]->node().stats().relayed, 2u);
}

TEST_F(Relay, RelayDyingMidStreamTellsTheSender) {
    SimNode& a = add("alice");
    SimNode& r = add("relay");
    SimNode& b = add("bob");
    ASSERT_TRUE(chain(a, r, b)) << dump();
    SendResult first = a.node().send("bob@CIC", "before");
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == 1; }, 5000)) << dump();
    net.kill(r.host());
    SendResult s = a.node().send("bob@CIC", "after the relay died");
    (void)first;
    net.run_for(500);
    // The route through the dead relay is gone.
    for (std::size_t i = 0; i < a.node().route_slots(); ++i) {
        RouteView v;
        EXPECT_FALSE(a.node().route_view(i, v));
    }
    ASSERT_TRUE(net.run_until(
        [&] { return a.count_msg_id(EventKind::kUndelivered, s.msg_id) == 1; }, 30000))
        << dump();
    EXPECT_EQ(a.events.back().reason, "no_route");
    EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC", "after the relay died"), 0);
}

TEST_F(Relay, NeighbourThatNeverReadsStaysWithinTheCaps) {
    net.sockbuf_bytes = 16 * 1024;
    SimNode& a = add("alice");
    SimNode& r = add("relay");
    SimNode& b = add("bob");
    SimNode& c = add("carol");
    separate(a, b);
    separate(a, c);
    link(a, r);
    link(b, r);
    link(c, r);
    ASSERT_TRUE(
        net.run_until([&] { return r.connected_count() == 3 && a.connected_count() == 1; }, 5000));
    net.run_for(500);
    a.node().send("bob@CIC", "warm the route");
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == 1; }, 5000)) << dump();
    net.freeze(b.host());  // bob stops reading but keeps the link open
    std::string big(2000, 'z');
    int busy_seen = 0;
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 10; ++i)
            a.node().send("bob@CIC", big);
        net.run_for(300);
        // carol is still served through the same relay. For the first
        // slow_reader_ms the relay stops reading alice (backpressure: it
        // cannot tell a stuck bob from a slow one yet), so alice's own queue
        // may fill (busy) and the burst read after the pause may exceed her
        // relay quota (over_quota): refused where her user sees it, never
        // lost. Once bob is a slow reader, alice flows freely again.
        a.node().send("carol@CIC", "still there? " + std::to_string(round));
        LinkView v;
        for (std::size_t slot = 0; slot < r.node().link_slots(); ++slot) {
            if (r.node().link_view(slot, v) && v.peer_id == "bob@CIC") {
                EXPECT_LE(v.queued_bytes, r.node().config().queue_max_bytes);
            }
        }
    }
    net.run_for(10000);
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kUndelivered && e.reason == "busy") ++busy_seen;
    EXPECT_GT(busy_seen, 0) << "the relay never refused";
    EXPECT_GT(r.node().stats().relay_refused, 0u);
    EXPECT_EQ(r.node().stats().slow_readers, 1u);
    int refused = 0;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kUndelivered && e.peer == "carol@CIC") ++refused;
    EXPECT_EQ(c.count(EventKind::kMsg, "alice@CIC") + refused, 40) << c.dump() << a.dump();
    EXPECT_LE(refused, 10);
    for (int round = 20; round < 40; ++round)
        EXPECT_EQ(c.count(EventKind::kMsg, "alice@CIC", "still there? " + std::to_string(round)), 1)
            << round;
}

TEST_F(Relay, LegacyFinalHopGetsTtlOneAndItsAckReachesTheOrigin) {
    SimNode& a = add("alice");
    SimNode& r = add("relay");
    LegacyScript py(net, "py", "CIC", "10.0.3.9", 7009);
    net.block_dial(a.host(), py.host());
    net.block_dial(py.host(), a.host());
    link(a, r);
    r.node().add_static_peer(py.ip(), py.port());
    ASSERT_TRUE(
        net.run_until([&] { return r.connected_count() == 2 && a.connected_count() == 1; }, 5000))
        << dump();
    net.run_for(500);
    SendResult s = a.node().send("py@CIC", "via the relay");
    ASSERT_TRUE(
        net.run_until([&] { return a.count_msg_id(EventKind::kDelivered, s.msg_id) == 1; }, 10000))
        << dump();
    EXPECT_EQ(py.count_payload("via the relay"), 1);
    EXPECT_TRUE(py.ttl_dropped.empty());
    // A relayed PUB never goes to the legacy peer.
    a.node().pub("*", "not for legacy");
    net.run_for(2000);
    EXPECT_EQ(py.count("PUB"), 0);
    EXPECT_TRUE(py.closes.empty());
    EXPECT_TRUE(py.dropped.empty());
}

TEST_F(Relay, OneOriginOverItsRateIsRefusedOverQuota) {
    SimNode& a = add("alice");
    NodeConfig rc = sim_config("relay", "CIC", 77);
    rc.relay_rate_per_origin = 5;
    nodes.push_back(std::make_unique<SimNode>(net, rc, "10.0.3.50", 7050));
    SimNode& r = *nodes.back();
    SimNode& b = add("bob");
    ASSERT_TRUE(chain(a, r, b)) << dump();
    a.node().send("bob@CIC", "route");
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == 1; }, 5000)) << dump();
    net.run_for(1000);
    for (int i = 0; i < 20; ++i)
        a.node().send("bob@CIC", "burst " + std::to_string(i));
    net.run_for(3000);
    int quota = 0;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kUndelivered && e.reason == "over_quota") ++quota;
    EXPECT_EQ(a.count(EventKind::kDelivered), 6);  // the route message + 5 in the window
    EXPECT_EQ(quota, 15);
    // bob's own traffic through the same relay is not limited by alice's.
    SendResult s = b.node().send("alice@CIC", "mine");
    ASSERT_TRUE(
        net.run_until([&] { return b.count_msg_id(EventKind::kDelivered, s.msg_id) == 1; }, 5000));
}

TEST_F(Relay, MetricsAnswerWithTheLinkFigures) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    link(a, b);
    ASSERT_TRUE(net.run_until([&] { return a.connected_to("bob@CIC"); }, 5000));
    net.run_for(31000);
    ASSERT_TRUE(a.node().request_metrics("bob@CIC"));
    net.run_for(100);
    bool got = false;
    for (const Ev& e : a.events)
        if (e.kind == EventKind::kMetrics && e.text.rfind("metrics bob@CIC: rtt_ms=", 0) == 0)
            got = true;
    EXPECT_TRUE(got) << a.dump();
    EXPECT_FALSE(a.node().request_metrics("nobody@CIC"));
}

}  // namespace
}  // namespace p2p::sim
