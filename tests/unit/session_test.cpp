// The session state machine of one link, driven line by line with a
// ManualClock (docs/protocol.md §2, §4): handshake, errors on the wire,
// keep-alive, legacy pacing, dedup/ACK, BYE, HELLO_REJECT, quit.
#include <gtest/gtest.h>

#include "tests/sim/script_host.h"
#include "tests/support/hostile_names.h"

namespace p2p::sim {
namespace {

NodeConfig cfg() {
    NodeConfig c;
    c.name = "alice";
    c.ns = "CIC";
    return c;
}

TEST(Session, InboundHelloGetsHelloOkWithFeatureIntersection) {
    ScriptHost h(cfg());
    LinkId l = h.accept();
    ASSERT_NE(l, kNoLink);
    h.feed(l,
           "{\"type\":\"HELLO\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"features\":[\"ack\","
           "\"relay\",\"metrics\"],\"ttl\":1}\n");
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"HELLO_OK\""));
    EXPECT_TRUE(has(out[0], "\"peer_id\":\"alice@CIC\""));
    // Ours are all four; theirs lack who_has.
    EXPECT_TRUE(has(out[0], "\"features\":[\"ack\",\"metrics\",\"relay\"]")) << out[0];
    EXPECT_TRUE(has(out[0], "\"ttl\":1}"));
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.state, PeerState::kConnected);
    EXPECT_EQ(v.direction, LinkDirection::kInbound);
}

TEST(Session, DialerSendsHelloAndLearnsPeerIdFromHelloOk) {
    ScriptHost h(cfg());
    ASSERT_TRUE(h.node->add_static_peer("192.0.2.1", 7000));
    ASSERT_EQ(h.dials.size(), 1u);
    EXPECT_EQ(h.dials[0].host, "192.0.2.1");
    LinkId l = h.dials[0].link;
    EXPECT_TRUE(h.take(l).empty());  // nothing before the connect completes
    h.node->on_link_connected(l);
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"HELLO\""));
    EXPECT_TRUE(has(out[0], "\"peer_id\":\"alice@CIC\""));
    h.feed(l, "{\"type\":\"HELLO_OK\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"ttl\":1}\n");
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.state, PeerState::kConnected);
    EXPECT_TRUE(v.is_static);
    EXPECT_EQ(v.direction, LinkDirection::kOutbound);
}

TEST(Session, HandshakeTimeoutClosesBothSides) {
    ScriptHost h(cfg());
    LinkId in = h.accept();
    h.node->add_static_peer("192.0.2.1", 7000);
    LinkId out = h.dials[0].link;
    h.node->on_link_connected(out);
    h.advance(9999);
    EXPECT_TRUE(h.closed.empty());
    h.advance(2);
    EXPECT_EQ(h.closed.count(in), 1u);
    EXPECT_EQ(h.closed.count(out), 1u);
    // The static peer's failed attempt is counted and a redial scheduled.
    int stale = 0;
    for (std::size_t i = 0; i < h.node->peer_slots(); ++i) {
        PeerView v;
        if (!h.node->peer_view(i, v)) continue;
        EXPECT_EQ(v.state, PeerState::kStale);
        EXPECT_EQ(v.reconnect_attempts, 1);
        EXPECT_GT(v.next_attempt_at, h.clock.mono_ms());
        ++stale;
    }
    EXPECT_EQ(stale, 1);
}

TEST(Session, MessageBeforeHandshakeIsBadFormatAndCloses) {
    ScriptHost h(cfg());
    LinkId l = h.accept();
    h.feed(l,
           "{\"type\":\"SEND\",\"msg_id\":\"m1\",\"src\":\"bob@CIC\",\"dst\":\"alice@CIC\","
           "\"payload\":\"x\",\"ttl\":1}\n");
    EXPECT_EQ(h.closed.count(l), 0u);  // not before the ERROR is written
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"error\":\"bad_format\""));
    EXPECT_TRUE(has(out[0], "\"ref\":\"m1\""));
    EXPECT_EQ(h.closed.count(l), 1u);
    EXPECT_EQ(h.count(EventKind::kMsg), 0);

    LinkId l2 = h.accept();
    h.feed(l2, "not json at all\n");
    out = h.take(l2);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"error\":\"bad_format\""));
    EXPECT_EQ(h.closed.count(l2), 1u);
    // An ERROR before the handshake is not answered: just closed.
    LinkId l3 = h.accept();
    h.feed(l3, "{\"type\":\"ERROR\",\"error\":\"busy\",\"ttl\":1}\n");
    EXPECT_TRUE(h.take(l3).empty());
    EXPECT_EQ(h.closed.count(l3), 1u);
}

