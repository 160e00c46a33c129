// p2pchat against a scripted peer that behaves like the deployed Python peers
// (docs/protocol.md §4, "Living with peers that speak only the revised protocol").
//
// First the scripted peer itself is checked against a raw peer, so a failure
// in the interop tests below points at the node, not at the emulation.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/legacy_peer.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

int count(const std::vector<std::string>& v, const std::string& s) {
    return static_cast<int>(std::count(v.begin(), v.end(), s));
}

LegacyPeerOptions fast_options() {
    LegacyPeerOptions o;
    o.retransmit_after = {300ms, 600ms, 1200ms};
    return o;
}

// ---- the emulation itself ------------------------------------------------------

TEST(LegacyPeerSelf, AnswersHelloWithoutRelayAndAcksWithoutSrc) {
    LegacyPeer legacy;
    ASSERT_TRUE(legacy.listen());
    RawPeer raw;
    ASSERT_TRUE(raw.connect(legacy.port()));
    auto ok = raw.hello("raw@CIC", {"ack", "relay", "who_has"});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->str("peer_id"), "legacy@CIC");
    EXPECT_EQ(ok->strings("features"), std::vector<std::string>{"ack"});

    ASSERT_TRUE(raw.send_raw(make_send("m-1", "raw@CIC", "legacy@CIC", "hi")));
    auto ack = raw.read_type("ACK");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->str("msg_id"), "m-1");
    EXPECT_FALSE(ack->has("src"));
    EXPECT_TRUE(ack->is_number("timestamp")) << "epoch number expected: " << ack->text();

    ASSERT_TRUE(raw.send_raw(make_ping("p-1")));
    auto pong = raw.read_type("PONG");
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->str("msg_id"), "p-1");
    EXPECT_FALSE(pong->has("src"));
}

TEST(LegacyPeerSelf, KeepsOnlyTheFirstLineOfARead) {
    LegacyPeer legacy;
    ASSERT_TRUE(legacy.listen());
    RawPeer raw;
    ASSERT_TRUE(raw.connect(legacy.port()));
    ASSERT_TRUE(raw.hello("raw@CIC"));
    ASSERT_TRUE(raw.send_raw(make_send("a", "raw@CIC", "legacy@CIC", "one") +
                             make_send("b", "raw@CIC", "legacy@CIC", "two")));
    auto ack = raw.read_type("ACK");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->str("msg_id"), "a");
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.dropped.size() == 1; }));
    EXPECT_NE(legacy.snapshot().dropped[0].find("\"two\""), std::string::npos);
    EXPECT_TRUE(raw.silent_for(200ms));
}

TEST(LegacyPeerSelf, ClosesOnPubNonObjectAndEmptyLine) {
    LegacyPeer legacy;
    ASSERT_TRUE(legacy.listen());
    for (const std::string& bad :
         {make_pub("p", "raw@CIC", "#CIC", "x"), std::string("[1]\n"), std::string("\n")}) {
        RawPeer raw;
        ASSERT_TRUE(raw.connect(legacy.port()));
        ASSERT_TRUE(raw.hello("raw@CIC"));
        ASSERT_TRUE(raw.send_raw(bad));
        EXPECT_TRUE(raw.wait_closed()) << bad;
    }
}

TEST(LegacyPeerSelf, DropsTtlZero) {
    LegacyPeer legacy;
    ASSERT_TRUE(legacy.listen());
    RawPeer raw;
    ASSERT_TRUE(raw.connect(legacy.port()));
    ASSERT_TRUE(raw.hello("raw@CIC"));
    ASSERT_TRUE(raw.send_raw(make_send("z", "raw@CIC", "legacy@CIC", "x", true, 0)));
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.ttl_dropped.size() == 1; }));
    EXPECT_TRUE(raw.silent_for(200ms));  // no ACK for a dropped SEND
}

TEST(LegacyPeerSelf, RetransmitsWithSameIdUntilAckedAndPingsOnlyWhenDialing) {
    RawListener listener;
    ASSERT_TRUE(listener.ok());
    LegacyPeerOptions o = fast_options();
    o.ping_interval = 100ms;
    LegacyPeer legacy(o);
    ASSERT_TRUE(legacy.dial(listener.port()));
    auto raw = listener.accept();
    ASSERT_TRUE(raw);
    ASSERT_TRUE(raw->accept_hello("raw@CIC"));
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    std::string id = legacy.send_message("raw@CIC", "again");
    ASSERT_FALSE(id.empty());
    int copies = 0;
    int pings = 0;
    while (copies < 2) {
        auto line = raw->read_line(3s);
        ASSERT_TRUE(line);
        JsonLine json(*line);
        if (json.type() == "PING") ++pings;
        if (json.type() == "SEND") {
            EXPECT_EQ(json.str("msg_id"), id);
            ++copies;
        }
    }
    ASSERT_TRUE(raw->send_raw("{\"type\":\"ACK\",\"msg_id\":\"" + id + "\",\"ttl\":1}\n"));
    ASSERT_TRUE(legacy.wait_until([&](const LegacyState& s) { return contains(s.acked, id); }));
    // Once the ACK counted, no copy is written any more: wait past the whole
    // schedule and compare what reached the wire with what had been written.
    int written = count(legacy.snapshot().sends_written, id);
    EXPECT_LT(written, 4);
    auto until = std::chrono::steady_clock::now() + 1500ms;
    while (auto line = raw->read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
               until - std::chrono::steady_clock::now()))) {
        JsonLine json(*line);
        if (json.type() == "PING") ++pings;
        if (json.type() == "SEND") ++copies;
        if (std::chrono::steady_clock::now() >= until) break;
    }
    EXPECT_EQ(copies, written);
    EXPECT_EQ(count(legacy.snapshot().sends_written, id), written);
    EXPECT_GE(pings, 1);

    // The accepting side never pings, whatever its interval.
    LegacyPeer acceptor(o);
    ASSERT_TRUE(acceptor.listen());
    RawPeer dialer;
    ASSERT_TRUE(dialer.connect(acceptor.port()));
    ASSERT_TRUE(dialer.hello("raw@CIC"));
    EXPECT_TRUE(dialer.silent_for(500ms));
}

