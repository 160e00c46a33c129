// Admission when records or link slots run short (docs/protocol.md §4 "Peer
// table and reconnection"): which record is given up for a newcomer, what
// one address may hold, and which waiting connection makes room.
#include <gtest/gtest.h>

#include <string>

#include "core/peer_table.h"
#include "tests/sim/script_host.h"

namespace p2p::sim {
namespace {

NodeConfig small(std::size_t peers, std::size_t links = 0) {
    NodeConfig c;
    c.name = "alice";
    c.ns = "CIC";
    c.max_peers = peers;
    c.max_links = links;
    return c;
}

std::string hello(const std::string& peer_id) {
    return "{\"type\":\"HELLO\",\"peer_id\":\"" + peer_id +
           "\",\"version\":\"1.0\",\"features\":[\"ack\"],\"ttl\":1}\n";
}

// A connection from `ip` that says HELLO as `peer_id`. The engine's answer
// (HELLO_OK or ERROR busy) is returned; the link stays open.
std::string hello_from(ScriptHost& h, const std::string& ip, const std::string& peer_id,
                       LinkId* link = nullptr) {
    LinkId l = h.node->on_link_accepted(ip, 40000);
    if (link) *link = l;
    if (l == kNoLink) return "refused";
    h.feed(l, hello(peer_id));
    auto out = h.take(l);
    return out.empty() ? "" : out[0];
}

// Says HELLO and leaves without BYE: the record stays STALE, holding nothing.
void hello_and_leave(ScriptHost& h, const std::string& ip, const std::string& peer_id) {
    LinkId l = kNoLink;
    ASSERT_TRUE(has(hello_from(h, ip, peer_id, &l), "HELLO_OK"));
    h.node->on_link_down(l, LinkDownReason::kClosedByPeer);
}

bool known(ScriptHost& h, const std::string& peer_id) {
    PeerView v;
    return h.peer(peer_id, v);
}

// ---- the table's choice ---------------------------------------------------------

TEST(PeerAdmission, TheLeastRecentlyHeardAllowedRecordIsChosen) {
    PeerTable t(4);
    for (int i = 0; i < 4; ++i) {
        int p = t.alloc();
        t.set_id(p, "p" + std::to_string(i) + "@n");
        t.at(p).last_seen = 100 - i * 10;  // p3 heard least recently
        t.at(p).set_source(i < 2 ? "10.0.0.1" : "10.0.0.2");
    }
    auto all = [](int) { return true; };
    EXPECT_EQ(t.eviction_candidate({}, all), t.find("p3@n"));
    EXPECT_EQ(t.eviction_candidate("10.0.0.1", all), t.find("p1@n"));
    auto not_p3 = [&](int k) { return k != t.find("p3@n"); };
    EXPECT_EQ(t.eviction_candidate({}, not_p3), t.find("p2@n"));
    EXPECT_EQ(t.eviction_candidate({}, [](int) { return false; }), -1);
    EXPECT_EQ(t.count_from("10.0.0.1"), 2u);
    EXPECT_EQ(t.count_from("10.0.0.9"), 0u);
}

// ---- records --------------------------------------------------------------------

TEST(PeerAdmission, NamesThatLeftMakeRoomForANewcomer) {
    ScriptHost h(small(4));
    for (int i = 0; i < 4; ++i)
        hello_and_leave(h, "192.0.2." + std::to_string(i + 1), "fake" + std::to_string(i) + "@CIC");
    // Before: `busy / peer table full` for ten minutes.
    EXPECT_TRUE(has(hello_from(h, "192.0.2.50", "legit@CIC"), "HELLO_OK")) << h.dump();
    EXPECT_TRUE(known(h, "legit@CIC"));
    EXPECT_EQ(h.node->peer_count(), 4u);
    bool forgotten = false;
    for (const Ev& e : h.events)
        forgotten |= e.kind == EventKind::kPeer && e.state == PeerState::kGone &&
                     has(e.reason, "peer table full");
    EXPECT_TRUE(forgotten) << h.dump();
}

TEST(PeerAdmission, StaticAndDiscoveredPeersAndHeldLinksKeepTheirPlace) {
    ScriptHost h(small(4));
    ASSERT_TRUE(h.node->add_static_peer("192.0.2.1", 7000));  // dialing
    PeerAdvert a;
    a.peer_id = "carol@CIC";
    a.ip = "192.0.2.3";
    a.port = 7003;
    a.change = AdvertChange::kDiscovered;
    h.node->on_peer_advert(a);
    ASSERT_TRUE(has(hello_from(h, "192.0.2.4", "held@CIC"), "HELLO_OK"));
    hello_and_leave(h, "192.0.2.5", "left@CIC");
    // The one idle record goes; then nothing else may.
    EXPECT_TRUE(has(hello_from(h, "192.0.2.6", "new1@CIC"), "HELLO_OK")) << h.dump();
    EXPECT_FALSE(known(h, "left@CIC"));
    std::string refused = hello_from(h, "192.0.2.7", "new2@CIC");
    EXPECT_TRUE(has(refused, "\"error\":\"busy\"")) << refused;
    EXPECT_TRUE(known(h, "carol@CIC"));
    EXPECT_TRUE(known(h, "held@CIC"));
    EXPECT_EQ(h.dials.size(), 2u);  // the static peer and carol are still being dialed
}

TEST(PeerAdmission, ARecordWithAPendingMessageIsKept) {
    ScriptHost h(small(2));
    LinkId l = kNoLink;
    ASSERT_TRUE(has(hello_from(h, "192.0.2.1", "bob@CIC", &l), "HELLO_OK"));
    ASSERT_EQ(h.node->send("bob@CIC", "hi").status, SendStatus::kQueued);
    h.node->on_link_down(l, LinkDownReason::kClosedByPeer);  // the SEND waits for bob
    hello_and_leave(h, "192.0.2.2", "idle@CIC");
    EXPECT_TRUE(has(hello_from(h, "192.0.2.3", "new@CIC"), "HELLO_OK"));
    EXPECT_TRUE(known(h, "bob@CIC")) << "bob's pending SEND would have lost its record";
    EXPECT_FALSE(known(h, "idle@CIC"));
}

TEST(PeerAdmission, OneAddressCreatesAtMostItsShareAndRecyclesItsOwn) {
    NodeConfig c = small(16);
    c.max_peers_per_address = 3;
    ScriptHost h(c);
    hello_and_leave(h, "192.0.2.9", "other@CIC");
    // Holding links: the fourth from the same address is refused.
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(
            has(hello_from(h, "198.51.100.1", "h" + std::to_string(i) + "@CIC"), "HELLO_OK"));
    EXPECT_TRUE(has(hello_from(h, "198.51.100.1", "h3@CIC"), "\"error\":\"busy\""));
    // Another address is not affected.
    EXPECT_TRUE(has(hello_from(h, "198.51.100.2", "x@CIC"), "HELLO_OK"));
    // Names that leave recycle their own address's records, not other peers'.
    for (int i = 0; i < 10; ++i)
        hello_and_leave(h, "198.51.100.3", "churn" + std::to_string(i) + "@CIC");
    EXPECT_TRUE(known(h, "other@CIC"));
    int from_churn = 0;
    for (int i = 0; i < 10; ++i)
        from_churn += known(h, "churn" + std::to_string(i) + "@CIC");
    EXPECT_EQ(from_churn, 3);
}

// ---- link slots ----------------------------------------------------------------

TEST(PeerAdmission, OneAddressHoldsFewConnectionsBeforeTheirHello) {
    NodeConfig c = small(64);
    c.max_handshakes_per_address = 4;
    ScriptHost h(c);
    for (int i = 0; i < 4; ++i)
        EXPECT_NE(h.node->on_link_accepted("203.0.113.1", 1000 + i), kNoLink);
    EXPECT_EQ(h.node->on_link_accepted("203.0.113.1", 2000), kNoLink);
    EXPECT_NE(h.node->on_link_accepted("203.0.113.2", 2000), kNoLink);
}

TEST(PeerAdmission, TheOldestWaitingConnectionMakesRoomAndPressureShortensTheWait) {
    ScriptHost h(small(4, 16));  // at most 8 waiting for a HELLO
    LinkId first = h.node->on_link_accepted("203.0.113.1", 1000);
    h.advance(10);
    for (int i = 2; i <= 8; ++i)
        ASSERT_NE(h.node->on_link_accepted("203.0.113." + std::to_string(i), 1000), kNoLink);
    EXPECT_TRUE(h.closed.empty());
    LinkId late = h.node->on_link_accepted("203.0.113.9", 1000);
    ASSERT_NE(late, kNoLink);
    EXPECT_EQ(h.closed.count(first), 1u) << "the oldest waiting connection makes room";
    // Under pressure a waiting connection has 2 s, not 10.
    h.advance(2'100);
    EXPECT_EQ(h.closed.count(late), 1u);
    // The newcomer that says HELLO in time is served.
    LinkId l = kNoLink;
    EXPECT_TRUE(has(hello_from(h, "203.0.113.10", "legit@CIC", &l), "HELLO_OK"));
}

TEST(PeerAdmission, OurDialTakesAWaitingConnectionsSlotAndAShortageCostsNoAttempt) {
    ScriptHost h(small(8, 6));  // 6 slots: 3 may wait for a HELLO, 2 are kept back
    for (int i = 0; i < 2; ++i)
        ASSERT_TRUE(
            has(hello_from(h, "192.0.2." + std::to_string(i + 1), "p" + std::to_string(i) + "@CIC"),
                "HELLO_OK"));
    LinkId waiting[3];
    for (int i = 0; i < 3; ++i) {
        waiting[i] = h.node->on_link_accepted("203.0.113." + std::to_string(i + 1), 1000);
        ASSERT_NE(waiting[i], kNoLink);
        h.advance(1);
    }
    // The third found only the kept-back slots: the oldest waiting one yielded.
    EXPECT_EQ(h.closed.count(waiting[0]), 1u);
    EXPECT_EQ(h.closed.size(), 1u);
    // Our dials take the kept-back slots, then those of waiting connections.
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(h.node->add_static_peer("192.0.2." + std::to_string(100 + i), 7000));
    EXPECT_EQ(h.dials.size(), 4u) << h.dump();
    EXPECT_EQ(h.closed.count(waiting[1]), 1u);
    EXPECT_EQ(h.closed.count(waiting[2]), 1u);
    // Every slot carries a link or a dial: the next dial is postponed, and
    // our shortage is not counted as the peer's failure.
    ASSERT_TRUE(h.node->add_static_peer("192.0.2.200", 7000));
    EXPECT_EQ(h.dials.size(), 4u);
    PeerView v;
    bool found = false;
    for (std::size_t i = 0; i < h.node->peer_slots() && !found; ++i)
        found = h.node->peer_view(i, v) && v.host == "192.0.2.200";
    ASSERT_TRUE(found);
    EXPECT_EQ(v.state, PeerState::kStale);
    EXPECT_EQ(v.reconnect_attempts, 0);
    EXPECT_GT(v.next_attempt_at, 0);
    // An inbound connection gets nothing either.
    EXPECT_EQ(h.node->on_link_accepted("203.0.113.50", 1000), kNoLink);
}

// ---- probation: listed peers earn their record by answering ---------------------

// The rendezvous lists `peer_id` at a dead address: the node dials it.
void listed(ScriptHost& h, const std::string& peer_id, std::uint16_t port, bool renewed = false) {
    PeerAdvert a;
    a.peer_id = peer_id;
    a.ip = "192.0.2.200";
    a.port = port;
    a.change = renewed ? AdvertChange::kUpdated : AdvertChange::kDiscovered;
    a.reregistered = renewed;
    h.node->on_peer_advert(a);
}

bool wanted(ScriptHost& h, const std::string& peer_id, std::uint16_t port) {
    PeerAdvert a;
    a.peer_id = peer_id;
    a.ip = "192.0.2.200";
    a.port = port;
    return h.node->wants_advert(a);
}

// Every dial made since dial number `from` fails (nothing listens there).
std::size_t fail_dials(ScriptHost& h, std::size_t from) {
    for (std::size_t i = from; i < h.dials.size(); ++i)
        h.node->on_link_down(h.dials[i].link, LinkDownReason::kConnectFailed);
    return h.dials.size();
}

TEST(PeerAdmission, ListedPeersThatNeverAnswerMakeRoomAfterTheirProbation) {
    ScriptHost h(small(4));
    for (int i = 0; i < 4; ++i)
        listed(h, "dead" + std::to_string(i) + "@CIC", static_cast<std::uint16_t>(7000 + i));
    std::size_t done = fail_dials(h, 0);
    // First failed dial: still on probation, the records hold.
    EXPECT_TRUE(has(hello_from(h, "192.0.2.50", "early@CIC"), "\"error\":\"busy\""));
    EXPECT_TRUE(wanted(h, "dead0@CIC", 7000));
    h.advance(2'000);  // the redials (backoff 1 to 1.25 s), failing too
    ASSERT_EQ(h.dials.size(), 8u) << h.dump();
    fail_dials(h, done);
    // Probation over: a newcomer's HELLO takes one of their records.
    EXPECT_FALSE(wanted(h, "dead0@CIC", 7000));
    EXPECT_TRUE(has(hello_from(h, "192.0.2.51", "legit@CIC"), "HELLO_OK")) << h.dump();
    EXPECT_EQ(h.node->peer_count(), 4u);
    // Listed again, the one given up on gets neither a record nor a dial;
    // the ones left do not regain their place by renewing their registration.
    std::size_t dials = h.dials.size();
    for (int i = 0; i < 4; ++i) {
        listed(h, "dead" + std::to_string(i) + "@CIC", static_cast<std::uint16_t>(7000 + i));
        listed(h, "dead" + std::to_string(i) + "@CIC", static_cast<std::uint16_t>(7000 + i), true);
    }
    EXPECT_EQ(h.dials.size(), dials) << h.dump();
    EXPECT_EQ(h.node->peer_count(), 4u);
    EXPECT_TRUE(has(hello_from(h, "192.0.2.52", "legit2@CIC"), "HELLO_OK")) << h.dump();
    // At the same peer_id but a new address it is a new peer: a new probation.
    EXPECT_TRUE(wanted(h, "dead0@CIC", 7100));
}

TEST(PeerAdmission, AListedPeerThatEverAnsweredKeepsItsRecord) {
    ScriptHost h(small(1));
    listed(h, "carol@CIC", 7000);
    ASSERT_EQ(h.dials.size(), 1u);
    LinkId l = h.dials[0].link;
    h.node->on_link_connected(l);
    h.take(l);  // HELLO
    h.feed(l,
           "{\"type\":\"HELLO_OK\",\"peer_id\":\"carol@CIC\",\"version\":\"1.0\","
           "\"features\":[\"ack\"],\"ttl\":1}\n");
    h.node->on_link_down(l, LinkDownReason::kClosedByPeer);
    std::size_t done = 1;
    for (int i = 0; i < 4; ++i) {  // carol is down for a while: every redial fails
        h.advance(40'000);
        done = fail_dials(h, done);
    }
    EXPECT_TRUE(wanted(h, "carol@CIC", 7000));
    EXPECT_TRUE(has(hello_from(h, "192.0.2.50", "newcomer@CIC"), "\"error\":\"busy\""));
    EXPECT_TRUE(known(h, "carol@CIC"));
}

}  // namespace
}  // namespace p2p::sim