TEST(Session, OurOwnPeerIdIsRefused) {
    ScriptHost h(cfg());
    LinkId l = h.accept();
    h.feed(l, "{\"type\":\"HELLO\",\"peer_id\":\"alice@CIC\",\"version\":\"1.0\",\"ttl\":1}\n");
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"error\":\"bad_format\""));
    EXPECT_EQ(h.closed.count(l), 1u);
    EXPECT_EQ(h.node->peer_count(), 0u);
    EXPECT_EQ(h.count(EventKind::kLink), 0);
}

// The name rule on the wire (docs/protocol.md §1): a HELLO whose peer_id has
// a name or namespace the rule refuses is bad_format, closes the link and
// leaves no trace in the peer table.
TEST(Session, HelloWithANameTheNameRuleRefusesIsRefused) {
    for (std::string_view bad : test::kHostileNames) {
        for (const std::string& peer_id : {std::string(bad) + "@CIC", "bob@" + std::string(bad)}) {
            ScriptHost h(cfg());
            LinkId l = h.accept();
            h.feed(l, "{\"type\":\"HELLO\",\"peer_id\":\"" + peer_id +
                          "\",\"version\":\"1.0\",\"ttl\":1}\n");
            auto out = h.take(l);
            ASSERT_EQ(out.size(), 1u) << peer_id;
            EXPECT_TRUE(has(out[0], "\"error\":\"bad_format\"")) << peer_id;
            EXPECT_EQ(h.closed.count(l), 1u) << peer_id;
            EXPECT_EQ(h.node->peer_count(), 0u) << peer_id;
        }
    }
}

TEST(Session, ErrorsOnTheWireKeepTheLinkOpen) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    // Too long: answered with the limit, discarded up to its newline.
    h.feed(l, std::string(40000, 'a') + "\n");
    // Not JSON, not an object, no type, unknown type, ERROR (never answered).
    h.feed(l,
           "garbage\n[1,2]\n{\"x\":1}\n{\"type\":\"FOO\",\"msg_id\":\"f1\",\"ttl\":1}\n"
           "{\"type\":\"ERROR\",\"error\":\"bad_format\",\"ttl\":1}\n"
           "{\"status\":\"ERROR\",\"error\":\"whatever\"}\n\n");
    auto out = h.drain(l);
    ASSERT_EQ(out.size(), 5u) << ::testing::PrintToString(out);
    EXPECT_TRUE(has(out[0], "\"error\":\"line_too_long\""));
    EXPECT_TRUE(has(out[0], "\"limit\":32768"));
    EXPECT_TRUE(has(out[1], "\"error\":\"bad_format\""));
    EXPECT_TRUE(has(out[2], "\"error\":\"bad_format\""));
    EXPECT_TRUE(has(out[3], "\"error\":\"bad_format\""));
    EXPECT_TRUE(has(out[4], "\"error\":\"p2p_unknown_command\""));
    EXPECT_TRUE(has(out[4], "\"ref\":\"f1\""));
    EXPECT_TRUE(h.closed.empty());
    h.feed(l, "{\"type\":\"PING\",\"msg_id\":\"p1\",\"ttl\":1}\n");
    out = h.drain(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"PONG\""));
    EXPECT_TRUE(has(out[0], "\"msg_id\":\"p1\""));
}

TEST(Session, LegacyPeerGetsOneMessagePerWriteWithPauses) {
    ScriptHost h(cfg());
    LinkId l = h.dial_and_handshake("bob@CIC", "[\"ack\"]");  // no relay: legacy
    h.writes.clear();
    h.feed(l,
           "{\"type\":\"PING\",\"msg_id\":\"p1\",\"ttl\":1}\n{\"type\":\"PING\",\"msg_id\":\"p2\","
           "\"ttl\":1}\n");
    EXPECT_TRUE(h.take(l).empty());  // 50 ms pause after the handshake
    h.advance(49);
    EXPECT_TRUE(h.take(l).empty());
    h.advance(1);
    EXPECT_EQ(h.take(l).size(), 1u);
    EXPECT_TRUE(h.take(l).empty());  // the second waits for the gap
    h.advance(50);
    EXPECT_EQ(h.take(l).size(), 1u);
    for (const std::string& w : h.writes)
        EXPECT_EQ(std::count(w.begin(), w.end(), '\n'), 1);
}

