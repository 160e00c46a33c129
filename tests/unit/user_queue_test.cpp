// What the local user sends, and handshakes, driven line by line with a
// ManualClock (docs/protocol.md §4): GREASE echo detection both ways, the
// ACK clock started when a SEND is written, per-peer order and windows, the
// user queue's byte bound, and a HELLO that claims a live peer's id.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/sim/script_host.h"
#include "tests/support/raw_peer.h"

namespace p2p::sim {
namespace {

using p2p::test::JsonLine;

NodeConfig cfg() {
    NodeConfig c;
    c.name = "alice";
    c.ns = "CIC";
    return c;
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::string s = "[";
    for (const std::string& i : items)
        s += (s.size() > 1 ? ",\"" : "\"") + i + "\"";
    return s + "]";
}

// Dials a static peer; returns the link and the features our HELLO carried.
LinkId dial(ScriptHost& h, std::vector<std::string>& hello_features) {
    h.node->add_static_peer("192.0.2.1", 7000);
    LinkId l = h.dials.back().link;
    h.node->on_link_connected(l);
    auto lines = h.take(l);
    EXPECT_EQ(lines.size(), 1u);
    hello_features = JsonLine(lines.at(0)).strings("features");
    return l;
}

void answer_hello(ScriptHost& h, LinkId l, const std::string& features) {
    h.feed(l, "{\"type\":\"HELLO_OK\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"features\":" +
                  features + ",\"ttl\":1}\n");
}

LinkView view(ScriptHost& h, LinkId id) {
    LinkView v;
    for (std::size_t i = 0; i < h.node->link_slots(); ++i)
        if (h.node->link_view(i, v) && v.id == id) return v;
    ADD_FAILURE() << "no link " << id;
    return v;
}

std::string grease_of(const std::vector<std::string>& features) {
    std::string token;
    for (const std::string& f : features)
        if (f.starts_with(kGreasePrefix)) token = f;
    return token;
}

void ack(ScriptHost& h, LinkId l, const std::string& msg_id) {
    h.feed(l, "{\"type\":\"ACK\",\"msg_id\":\"" + msg_id + "\",\"ttl\":1}\n");
}

// The SENDs among lines: their msg_id and payload.
struct Sent {
    std::string id;
    std::string payload;
};
std::vector<Sent> sends_in(const std::vector<std::string>& lines) {
    std::vector<Sent> out;
    for (const std::string& line : lines) {
        JsonLine j(line);
        if (j.type() == "SEND") out.push_back({j.str("msg_id"), j.str("payload")});
    }
    return out;
}

TEST(Grease, HelloCarriesOneRandomUnknownToken) {
    ScriptHost h(cfg());
    std::vector<std::string> features;
    dial(h, features);
    int tokens = 0;
    for (const std::string& f : features)
        tokens += f.starts_with(kGreasePrefix);
    EXPECT_EQ(tokens, 1);
    NodeConfig other = cfg();
    other.seed = 99;
    ScriptHost h2(other);
    std::vector<std::string> features2;
    dial(h2, features2);
    EXPECT_NE(grease_of(features), grease_of(features2));  // per node, random
}

TEST(Grease, HelloOkEchoingOurTokenIsLegacyWhateverItLists) {
    ScriptHost h(cfg());
    std::vector<std::string> features;
    LinkId l = dial(h, features);
    answer_hello(h, l, quoted_list(features));  // a copy of our list, `relay` included
    LinkView v = view(h, l);
    EXPECT_EQ(v.state, LinkState::kEstablished);
    EXPECT_TRUE(v.legacy);
    EXPECT_FALSE(v.features & kFeatureRelay);
    // Legacy pacing: one message per write, one SEND awaiting its ACK.
    for (int i = 0; i < 3; ++i)
        h.node->send("bob@CIC", "m" + std::to_string(i));
    h.advance(100);
    h.writes.clear();
    auto lines = h.drain(l);
    for (const std::string& w : h.writes)
        EXPECT_EQ(std::count(w.begin(), w.end(), '\n'), 1) << w;
    EXPECT_EQ(sends_in(lines).size(), 1u);
}

TEST(Grease, HelloOkWithAFixedListIsTakenAtItsWord) {
    ScriptHost h(cfg());
    std::vector<std::string> features;
    LinkId l = dial(h, features);
    answer_hello(h, l, "[\"ack\",\"relay\"]");
    EXPECT_FALSE(view(h, l).legacy);
    ScriptHost h2(cfg());
    LinkId l2 = dial(h2, features);
    answer_hello(h2, l2, "[\"ack\",\"metrics\"]");
    EXPECT_TRUE(view(h2, l2).legacy);
}

TEST(Grease, InboundHelloMirroringOurTokenIsLegacyButAnotherNodesTokenIsNot) {
    ScriptHost h(cfg());
    std::vector<std::string> ours;
    dial(h, ours);  // learn our token
    std::string token = grease_of(ours);
    ASSERT_FALSE(token.empty());
    LinkId mirrored = h.accept_and_handshake("carol@CIC", quoted_list(ours));
    EXPECT_TRUE(view(h, mirrored).legacy);
    LinkId other = h.accept_and_handshake(
        "dave@CIC", quoted_list({"ack", "relay", std::string(kGreasePrefix) + "0123456789abcdef"}));
    EXPECT_FALSE(view(h, other).legacy);
}

TEST(UserQueue, AckClockStartsWhenTheSendIsWrittenNotWhenQueued) {
    ScriptHost h(cfg());
    std::vector<std::string> features;
    LinkId l = dial(h, features);
    answer_hello(h, l, "[\"ack\"]");  // legacy
    ASSERT_EQ(h.node->send("bob@CIC", "waits").status, SendStatus::kQueued);
    // The socket is not writable for 8 s (longer than the 5 s ACK timeout):
    // the SEND sits in the link's output, not late.
    h.advance(8000);
    EXPECT_EQ(h.count(EventKind::kAckTimeout), 0) << h.dump();
    auto sent = sends_in(h.take(l));
    ASSERT_EQ(sent.size(), 1u);
    h.advance(4000);  // 4 s after the write: still within the timeout
    ack(h, l, sent[0].id);
    EXPECT_EQ(h.count(EventKind::kAckTimeout), 0) << h.dump();
    EXPECT_EQ(h.count(EventKind::kDelivered), 1) << h.dump();
    // Unanswered after its write, it does time out, and retransmits the same msg_id.
    h.node->send("bob@CIC", "lost");
    h.advance(100);
    auto lost = sends_in(h.drain(l));
    ASSERT_EQ(lost.size(), 1u);
    h.advance(5100);
    EXPECT_EQ(h.count(EventKind::kAckTimeout), 1) << h.dump();
    auto again = sends_in(h.drain(l));
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].id, lost[0].id);
}

