// Steady-state message handling must not allocate (issue 3 item 4). Two
// engines talk through a fixed-buffer pipe; every global operator new is
// counted across a burst of SEND/ACK, PUB and keep-alive traffic after a
// short warm-up, and the count must be zero. A second test does the same
// through a relay (docs/protocol.md §5): route discovery, relayed SENDs and PUBs,
// ACKs passed back, routes expiring and found again. A third floods PUBs
// through the relay so that it pauses, holds and resumes reading the
// publisher over and over (backpressure).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/clock.h"
#include "core/node.h"
#include "tests/support/alloc_counter.h"

namespace p2p {
namespace {

// A host with nothing but fixed fields: it cannot allocate either.
struct PipeHost final : NodeHost {
    LinkId dialed = kNoLink;
    bool closed = false;
    long events[16] = {};
    bool dial(LinkId l, std::string_view, std::uint16_t) override {
        dialed = l;
        return true;
    }
    void close_link(LinkId) override { closed = true; }
    void want_write(LinkId) override {}
    void emit(const NodeEvent& e) override { ++events[static_cast<int>(e.kind)]; }
    void quit_complete() override {}
    long count(EventKind k) const { return events[static_cast<int>(k)]; }
};

// Moves what `from` has queued on its link to `to` through `buf`; returns
// the bytes moved.
std::size_t move_bytes(Node& from, LinkId fl, Node& to, LinkId tl, char (&buf)[64 * 1024]) {
    OutSlice s[16];
    std::size_t n = from.output(fl, s, 16);
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::memcpy(buf + len, s[i].data, s[i].len);
        len += s[i].len;
    }
    len = std::min(len, to.read_room(tl));  // what a real host would read
    if (len == 0) return 0;
    from.consumed(fl, len);
    to.on_bytes(tl, buf, len);
    return len;
}

struct Pipe {
    ManualClock clock;
    PipeHost ha, hb;
    Node a, b;
    LinkId la = kNoLink, lb = kNoLink;
    char buf[64 * 1024];

