// PeerLinks on the connection layer: two Nodes over loopback on one real EventLoop, each
// with its own PeerLinks as its host. Steady-state traffic must not allocate (the layer
// reads into one shared buffer and writes the Node's own queue slices), a link whose
// reader pauses keeps every message, and a peer that goes away is reported once.
#include "shell/runtime/peer_links.h"

#include <gtest/gtest.h>

#include <memory>

#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/resolver.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/loop_wait.h"

namespace p2p::shell {
namespace {

// The NodeHost of a test node: PeerLinks does the sockets, events are only counted (a
// host with fixed fields cannot allocate).
struct LinksHost final : NodeHost {
    PeerLinks* links = nullptr;
    long events[16] = {};
    long links_down = 0;
    bool dial(LinkId l, std::string_view host, std::uint16_t port) override {
        return links->dial(l, host, port);
    }
    void close_link(LinkId l) override { links->close_link(l); }
    void want_write(LinkId l) override { links->want_write(l); }
    void pause_reading(LinkId l, bool paused) override { links->pause_reading(l, paused); }
    void emit(const NodeEvent& e) override {
        ++events[static_cast<int>(e.kind)];
        if (e.kind == EventKind::kLink && !e.up) ++links_down;
    }
    void quit_complete() override {}
    long count(EventKind k) const { return events[static_cast<int>(k)]; }
};

NodeConfig config(const char* name, std::uint64_t seed) {
    NodeConfig c;
    c.name = name;
    c.ns = "CIC";
    c.seed = seed;
    return c;
}

struct LinkedPair : ::testing::Test {
    platform::EventLoop loop;
    platform::Resolver resolver{loop};
    LinksHost ha, hb;
    Node a{config("alice", 1), loop.clock(), ha};
    Node b{config("bob", 2), loop.clock(), hb};
    PeerLinks la{loop, resolver}, lb{loop, resolver};

    void SetUp() override {
        ha.links = &la;
        hb.links = &lb;
        la.attach(a);
        lb.attach(b);
        platform::SockAddr any;
        ASSERT_TRUE(platform::parse_numeric_addr("127.0.0.1", 0, any));
        std::string err;
        ASSERT_TRUE(lb.listen(any, 16, &err)) << err;
        // What NodeRuntime's before-sleep hook does: flush, then the engines' timers.
        loop.add_before_sleep([this] {
            la.flush();
            lb.flush();
            MonoMs now = loop.now();
            if (a.next_deadline() <= now) a.on_timer();
            if (b.next_deadline() <= now) b.on_timer();
        });
        ASSERT_TRUE(a.add_static_peer("127.0.0.1", lb.listen_address().port()));
        ASSERT_TRUE(test::run_until(loop, [&] {
            return ha.count(EventKind::kLink) == 1 && hb.count(EventKind::kLink) == 1;
        }));
    }
    // Sends `messages` each way, keeping a few in flight; true when all were delivered.
    bool exchange(int messages) {
        // One pointer besides `this`: the std::function run_until takes stays in its
        // small buffer and allocates nothing.
        struct Round {
            long delivered_a, target_a, target_b;
            int messages, sent = 0;
        } r{ha.count(EventKind::kDelivered), ha.count(EventKind::kDelivered) + messages,
            hb.count(EventKind::kDelivered) + messages, messages};
        return test::run_until(loop, [this, &r] {
            long in_flight = r.sent - (ha.count(EventKind::kDelivered) - r.delivered_a);
            if (r.sent < r.messages && in_flight < 4) {
                a.send("bob@CIC", "hello bob, this is a steady-state message");
                b.send("alice@CIC", "hi alice");
                ++r.sent;
            }
            return ha.count(EventKind::kDelivered) >= r.target_a &&
                   hb.count(EventKind::kDelivered) >= r.target_b;
        });
    }
};

TEST_F(LinkedPair, SteadyStateTrafficDoesNotAllocate) {
    ASSERT_TRUE(exchange(50));  // warm-up: pools and caches reach their working set
    long before = test::allocations();
    ASSERT_TRUE(exchange(300));
    EXPECT_EQ(test::allocations() - before, 0);
    EXPECT_EQ(hb.count(EventKind::kMsg), 350);
}

TEST_F(LinkedPair, PeerClosingIsReportedOnceAsALinkDown) {
    lb.close_all();  // bob's sockets go away without bob's Node saying BYE
    ASSERT_TRUE(test::run_until(loop, [&] { return ha.links_down == 1; }));
    for (int i = 0; i < 5; ++i)
        loop.run_once(5);
    EXPECT_EQ(ha.links_down, 1);
    EXPECT_EQ(a.link_count(), 0u);
}

TEST_F(LinkedPair, StoppingTheListenerLeavesEstablishedLinksAlone) {
    lb.stop_listening();
    ASSERT_TRUE(exchange(5));
    EXPECT_EQ(ha.links_down, 0);
}

}  // namespace
}  // namespace p2p::shell