TEST(Session, RelayCapablePeerGetsEverythingAtOnce) {
    NodeConfig c = cfg();
    ScriptHost h(c);
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    // We do not announce relay in this build, so the intersection has none:
    // the link is legacy either way. What matters: several lines per write
    // only when both sides announced relay.
    h.writes.clear();
    h.feed(l,
           "{\"type\":\"PING\",\"msg_id\":\"p1\",\"ttl\":1}\n{\"type\":\"PING\",\"msg_id\":\"p2\","
           "\"ttl\":1}\n");
    h.advance(200);
    h.take(l);
    bool relay = (h.node->config().features & kFeatureRelay) != 0;
    for (const std::string& w : h.writes)
        EXPECT_EQ(std::count(w.begin(), w.end(), '\n') > 1, relay);
}

TEST(Session, RepeatedSendIsShownOnceAndAckedEveryTime) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\"]");
    std::string send =
        "{\"type\":\"SEND\",\"msg_id\":\"s1\",\"src\":\"bob@CIC\",\"dst\":\"alice@CIC\","
        "\"payload\":\"hi\",\"require_ack\":true,\"timestamp\":1760000000,\"ttl\":1}\n";
    int acks = 0;
    for (int i = 0; i < 3; ++i) {
        h.feed(l, send);
        h.advance(100);
        for (const std::string& line : h.take(l)) {
            if (has(line, "\"type\":\"ACK\"")) {
                ++acks;
                EXPECT_TRUE(has(line, "\"msg_id\":\"s1\""));
                EXPECT_TRUE(has(line, "\"from\":\"alice@CIC\""));
            }
        }
    }
    EXPECT_EQ(acks, 3);
    EXPECT_EQ(h.count(EventKind::kMsg), 1);
    // A SEND with ttl 0 addressed to us is still delivered (docs/protocol.md §5).
    h.feed(l,
           "{\"type\":\"SEND\",\"msg_id\":\"s2\",\"src\":\"bob@CIC\",\"dst\":\"alice@CIC\","
           "\"payload\":\"zero\",\"ttl\":0}\n");
    EXPECT_EQ(h.count(EventKind::kMsg), 2);
}

// docs/protocol.md §5 TTL rule: a SEND for someone else that arrives with ttl 0
// has no relays left: it is answered TTL_EXPIRED, never shown nor forwarded.
TEST(Session, SendForSomeoneElseWithTtlZeroIsTtlExpired) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    h.advance(100);
    h.take(l);
    h.feed(l,
           "{\"type\":\"SEND\",\"msg_id\":\"t0\",\"src\":\"bob@CIC\",\"dst\":\"carol@CIC\","
           "\"payload\":\"x\",\"require_ack\":true,\"ttl\":0}\n");
    h.advance(100);
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"TTL_EXPIRED\"")) << out[0];
    EXPECT_TRUE(has(out[0], "\"msg_id\":\"t0\"")) << out[0];
    EXPECT_TRUE(has(out[0], "\"dst\":\"bob@CIC\"")) << out[0];
    EXPECT_EQ(h.count(EventKind::kMsg), 0);
}

TEST(Session, SpoofedSrcIsUnauthorizedOnADirectLink) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\"]");
    h.advance(100);
    h.feed(l,
           "{\"type\":\"SEND\",\"msg_id\":\"s1\",\"src\":\"carol@CIC\",\"dst\":\"alice@CIC\","
           "\"payload\":\"x\",\"ttl\":1}\n");
    h.advance(100);
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"error\":\"unauthorized\""));
    EXPECT_EQ(h.count(EventKind::kMsg), 0);
}

TEST(Session, PubScopesAndDedup) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\"]");
    h.feed(l,
           "{\"type\":\"PUB\",\"msg_id\":\"p1\",\"src\":\"bob@CIC\",\"dst\":\"CIC\",\"payload\":"
           "\"bare\",\"ttl\":1}\n");
    h.feed(l,
           "{\"type\":\"PUB\",\"msg_id\":\"p1\",\"src\":\"bob@CIC\",\"dst\":\"CIC\",\"payload\":"
           "\"bare\",\"ttl\":1}\n");
    h.feed(l,
           "{\"type\":\"PUB\",\"msg_id\":\"p2\",\"src\":\"bob@CIC\",\"dst\":\"#OTHER\",\"payload\":"
           "\"no\",\"ttl\":1}\n");
    h.feed(l,
           "{\"type\":\"PUB\",\"msg_id\":\"p3\",\"src\":\"bob@CIC\",\"dst\":\"*\",\"payload\":"
           "\"all\",\"ttl\":1}\n");
    EXPECT_EQ(h.count(EventKind::kPub), 2) << h.dump();
    EXPECT_EQ(h.node->stats().duplicates, 1u);
}