    static NodeConfig config(const char* name, std::uint64_t seed) {
        NodeConfig c;
        c.name = name;
        c.ns = "CIC";
        c.seed = seed;
        return c;
    }
    Pipe() : a(config("alice", 1), clock, ha), b(config("bob", 2), clock, hb) {
        a.add_static_peer("192.0.2.2", 7000);
        la = ha.dialed;
        lb = b.on_link_accepted("192.0.2.1", 40000);
        a.on_link_connected(la);
    }
    // Moves bytes both ways once; returns bytes moved.
    std::size_t pump_once() {
        std::size_t moved = 0;
        moved += move(a, la, b, lb);
        moved += move(b, lb, a, la);
        return moved;
    }
    std::size_t move(Node& from, LinkId fl, Node& to, LinkId tl) {
        return move_bytes(from, fl, to, tl, buf);
    }
    void step(MonoMs ms) {
        while (pump_once() > 0) {
        }
        clock.advance(ms);
        if (a.next_deadline() <= clock.mono_ms()) a.on_timer();
        if (b.next_deadline() <= clock.mono_ms()) b.on_timer();
    }
};

TEST(NodeAlloc, SteadyStateTrafficDoesNotAllocate) {
    auto pipe = std::make_unique<Pipe>();
    Pipe& p = *pipe;
    for (int i = 0; i < 20; ++i)
        p.step(10);
    ASSERT_EQ(p.ha.count(EventKind::kLink), 1);

    long queued_a = 0, queued_b = 0;
    auto burst = [&](int messages, MonoMs duration) {
        int sent = 0;
        MonoMs end = p.clock.mono_ms() + duration;
        while (p.clock.mono_ms() < end) {
            // Keep a few messages in flight each way (the peers are legacy to
            // each other: one SEND awaiting its ACK, the rest queued in order).
            long out_a = queued_a - p.ha.count(EventKind::kDelivered);
            long out_b = queued_b - p.hb.count(EventKind::kDelivered);
            if (sent < messages && out_a < 4 && out_b < 4) {
                queued_a +=
                    p.a.send("bob@CIC", "hello bob, this is a steady-state message").status ==
                    SendStatus::kQueued;
                queued_b += p.b.send("alice@CIC", "hi alice").status == SendStatus::kQueued;
                if (sent % 10 == 0) p.a.pub("#CIC", "news for CIC");
                if (sent % 25 == 0) p.b.pub("*", "news for all");
                ++sent;
            }
            p.step(10);
        }
    };
    burst(50, 20'000);  // warm-up: caches and pools reach their working set
    long delivered_before = p.ha.count(EventKind::kDelivered);

    long allocations_before = test::allocations();
    burst(1000, 240'000);  // spans several keep-alive rounds too
    long allocations = test::allocations() - allocations_before;

    EXPECT_EQ(allocations, 0);
    EXPECT_GE(p.ha.count(EventKind::kDelivered) - delivered_before, 1000);
    EXPECT_EQ(p.ha.count(EventKind::kDelivered), queued_a);
    EXPECT_EQ(p.hb.count(EventKind::kDelivered), queued_b);
    EXPECT_EQ(p.hb.count(EventKind::kMsg), queued_a);
    EXPECT_EQ(p.ha.count(EventKind::kMsg), queued_b);
    EXPECT_GT(p.hb.count(EventKind::kPub), 100);
    EXPECT_EQ(p.ha.count(EventKind::kUndelivered) + p.hb.count(EventKind::kUndelivered), 0);
    EXPECT_FALSE(p.a.stats().decode_overflow);
    EXPECT_FALSE(p.ha.closed || p.hb.closed);
}

// alice - relay - carol in a line: alice and carol reach each other only
// through the relay, which forwards, rate-limits and passes ACKs back.
struct Line {
    struct Hop {
        Node* from;
        LinkId from_link;
        Node* to;
        LinkId to_link;
    };
    ManualClock clock;
    PipeHost ha, hr, hc;
    Node a, r, c;
    Hop hops[4] = {};
    char buf[64 * 1024];

    Line()
        : a(Pipe::config("alice", 1), clock, ha),
          r(relay_config(), clock, hr),
          c(Pipe::config("carol", 3), clock, hc) {
        connect(a, ha, r, 0);
        connect(c, hc, r, 2);
    }
    // The floods below measure the relay's paths at full speed: its token
    // buckets (forward_gate.h) would otherwise refuse most of them.
    static NodeConfig relay_config() {
        NodeConfig c = Pipe::config("relay", 2);
        c.relay_rate_per_origin = 1'000'000;
        c.relay_rate_per_link = 1'000'000;
        return c;
    }
    void connect(Node& dialer, PipeHost& host, Node& acceptor, int hop) {
        dialer.add_static_peer("192.0.2.9", 7000);
        LinkId out = host.dialed;
        LinkId in = acceptor.on_link_accepted("192.0.2.1", 40000);
        dialer.on_link_connected(out);
        hops[hop] = Hop{&dialer, out, &acceptor, in};
        hops[hop + 1] = Hop{&acceptor, in, &dialer, out};
    }
    std::size_t move(const Hop& h) {
        return move_bytes(*h.from, h.from_link, *h.to, h.to_link, buf);
    }
    void step(MonoMs ms) {
        for (bool moved = true; moved;) {
            moved = false;
            for (const Hop& h : hops)
                moved = move(h) > 0 || moved;
        }
        clock.advance(ms);
        for (Node* n : {&a, &r, &c})
            if (n->next_deadline() <= clock.mono_ms()) n->on_timer();
    }
};

TEST(NodeAlloc, RelayedTrafficDoesNotAllocate) {
    auto line = std::make_unique<Line>();
    Line& l = *line;
    for (int i = 0; i < 20; ++i)
        l.step(10);
    ASSERT_EQ(l.ha.count(EventKind::kLink), 1);
    ASSERT_EQ(l.hc.count(EventKind::kLink), 1);

    long queued_a = 0, queued_c = 0;
    auto burst = [&](int messages, MonoMs duration) {
        int sent = 0;
        MonoMs end = l.clock.mono_ms() + duration;
        while (l.clock.mono_ms() < end) {
            long out_a = queued_a - l.ha.count(EventKind::kDelivered);
            long out_c = queued_c - l.hc.count(EventKind::kDelivered);
            // Every 100 ms: well under the relay's 50 per origin per second.
            if (sent < messages && out_a < 4 && out_c < 4 && l.clock.mono_ms() % 100 == 0) {
                queued_a += l.a.send("carol@CIC", "hello carol, through the relay").status ==
                            SendStatus::kQueued;
                queued_c += l.c.send("alice@CIC", "hi alice").status == SendStatus::kQueued;
                if (sent % 10 == 0) l.a.pub("#CIC", "news for CIC");
                ++sent;
            }
            l.step(10);
        }
    };
    burst(20, 10'000);  // warm-up: the first routes are found
    ASSERT_GT(l.ha.count(EventKind::kDelivered), 0);

    long allocations_before = test::allocations();
    burst(1000, 300'000);  // longer than route_ttl: routes expire and are found again
    long allocations = test::allocations() - allocations_before;

    EXPECT_EQ(allocations, 0);
    EXPECT_GE(l.ha.count(EventKind::kDelivered), 1000);
    EXPECT_EQ(l.ha.count(EventKind::kDelivered), queued_a);
    EXPECT_EQ(l.hc.count(EventKind::kDelivered), queued_c);
    EXPECT_EQ(l.hc.count(EventKind::kMsg), queued_a);
    EXPECT_GT(l.hc.count(EventKind::kPub), 50);  // relayed PUBs
    EXPECT_GT(l.r.stats().relayed, 2000u);
    EXPECT_EQ(l.r.stats().relay_refused, 0u);
    EXPECT_EQ(l.ha.count(EventKind::kUndelivered) + l.hc.count(EventKind::kUndelivered), 0);
}

TEST(NodeAlloc, BackpressureDoesNotAllocate) {
    auto line = std::make_unique<Line>();
    Line& l = *line;
    for (int i = 0; i < 20; ++i)
        l.step(10);
    ASSERT_EQ(l.hc.count(EventKind::kLink), 1);
    long published = 0;
    // Each step alice publishes until her own queue is full: more than the
    // relay's queue to carol takes at once, so the relay pauses her.
    auto flood = [&](int steps) {
        for (int i = 0; i < steps; ++i) {
            while (l.a.pub("*", "a flood of news, as fast as it goes").status ==
                   SendStatus::kQueued)
                ++published;
            l.step(10);
        }
    };
    flood(20);  // warm-up
    std::uint64_t paused_before = l.r.stats().reads_paused;

    long allocations_before = test::allocations();
    flood(150);
    long allocations = test::allocations() - allocations_before;
    for (int i = 0; i < 20; ++i)
        l.step(10);

    EXPECT_EQ(allocations, 0);
    EXPECT_GT(l.r.stats().reads_paused - paused_before, 50u);
    EXPECT_EQ(l.r.stats().relay_dropped, 0u);
    EXPECT_EQ(l.hc.count(EventKind::kPub), published);  // every one, through the pauses
}

TEST(NodeAlloc, TheCounterSeesAllocations) {
    // Guards the test above against counting nothing at all.
    long before = test::allocations();
    auto* v = new std::string(100, 'x');
    long allocations = test::allocations() - before;
    delete v;
    EXPECT_GE(allocations, 1);
}

}  // namespace
}  // namespace p2p