TEST(UserQueue, SendsQueuedBehindAPacedLegacyLinkGoInOrderWithoutTimeouts) {
    ScriptHost h(cfg());
    std::vector<std::string> features;
    LinkId l = dial(h, features);
    answer_hello(h, l, "[\"ack\"]");
    for (int i = 0; i < 200; ++i)
        ASSERT_EQ(h.node->send("bob@CIC", "line " + std::to_string(i)).status, SendStatus::kQueued);
    std::vector<std::string> got;
    for (int round = 0; round < 400 && got.size() < 200; ++round) {
        auto sent = sends_in(h.drain(l));
        for (const Sent& s : sent) {
            got.push_back(s.payload);
            h.advance(30);  // a slow peer: each ACK takes its time
            ack(h, l, s.id);
        }
        h.advance(10);
    }
    ASSERT_EQ(got.size(), 200u) << h.dump();
    for (int i = 0; i < 200; ++i)
        EXPECT_EQ(got[i], "line " + std::to_string(i));
    EXPECT_EQ(h.count(EventKind::kAckTimeout), 0);
    EXPECT_EQ(h.count(EventKind::kDelivered), 200);
}

TEST(UserQueue, FullPeerGetsAWindowInOrder) {
    NodeConfig c = cfg();
    c.max_pending_sends = 3;
    ScriptHost h(c);
    std::vector<std::string> features;
    LinkId l = dial(h, features);
    answer_hello(h, l, "[\"ack\",\"relay\"]");
    for (int i = 0; i < 10; ++i)
        h.node->send("bob@CIC", std::to_string(i));
    auto first = sends_in(h.take(l));
    ASSERT_EQ(first.size(), 3u);
    ack(h, l, first[1].id);  // ACKs may come out of order
    auto next = sends_in(h.take(l));
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].payload, "3");
    std::vector<std::string> order = {first[0].payload, first[1].payload, first[2].payload,
                                      next[0].payload};
    EXPECT_EQ(order, (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST(UserQueue, ASlowPeerDoesNotHoldUpTheOthers) {
    ScriptHost h(cfg());
    std::vector<std::string> features;
    LinkId slow = dial(h, features);
    answer_hello(h, slow, "[\"ack\"]");  // legacy bob never ACKs
    LinkId fast = h.accept_and_handshake("carol@CIC", "[\"ack\",\"relay\"]");
    for (int i = 0; i < 300; ++i)
        ASSERT_EQ(h.node->send("bob@CIC", "b" + std::to_string(i)).status, SendStatus::kQueued);
    int delivered = 0;
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(h.node->send("carol@CIC", "c" + std::to_string(i)).status, SendStatus::kQueued);
        for (const Sent& s : sends_in(h.take(fast))) {
            ack(h, fast, s.id);
            ++delivered;
        }
    }
    for (const Sent& s : sends_in(h.take(fast))) {
        ack(h, fast, s.id);
        ++delivered;
    }
    EXPECT_EQ(delivered, 300) << h.dump();
    EXPECT_EQ(h.count(EventKind::kUndelivered), 0);
}

TEST(UserQueue, TheByteBoundIsRoomThatReturnsWithEachAck) {
    NodeConfig c = cfg();
    c.max_user_queue_bytes = 1;  // the minimum: two of the longest SENDs
    ScriptHost h(c);
    std::vector<std::string> features;
    LinkId l = dial(h, features);
    answer_hello(h, l, "[\"ack\",\"relay\"]");
    int queued = 0;
    while (h.node->user_queue_has_room()) {
        ASSERT_EQ(h.node->send("bob@CIC", "x").status, SendStatus::kQueued);
        ASSERT_LT(++queued, 1000);
    }
    EXPECT_GT(queued, 1);
    EXPECT_GT(h.node->user_queue_bytes(), 0u);
    auto sent = sends_in(h.take(l));
    ASSERT_FALSE(sent.empty());
    ack(h, l, sent[0].id);
    EXPECT_TRUE(h.node->user_queue_has_room());
}

// ---- a HELLO claiming a live peer's id ------------------------------------------------

struct Claim {
    LinkId real;
    LinkId impostor;
};

Claim claim_live_peer(ScriptHost& h) {
    Claim c;
    c.real = h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    h.feed(c.real, "{\"type\":\"PING\",\"msg_id\":\"p1\",\"ttl\":1}\n");  // traffic
    h.take(c.real);
    c.impostor = h.node->on_link_accepted("192.0.2.66", 41000);
    h.feed(c.impostor,
           "{\"type\":\"HELLO\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"ttl\":1}\n");
    return c;
}

TEST(Duplicate, HelloClaimingALiveLinkIsRejectedAndTheLinkProbed) {
    ScriptHost h(cfg());
    Claim c = claim_live_peer(h);
    auto answer = h.take(c.impostor);
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(JsonLine(answer[0]).type(), "HELLO_REJECT");
    EXPECT_EQ(h.closed.count(c.impostor), 1u);
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.link, c.real);
    auto probe = h.take(c.real);
    ASSERT_EQ(probe.size(), 1u);
    JsonLine ping(probe[0]);
    EXPECT_EQ(ping.type(), "PING");
    h.feed(c.real, "{\"type\":\"PONG\",\"msg_id\":\"" + ping.str("msg_id") + "\",\"ttl\":1}\n");
    h.advance(10000);
    EXPECT_EQ(h.closed.count(c.real), 0u);  // it answered: kept
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.link, c.real);
}