TEST(LegacyPeerSelf, PublishesToABareNamespace) {
    LegacyPeer legacy;
    ASSERT_TRUE(legacy.listen());
    RawPeer raw;
    ASSERT_TRUE(raw.connect(legacy.port()));
    ASSERT_TRUE(raw.hello("raw@CIC"));
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    ASSERT_FALSE(legacy.publish("CIC", "all of you").empty());
    auto pub = raw.read_type("PUB");
    ASSERT_TRUE(pub);
    EXPECT_EQ(pub->str("dst"), "CIC");
    EXPECT_EQ(pub->str("payload"), "all of you");
}

// ---- p2pchat with the legacy peer ----------------------------------------------

class LegacyInterop : public ::testing::Test {
  protected:
    NodeConfig node_config(std::vector<std::string> peers = {}) {
        NodeConfig c;
        c.name = "node";
        c.rendezvous_port = dead_.port();
        c.peers = std::move(peers);
        return c;
    }

    // Legacy -> node: each message shown once by the node, each ACKed.
    void legacy_to_node(LegacyPeer& legacy, int n) {
        for (int i = 0; i < n; ++i) {
            std::string text = "from legacy " + std::to_string(i);
            std::string id = legacy.send_message("node@CIC", text);
            ASSERT_FALSE(id.empty());
            ASSERT_TRUE(node_.expect("^msg legacy@CIC: " + regex_escape(text) + "$"))
                << node_.dump();
            ASSERT_TRUE(legacy.wait_until([&](const LegacyState& s) {
                return contains(s.acked, id);
            })) << "no ACK matched for "
                << id;
        }
    }

    // Node -> legacy: typed back to back, so the node must pace them (one
    // write each, one SEND awaiting its ACK); all delivered, in order, none
    // dropped. `round` keeps the texts of successive calls apart.
    void node_to_legacy(LegacyPeer& legacy, int n, const std::string& round) {
        std::size_t before = legacy.snapshot().send_payloads().size();
        std::vector<std::string> expected;
        for (int i = 0; i < n; ++i) {
            expected.push_back(round + " from node " + std::to_string(i));
            ASSERT_TRUE(node_.command("/msg legacy@CIC " + expected.back()));
        }
        for (int i = 0; i < n; ++i)
            ASSERT_TRUE(node_.expect("^delivered \\S+ to legacy@CIC")) << node_.dump();
        ASSERT_TRUE(legacy.wait_until(
            [&](const LegacyState& s) { return s.send_payloads().size() >= before + n; }));
        auto all = legacy.snapshot().send_payloads();
        std::vector<std::string> got(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
        EXPECT_EQ(got, expected);
    }

    void expect_nothing_lost(LegacyPeer& legacy) {
        auto state = legacy.snapshot();
        EXPECT_TRUE(state.dropped.empty())
            << "the node wrote two messages in one write; lost: " << state.dropped[0];
        EXPECT_TRUE(state.ttl_dropped.empty()) << state.ttl_dropped[0];
        EXPECT_TRUE(state.closes.empty()) << state.closes[0];
    }

    DeadPort dead_;
    NodeProcess node_;
};

TEST_F(LegacyInterop, LegacyDialsUsAndMessagesFlowBothWays) {
    ASSERT_TRUE(node_.start(node_config())) << node_.dump();
    LegacyPeer legacy(fast_options());
    ASSERT_TRUE(legacy.dial(node_.port()));
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << node_.dump();
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    auto state = legacy.snapshot();
    EXPECT_EQ(state.remote_ids[0], "node@CIC");
    EXPECT_FALSE(contains(state.remote_features, "relay")) << "HELLO_OK must be an intersection";

    legacy_to_node(legacy, 3);
    node_to_legacy(legacy, 5, "first");
    legacy_to_node(legacy, 2);
    expect_nothing_lost(legacy);
}

TEST_F(LegacyInterop, WeDialLegacyAndMessagesFlowBothWays) {
    LegacyPeer legacy(fast_options());
    ASSERT_TRUE(legacy.listen());
    ASSERT_TRUE(node_.start(node_config({"127.0.0.1:" + std::to_string(legacy.port())})))
        << node_.dump();
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << node_.dump();
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    auto hello = legacy.snapshot().received.at(0);
    EXPECT_EQ(hello.type, "HELLO");
    EXPECT_EQ(JsonLine(hello.line).str("peer_id"), "node@CIC");

    node_to_legacy(legacy, 5, "first");
    legacy_to_node(legacy, 3);
    node_to_legacy(legacy, 2, "second");
    expect_nothing_lost(legacy);
}

TEST_F(LegacyInterop, LinkDroppedWithoutByeIsRedialedAndMessagesResume) {
    LegacyPeer legacy(fast_options());
    ASSERT_TRUE(legacy.listen());
    ASSERT_TRUE(node_.start(node_config({"127.0.0.1:" + std::to_string(legacy.port())})))
        << node_.dump();
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << node_.dump();
    node_to_legacy(legacy, 1, "before");
    // A crashed Python peer: the socket closes, no BYE.
    legacy.drop_links();
    ASSERT_TRUE(node_.expect("^link legacy@CIC down")) << node_.dump();
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << "never redialed\n" << node_.dump();
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 2; }));
    node_to_legacy(legacy, 2, "after");
    legacy_to_node(legacy, 1);
    auto state = legacy.snapshot();
    EXPECT_TRUE(state.dropped.empty()) << state.dropped[0];
}

