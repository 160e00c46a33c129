// Backpressure on relayed traffic (docs/architecture.md "Backpressure",
// docs/protocol.md §5 "Forwarding"): a hub that floods fast publishers' PUBs to
// its subscribers slows the publishers to the pace of its readers instead of
// dropping, a stuck subscriber is cut off from its copies after the bound
// without stalling the others, and a relayed SEND stream at full speed gets
// no RELAY_FAIL busy while the next hop reads.
#include <gtest/gtest.h>

#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

struct Backpressure : ::testing::Test {
    Net net{77};
    std::vector<std::unique_ptr<SimNode>> nodes;

    // A hub that floods at full speed: these tests are about its queues and
    // pauses, not its token buckets (forward_gate.h), which would refuse most.
    static NodeConfig unrated() {
        NodeConfig c;
        c.relay_rate_per_origin = 1'000'000;
        c.relay_rate_per_link = 1'000'000;
        return c;
    }
    SimNode& add(const std::string& name, NodeConfig c = {}) {
        int i = static_cast<int>(nodes.size()) + 1;
        c.name = name;
        c.ns = "CIC";
        c.seed = 900 + static_cast<std::uint64_t>(i);
        nodes.push_back(std::make_unique<SimNode>(net, c, "10.0.9." + std::to_string(i),
                                                  static_cast<std::uint16_t>(7000 + i)));
        return *nodes.back();
    }
    std::string dump() {
        std::string s;
        for (auto& n : nodes)
            s += n->id() + ":\n" + n->dump();
        return s;
    }
    static bool link_to(SimNode& n, std::string_view peer, LinkView& out) {
        for (std::size_t i = 0; i < n.node().link_slots(); ++i)
            if (n.node().link_view(i, out) && out.peer_id == peer && out.active) return true;
        return false;
    }
    static int link_downs(const SimNode& n) {
        int downs = 0;
        for (const Ev& e : n.events)
            downs += e.kind == EventKind::kLink && !e.up;
        return downs;
    }
    // Publishes `total` PUB * from each publisher as fast as its own queue
    // takes them.
    void publish(std::vector<SimNode*> pubs, int total, std::function<bool()> done_when) {
        std::vector<int> queued(pubs.size(), 0);
        auto all_queued = [&] {
            for (int q : queued)
                if (q < total) return false;
            return true;
        };
        for (int round = 0; !all_queued() && round < 200000; ++round) {
            for (std::size_t k = 0; k < pubs.size(); ++k)
                while (queued[k] < total) {
                    SendResult r = pubs[k]->node().pub("*", "load " + std::to_string(queued[k]));
                    if (r.status != SendStatus::kQueued) break;  // our queue is full: wait
                    ++queued[k];
                }
            net.run_for(1);
        }
        ASSERT_TRUE(all_queued()) << "the publishers could not queue everything";
        ASSERT_TRUE(net.run_until(done_when, 60'000)) << "copies missing";
    }
};

TEST_F(Backpressure, StuckSubscriberAmongFastOnesLosesOnlyItsOwnCopies) {
    // Two publishers: the hub receives twice what each subscriber link can
    // carry, so without backpressure its queues overflow.
    net.sockbuf_bytes = 16 * 1024;
    SimNode& hub = add("hub", unrated());
    SimNode& pub1 = add("pub1");
    SimNode& pub2 = add("pub2");
    std::vector<SimNode*> fast;
    for (int i = 0; i < 4; ++i)
        fast.push_back(&add("fast" + std::to_string(i)));
    SimNode& stuck = add("stuck");
    for (auto& n : nodes)
        if (n.get() != &hub) n->node().add_static_peer(hub.ip(), hub.port());
    ASSERT_TRUE(net.run_until([&] { return hub.connected_count() == 7; }, 5000)) << dump();
    // From now on the stuck subscriber reads nothing (its link stays up).
    net.freeze(stuck.host());

    constexpr int kTotal = 4000;
    auto got_all = [&](SimNode& n) {
        return n.count(EventKind::kPub, "pub1@CIC") == kTotal &&
               n.count(EventKind::kPub, "pub2@CIC") == kTotal;
    };
    publish({&pub1, &pub2}, kTotal, [&] {
        for (SimNode* f : fast)
            if (!got_all(*f)) return false;
        return true;
    });
    for (SimNode* f : fast)
        EXPECT_TRUE(got_all(*f)) << f->id();
    EXPECT_TRUE(got_all(hub));

    // The hub paused the publishers rather than drop, then gave up on the
    // stuck reader: its copies are dropped and counted, on its link.
    EXPECT_GT(hub.node().stats().reads_paused, 0u);
    EXPECT_EQ(hub.node().stats().slow_readers, 1u);
    LinkView to_stuck;
    ASSERT_TRUE(link_to(hub, "stuck@CIC", to_stuck));
    EXPECT_TRUE(to_stuck.slow_reader);
    EXPECT_GT(to_stuck.dropped, 0u);
    EXPECT_EQ(hub.node().stats().relay_dropped, to_stuck.dropped);
    for (SimNode* f : fast) {
        LinkView v;
        ASSERT_TRUE(link_to(hub, f->id(), v));
        EXPECT_EQ(v.dropped, 0u) << f->id();
        EXPECT_FALSE(v.slow_reader);
    }
    // The publishers were slowed, never cut off.
    for (SimNode* p : {&pub1, &pub2}) {
        EXPECT_EQ(link_downs(*p), 0) << p->dump();
        EXPECT_TRUE(p->connected_to("hub@CIC"));
        LinkView from_pub;
        ASSERT_TRUE(link_to(hub, p->id(), from_pub));
        EXPECT_FALSE(from_pub.reading_paused);
    }
}

TEST_F(Backpressure, SlowButSteadyReaderIsNeverTakenForStuck) {
    // Reads arrive in small pieces (a slow reader), but it keeps reading:
    // it must get everything, and nobody is declared slow.
    net.chunk_max = 512;
    SimNode& hub = add("hub", unrated());
    SimNode& pub = add("publisher");
    SimNode& sub = add("sub");
    pub.node().add_static_peer(hub.ip(), hub.port());
    sub.node().add_static_peer(hub.ip(), hub.port());
    ASSERT_TRUE(net.run_until([&] { return hub.connected_count() == 2; }, 5000)) << dump();
    constexpr int kTotal = 3000;
    publish({&pub}, kTotal, [&] { return sub.count(EventKind::kPub, "publisher@CIC") == kTotal; });
    EXPECT_EQ(hub.node().stats().relay_dropped, 0u);
    EXPECT_EQ(hub.node().stats().slow_readers, 0u);
}

TEST_F(Backpressure, RelayedSendStreamAtFullSpeedGetsNoBusy) {
    NodeConfig origin;
    origin.max_pending_sends = 2048;
    origin.pool_bytes = 8 * 1024 * 1024;
    NodeConfig relay = unrated();
    relay.max_relay_acks = 4096;
    SimNode& a = add("alice", origin);
    SimNode& r = add("relay", relay);
    SimNode& b = add("bob");
    net.block_dial(a.host(), b.host());
    net.block_dial(b.host(), a.host());
    a.node().add_static_peer(r.ip(), r.port());
    b.node().add_static_peer(r.ip(), r.port());
    ASSERT_TRUE(net.run_until(
        [&] {
            return r.connected_count() == 2 && a.connected_count() == 1 && b.connected_count() == 1;
        },
        5000))
        << dump();
    ASSERT_EQ(a.node().send("bob@CIC", "route first").status, SendStatus::kQueued);
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == 1; }, 5000)) << dump();

    // 2000 SENDs as fast as alice's own queue takes them: far more than the
    // relay's queue to bob holds.
    constexpr int kTotal = 2000;
    int sent = 0;
    for (int round = 0; sent < kTotal && round < 100000; ++round) {
        LinkView v;
        // As the app does: type only while the user queue has room (stdin backpressure).
        while (sent < kTotal && link_to(a, "relay@CIC", v) && v.queued_msgs < 150 &&
               a.node().user_queue_has_room()) {
            ASSERT_EQ(a.node().send("bob@CIC", "m" + std::to_string(sent)).status,
                      SendStatus::kQueued);
            ++sent;
        }
        net.run_for(1);
    }
    ASSERT_TRUE(net.run_until([&] { return a.count(EventKind::kDelivered) == kTotal + 1; }, 60'000))
        << "delivered " << a.count(EventKind::kDelivered) << " undelivered "
        << a.count(EventKind::kUndelivered);
    EXPECT_EQ(a.count(EventKind::kUndelivered), 0);
    EXPECT_EQ(r.node().stats().relay_refused, 0u);  // no RELAY_FAIL busy
    EXPECT_GT(r.node().stats().reads_paused, 0u);   // alice was slowed instead
    EXPECT_EQ(b.count(EventKind::kMsg, "alice@CIC"), kTotal + 1);
}

}  // namespace
}  // namespace p2p::sim