TEST(Session, KeepAliveDeclaresTheLinkDeadAfterThreeUnansweredPings) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\"]");
    int pings = 0;
    for (int i = 0; i < 3; ++i) {
        h.advance(30000);
        for (const std::string& line : h.take(l))
            pings += has(line, "\"type\":\"PING\"");
    }
    EXPECT_EQ(pings, 3);
    EXPECT_TRUE(h.closed.empty());
    h.advance(30000);
    auto out = h.take(l);  // BYE, then the close once it is flushed
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"BYE\""));
    EXPECT_TRUE(has(out[0], "\"dst\":\"bob@CIC\""));
    EXPECT_EQ(h.closed.count(l), 1u);
    PeerView v;
    // Marked STALE; known only from its inbound link (no address to
    // redial), it is forgotten after a while unless it links again.
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.state, PeerState::kStale);
    EXPECT_EQ(v.next_attempt_at, 0);
    std::size_t dials = h.dials.size();
    h.advance(h.node->config().forget_stale_ms);
    EXPECT_FALSE(h.peer("bob@CIC", v));
    EXPECT_EQ(h.dials.size(), dials);
}

TEST(Session, PongResetsTheMissCountAndGivesRtt) {
    ScriptHost h(cfg());
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\"]");
    for (int i = 0; i < 5; ++i) {
        std::string id;
        for (int step = 0; step < 4000 && id.empty(); ++step) {
            h.advance(10);
            for (const std::string& line : h.take(l)) {
                if (!has(line, "\"type\":\"PING\"")) continue;
                std::size_t at = line.find("\"msg_id\":\"") + 10;
                id = line.substr(at, line.find('"', at) - at);
            }
        }
        ASSERT_FALSE(id.empty()) << i;
        h.advance(20 + 10 * i);
        h.feed(l, "{\"type\":\"PONG\",\"msg_id\":\"" + id +
                      "\",\"timestamp\":1760000000,\"ttl\":1}\n");
    }
    h.advance(60000);  // two more PINGs unanswered: not yet dead
    EXPECT_TRUE(h.closed.empty());
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.rtt_count, 5);
    EXPECT_DOUBLE_EQ(v.rtt_mean_ms, 40.0);  // 20,30,40,50,60
    EXPECT_EQ(v.last_rtt_ms, 60);
}

TEST(Session, ByeIsAnsweredAndThePeerIsNotRedialed) {
    ScriptHost h(cfg());
    LinkId l = h.dial_and_handshake("bob@CIC", "[\"ack\"]");
    h.advance(100);
    h.feed(l,
           "{\"type\":\"BYE\",\"msg_id\":\"b1\",\"src\":\"bob@CIC\",\"dst\":\"alice@CIC\","
           "\"reason\":\"tchau\",\"ttl\":1}\n");
    h.advance(100);
    auto out = h.take(l);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"BYE_OK\""));
    EXPECT_TRUE(has(out[0], "\"msg_id\":\"b1\""));
    EXPECT_EQ(h.closed.count(l), 1u);
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.state, PeerState::kGone);  // it left; not a lost link
    EXPECT_TRUE(v.said_bye);
    std::size_t dials = h.dials.size();
    h.advance(600000);
    EXPECT_EQ(h.dials.size(), dials);
}

TEST(Session, HelloRejectMeansAlreadyConnectedWithoutPenalty) {
    ScriptHost h(cfg());
    LinkId l = h.dial_and_handshake("bob@CIC", "[\"ack\"]");
    h.feed(l, "{\"type\":\"HELLO_REJECT\",\"reason\":\"already connected\",\"ttl\":1}\n");
    h.node->on_link_down(l, LinkDownReason::kClosedByPeer);
    PeerView v;
    ASSERT_TRUE(h.peer("bob@CIC", v));
    EXPECT_EQ(v.state, PeerState::kStale);
    EXPECT_EQ(v.reconnect_attempts, 0);
    EXPECT_EQ(v.next_attempt_at, h.clock.mono_ms() + h.node->config().reject_retry_ms);
    std::size_t dials = h.dials.size();
    h.advance(h.node->config().reject_retry_ms - 1);
    EXPECT_EQ(h.dials.size(), dials);  // no immediate redial
    h.advance(1);
    EXPECT_EQ(h.dials.size(), dials + 1);
}