TEST(Duplicate, ALinkThatFailsTheProbeYields) {
    ScriptHost h(cfg());
    Claim c = claim_live_peer(h);
    h.take(c.impostor);
    h.take(c.real);  // the probe PING, never answered
    h.advance(5000);
    EXPECT_EQ(h.closed.count(c.real), 1u);
    LinkId again = h.node->on_link_accepted("192.0.2.66", 41001);
    h.feed(again, "{\"type\":\"HELLO\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"ttl\":1}\n");
    auto answer = h.take(again);
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(JsonLine(answer[0]).type(), "HELLO_OK");
}

TEST(Duplicate, AnotherHostIsRefusedEvenBeforeAnyTraffic) {
    ScriptHost h(cfg());
    LinkId real = h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    LinkId other = h.node->on_link_accepted("192.0.2.66", 41000);
    h.feed(other, "{\"type\":\"HELLO\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"ttl\":1}\n");
    auto answer = h.take(other);
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(JsonLine(answer[0]).type(), "HELLO_REJECT");
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.link, real);
}

TEST(Duplicate, SameHostBeforeTrafficIsASimultaneousDialNotAnImpostor) {
    ScriptHost h(cfg());  // alice < bob: the link alice dialed carries the traffic
    h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    h.node->add_static_peer("192.0.2.9", 7000);  // the same host as the inbound link
    LinkId ours = h.dials.back().link;
    h.node->on_link_connected(ours);
    h.take(ours);
    h.feed(ours,
           "{\"type\":\"HELLO_OK\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\","
           "\"features\":[\"ack\",\"relay\"],\"ttl\":1}\n");
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.link, ours);
    EXPECT_EQ(h.closed.count(ours), 0u);
}

}  // namespace
}  // namespace p2p::sim