TEST_F(LegacyInterop, RetransmittedSendShownOnceAndAckedEveryCopy) {
    ASSERT_TRUE(node_.start(node_config())) << node_.dump();
    LegacyPeerOptions o = fast_options();
    o.ignore_first_acks = 2;  // as if our first two ACKs were lost
    LegacyPeer legacy(o);
    ASSERT_TRUE(legacy.dial(node_.port()));
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << node_.dump();
    std::string id = legacy.send_message("node@CIC", "say it once");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(legacy.wait_until([&](const LegacyState& s) { return contains(s.acked, id); }))
        << node_.dump();
    auto state = legacy.snapshot();
    EXPECT_EQ(count(state.sends_written, id), 3);
    int acks = 0;
    for (const auto& r : state.received)
        if (r.type == "ACK" && r.msg_id == id) ++acks;
    EXPECT_EQ(acks, 3) << "every copy must be ACKed";
    // A marker message proves the node has processed everything before it.
    legacy_to_node(legacy, 1);
    int shown = 0;
    for (const auto& line : node_.proc().lines())
        if (line == "msg legacy@CIC: say it once") ++shown;
    EXPECT_EQ(shown, 1) << node_.dump();
    expect_nothing_lost(legacy);
}

TEST_F(LegacyInterop, BareNamespacePubShownAsHashNamespace) {
    ASSERT_TRUE(node_.start(node_config())) << node_.dump();
    LegacyPeer legacy(fast_options());
    ASSERT_TRUE(legacy.dial(node_.port()));
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << node_.dump();
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    ASSERT_FALSE(legacy.publish("CIC", "hello namespace").empty());
    EXPECT_TRUE(node_.expect("^pub #CIC legacy@CIC: hello namespace$")) << node_.dump();
    // Never echoed back: a PUB would make the legacy peer close the link.
    legacy_to_node(legacy, 1);
    expect_nothing_lost(legacy);
}

TEST_F(LegacyInterop, PingsFromTheDialingLegacyPeerAnsweredAndIsoTimestampsAccepted) {
    ASSERT_TRUE(node_.start(node_config())) << node_.dump();
    LegacyPeerOptions o = fast_options();
    o.ping_interval = 200ms;
    o.iso_timestamps = true;
    LegacyPeer legacy(o);
    ASSERT_TRUE(legacy.dial(node_.port()));
    ASSERT_TRUE(legacy.wait_until([](const LegacyState& s) { return s.pongs_received >= 3; }))
        << node_.dump();
    legacy_to_node(legacy, 2);
    auto state = legacy.snapshot();
    for (const auto& r : state.received) {
        if (r.type == "PONG") {
            EXPECT_FALSE(r.msg_id.empty()) << r.line;
        }
    }
    expect_nothing_lost(legacy);
}

TEST_F(LegacyInterop, EveryLineTheNodeWritesCarriesTtlAtLeastOne) {
    ASSERT_TRUE(node_.start(node_config({}))) << node_.dump();
    LegacyPeer legacy(fast_options());
    ASSERT_TRUE(legacy.dial(node_.port()));
    ASSERT_TRUE(node_.wait_link_up("legacy@CIC")) << node_.dump();
    node_to_legacy(legacy, 2, "ttl");
    for (const auto& r : legacy.snapshot().received) {
        JsonLine json(r.line);
        auto ttl = json.integer("ttl");
        ASSERT_TRUE(ttl.has_value()) << r.line;
        EXPECT_GE(*ttl, 1) << r.line;
    }
}

}  // namespace
}  // namespace p2p::test