TEST(Session, QuitSaysByeWaitsForByeOkThenCompletes) {
    ScriptHost h(cfg());
    LinkId a = h.accept_and_handshake("bob@CIC", "[\"ack\"]");
    LinkId b = h.accept_and_handshake("carol@CIC", "[\"ack\"]");
    h.advance(100);
    h.node->quit();
    EXPECT_FALSE(h.quit_done);
    h.advance(60);
    auto out = h.take(a);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(has(out[0], "\"type\":\"BYE\""));
    std::size_t at = out[0].find("\"msg_id\":\"") + 10;
    std::string id = out[0].substr(at, out[0].find('"', at) - at);
    h.feed(a, "{\"type\":\"BYE_OK\",\"msg_id\":\"" + id + "\",\"ttl\":1}\n");
    EXPECT_EQ(h.closed.count(a), 1u);
    EXPECT_FALSE(h.quit_done);
    h.take(b);  // carol never answers: closed after the 2 s grace
    h.advance(1800);
    EXPECT_EQ(h.closed.count(b), 0u);
    h.advance(200);
    EXPECT_EQ(h.closed.count(b), 1u);
    EXPECT_TRUE(h.quit_done);
    EXPECT_EQ(h.node->send("bob@CIC", "late").status, SendStatus::kShuttingDown);
}

TEST(Session, FullLinkQueueKeepsUserDataWaitingAndLeavesRoomForReplies) {
    NodeConfig c = cfg();
    c.queue_max_bytes = 0;  // the minimum: one maximal line plus the control reserve
    ScriptHost h(c);
    LinkId l = h.accept_and_handshake("bob@CIC", "[\"ack\",\"relay\"]");
    // The peer stops reading: nothing is taken from the queue any more. The
    // SENDs that do not fit the link wait in the user queue, never `busy`.
    std::string text(10000, 'x');
    int queued = 0;
    for (int i = 0; i < 6; ++i)
        queued += h.node->send("bob@CIC", text).status == SendStatus::kQueued;
    EXPECT_EQ(queued, 6);
    EXPECT_EQ(h.count(EventKind::kUndelivered), 0);
    EXPECT_LE(h.queued(l), 4u);
    // A PING still gets its PONG from the control reserve.
    h.feed(l, "{\"type\":\"PING\",\"msg_id\":\"p9\",\"ttl\":1}\n");
    auto out = h.take(l);
    int pongs = 0;
    for (const std::string& line : out)
        pongs += has(line, "\"type\":\"PONG\"");
    EXPECT_EQ(pongs, 1);
    EXPECT_EQ(h.node->stats().dropped_out, 0u);
    // As the link drains, the waiting SENDs follow, in order.
    int sends = 0;
    for (const std::string& line : out)
        sends += has(line, "\"type\":\"SEND\"");
    EXPECT_EQ(sends, 6);
}

TEST(Session, BytesSplitAnywhereStillMakeLines) {
    ScriptHost h(cfg());
    LinkId l = h.accept();
    std::string hello =
        "{\"type\":\"HELLO\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"ttl\":1}\r\n";
    for (char c : hello)
        h.feed(l, std::string(1, c));
    EXPECT_EQ(h.take(l).size(), 1u);
    PeerView v;
    EXPECT_TRUE(h.peer("bob@CIC", v));
}

TEST(Session, StaleLinkIdsAreIgnored) {
    ScriptHost h(cfg());
    LinkId l = h.accept();
    h.feed(l, "garbage\n");  // closes it once the ERROR is written
    h.take(l);
    ASSERT_EQ(h.closed.count(l), 1u);
    LinkId l2 = h.accept();  // same slot, new generation
    EXPECT_NE(l, l2);
    h.feed(l, "{\"type\":\"HELLO\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"ttl\":1}\n");
    EXPECT_TRUE(h.take(l).empty());
    EXPECT_TRUE(h.take(l2).empty());
    EXPECT_EQ(h.node->peer_count(), 0u);
    h.node->on_link_down(l, LinkDownReason::kError);  // harmless
    EXPECT_EQ(h.node->link_count(), 1u);
}

}  // namespace
}  // namespace p2p::sim
