// Black-box wire tests of a real p2pchat node's peer links (docs/protocol.md §2,
// §4), one rule per test, numbered like Mosquitto's protocol tests: a raw
// peer writes exact bytes and checks what comes back.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

constexpr char kRawId[] = "raw@CIC";

class PeerWire : public ::testing::Test {
  protected:
    void SetUp() override {
        NodeConfig c;
        c.name = "wire";
        c.rendezvous_port = dead_.port();
        std::string err;
        ASSERT_TRUE(node_.start(c, &err)) << err;
    }

    // A raw peer that dialed the node and completed the handshake.
    RawPeer linked(const std::vector<std::string>& features = {"ack", "metrics", "relay",
                                                               "who_has"}) {
        RawPeer raw;
        EXPECT_TRUE(raw.connect(node_.port()));
        EXPECT_TRUE(raw.hello(kRawId, features)) << node_.dump();
        return raw;
    }

    // The link still works: a PING is answered with its PONG (other lines
    // before it are returned in *before).
    void expect_alive(RawPeer& raw, const std::string& id,
                      std::vector<std::string>* before = nullptr) {
        ASSERT_TRUE(raw.send_raw(make_ping(id)));
        auto pong = raw.read_type("PONG", 5s, before);
        ASSERT_TRUE(pong) << "link no longer answers PING\n" << node_.dump();
        EXPECT_EQ(pong->str("msg_id"), id);
    }

    int shown(const std::string& exact) {
        auto lines = node_.proc().lines();
        return static_cast<int>(std::count(lines.begin(), lines.end(), exact));
    }

    DeadPort dead_;
    NodeProcess node_;
};

std::set<std::string> as_set(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
}

// 01: HELLO_OK answers with our id, version, and the intersection of
// features: whatever the node supports, offering less gives exactly the
// common part, and names it never heard of are never echoed.
TEST_F(PeerWire, T01_HelloOkCarriesFeatureIntersection) {
    const std::set<std::string> known = {"ack", "metrics", "relay", "who_has"};
    RawPeer all;
    ASSERT_TRUE(all.connect(node_.port()));
    auto full = all.hello("everything@CIC", {"ack", "metrics", "relay", "who_has", "teleport"});
    ASSERT_TRUE(full) << node_.dump();
    std::set<std::string> supported = as_set(full->strings("features"));
    EXPECT_TRUE(supported.count("ack")) << full->text();
    for (const auto& f : supported)
        EXPECT_TRUE(known.count(f)) << f;

    RawPeer raw;
    ASSERT_TRUE(raw.connect(node_.port()));
    auto ok = raw.hello(kRawId, {"ack", "relay", "teleport"});
    ASSERT_TRUE(ok) << node_.dump();
    EXPECT_EQ(ok->str("type"), "HELLO_OK");
    EXPECT_EQ(ok->str("peer_id"), "wire@CIC");
    EXPECT_FALSE(ok->str("version").empty());
    std::set<std::string> expected;
    for (const auto& f : {"ack", "relay"})
        if (supported.count(f)) expected.insert(f);
    EXPECT_EQ(as_set(ok->strings("features")), expected) << ok->text();
    EXPECT_EQ(ok->integer("ttl"), 1);
    EXPECT_TRUE(ok->text().ends_with(",\"ttl\":1}")) << "ttl is written last: " << ok->text();
    EXPECT_TRUE(node_.wait_link_up(kRawId)) << node_.dump();
}

// 02: no features in HELLO means none in common.
TEST_F(PeerWire, T02_HelloWithoutFeaturesGetsNone) {
    RawPeer raw;
    ASSERT_TRUE(raw.connect(node_.port()));
    ASSERT_TRUE(raw.send_raw(
        "{\"type\":\"HELLO\",\"peer_id\":\"raw@CIC\",\"version\":\"1.0\",\"ttl\":1}\n"));
    auto ok = raw.read_type("HELLO_OK");
    ASSERT_TRUE(ok) << node_.dump();
    EXPECT_TRUE(ok->strings("features").empty()) << ok->text();
}

// 03: anything before HELLO is bad_format, and the link is closed.
TEST_F(PeerWire, T03_MessageBeforeHelloIsBadFormatThenClose) {
    RawPeer raw;
    ASSERT_TRUE(raw.connect(node_.port()));
    ASSERT_TRUE(raw.send_raw(make_ping("early")));
    auto err = raw.read_type("ERROR");
    ASSERT_TRUE(err) << node_.dump();
    EXPECT_EQ(err->str("error"), "bad_format");
    EXPECT_TRUE(raw.wait_closed()) << node_.dump();
}

// 04: a HELLO carrying the node's own peer_id is a loop: refused and closed.
TEST_F(PeerWire, T04_OwnPeerIdRefused) {
    RawPeer raw;
    ASSERT_TRUE(raw.connect(node_.port()));
    ASSERT_TRUE(raw.send_raw(make_hello("HELLO", "wire@CIC", {"ack"})));
    std::vector<std::string> lines;
    ASSERT_TRUE(raw.wait_closed(5s, &lines)) << node_.dump();
    ASSERT_FALSE(lines.empty());
    for (const auto& line : lines)
        EXPECT_NE(JsonLine(line).type(), "HELLO_OK") << line;
    JsonLine err(lines.front());
    EXPECT_EQ(err.type(), "ERROR");
    EXPECT_EQ(err.str("error"), "bad_format");
}

// 05: PING is answered with a PONG carrying the same msg_id, at once.
TEST_F(PeerWire, T05_PingAnsweredWithPongAtOnce) {
    RawPeer raw = linked();
    auto sent = std::chrono::steady_clock::now();
    ASSERT_TRUE(raw.send_raw(make_ping("ping-05")));
    auto pong = raw.read_type("PONG", 5s);
    ASSERT_TRUE(pong) << node_.dump();
    EXPECT_EQ(pong->str("msg_id"), "ping-05");
    EXPECT_EQ(pong->integer("ttl"), 1);
    // "At once": not held back for a timer tick or the next ping interval.
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);
}

// 06: an unknown type gets p2p_unknown_command with ref; the link stays open.
TEST_F(PeerWire, T06_UnknownTypeGetsUnknownCommandWithRef) {
    RawPeer raw = linked();
    ASSERT_TRUE(raw.send_raw("{\"type\":\"FROBNICATE\",\"msg_id\":\"u-06\",\"ttl\":1}\n"));
    auto err = raw.read_type("ERROR");
    ASSERT_TRUE(err) << node_.dump();
    EXPECT_EQ(err->str("error"), "p2p_unknown_command");
    EXPECT_EQ(err->str("ref"), "u-06");
    EXPECT_EQ(err->integer("ttl"), 1);
    expect_alive(raw, "alive-06");
}

// 07: a line that is not a JSON object is bad_format; the link stays open.
TEST_F(PeerWire, T07_NonObjectLineIsBadFormatLinkStaysOpen) {
    RawPeer raw = linked();
    for (const char* bad : {"[1,2,3]\n", "not json at all\n", "{\"no_type\":1}\n"}) {
        ASSERT_TRUE(raw.send_raw(bad));
        auto err = raw.read_type("ERROR");
        ASSERT_TRUE(err) << bad << node_.dump();
        EXPECT_EQ(err->str("error"), "bad_format") << bad;
    }
    expect_alive(raw, "alive-07");
}

// 08: a 40000-byte line is answered with exactly the spec's line_too_long
// line, discarded to its newline, and the link keeps working.
TEST_F(PeerWire, T08_LongLineGetsLineTooLongAndLinkSurvives) {
    RawPeer raw = linked();
    std::string huge = make_send("big-08", kRawId, "wire@CIC", std::string(40000, 'x'));
    ASSERT_GT(huge.size(), 40000u);
    ASSERT_TRUE(raw.send_raw(huge));
    auto line = raw.read_line();
    ASSERT_TRUE(line) << node_.dump();
    EXPECT_EQ(*line, "{\"type\":\"ERROR\",\"error\":\"line_too_long\",\"limit\":32768,\"ttl\":1}");
    std::vector<std::string> before;
    expect_alive(raw, "alive-08", &before);
    EXPECT_TRUE(before.empty()) << "the tail of the long line was parsed: " << before[0];
    EXPECT_FALSE(node_.saw("x{100}")) << "the oversized SEND must not be shown";
}

// 09: a SEND is ACKed every time it arrives but shown once.
TEST_F(PeerWire, T09_RepeatedSendAckedEveryTimeShownOnce) {
    RawPeer raw = linked();
    std::string line = make_send("send-09", kRawId, "wire@CIC", "hello wire");
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(raw.send_raw(line));
        auto ack = raw.read_type("ACK");
        ASSERT_TRUE(ack) << "copy " << i << "\n" << node_.dump();
        EXPECT_EQ(ack->str("msg_id"), "send-09");
        EXPECT_EQ(ack->integer("ttl"), 1);
    }
    ASSERT_TRUE(node_.expect("^msg raw@CIC: hello wire$")) << node_.dump();
    EXPECT_EQ(shown("msg raw@CIC: hello wire"), 1) << node_.dump();
}

// 10: an ERROR (in any of the spec's forms) is never answered with an ERROR.
TEST_F(PeerWire, T10_ErrorNeverAnsweredWithError) {
    RawPeer raw = linked();
    ASSERT_TRUE(raw.send_raw("{\"type\":\"ERROR\",\"error\":\"bad_format\",\"ttl\":1}\n"));
    ASSERT_TRUE(raw.send_raw("{\"type\":\"ERROR\",\"code\":\"no_route\",\"ref\":\"x\"}\n"));
    ASSERT_TRUE(raw.send_raw("{\"type\":\"ERROR\",\"error\":\"made_up_code\"}\n"));
    std::vector<std::string> before;
    expect_alive(raw, "alive-10", &before);
    for (const auto& b : before)
        EXPECT_NE(JsonLine(b).type(), "ERROR") << b;
}

// 11: BYE is answered with BYE_OK (same msg_id), then the node closes.
TEST_F(PeerWire, T11_ByeAnsweredWithByeOk) {
    RawPeer raw = linked();
    ASSERT_TRUE(node_.wait_link_up(kRawId)) << node_.dump();
    ASSERT_TRUE(
        raw.send_raw("{\"type\":\"BYE\",\"msg_id\":\"bye-11\",\"src\":\"raw@CIC\",\"dst\":"
                     "\"wire@CIC\",\"reason\":\"Encerrando sess\xc3\xa3o\",\"ttl\":1}\n"));
    auto ok = raw.read_type("BYE_OK");
    ASSERT_TRUE(ok) << node_.dump();
    EXPECT_EQ(ok->str("msg_id"), "bye-11");
    EXPECT_EQ(ok->str("src"), "wire@CIC");
    EXPECT_EQ(ok->str("dst"), kRawId);
    EXPECT_TRUE(raw.wait_closed()) << node_.dump();
    EXPECT_TRUE(node_.expect("^link raw@CIC down")) << node_.dump();
}

// 12: the ACK the node writes names the message and the acknowledging peer.
TEST_F(PeerWire, T12_AckFields) {
    RawPeer raw = linked();
    ASSERT_TRUE(raw.send_raw(make_send("send-12", kRawId, "wire@CIC", "fields")));
    auto ack = raw.read_type("ACK");
    ASSERT_TRUE(ack) << node_.dump();
    EXPECT_EQ(ack->str("msg_id"), "send-12");
    EXPECT_EQ(ack->str("from"), "wire@CIC");
    EXPECT_TRUE(ack->text().ends_with(",\"ttl\":1}")) << ack->text();
}

// 13: /msg over a link leaves as a SEND with require_ack; our ACK gives
// the user a `delivered` line for that msg_id.
TEST_F(PeerWire, T13_MsgBecomesSendAndAckGivesDelivered) {
    RawPeer raw = linked();
    ASSERT_TRUE(node_.wait_link_up(kRawId)) << node_.dump();
    ASSERT_TRUE(node_.command("/msg raw@CIC over the wire"));
    auto send = raw.read_type("SEND");
    ASSERT_TRUE(send) << node_.dump();
    EXPECT_EQ(send->str("src"), "wire@CIC");
    EXPECT_EQ(send->str("dst"), kRawId);
    EXPECT_EQ(send->str("payload"), "over the wire");
    EXPECT_TRUE(send->boolean("require_ack"));
    EXPECT_EQ(send->integer("ttl"), 1);
    std::string id = send->str("msg_id");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(raw.send_raw("{\"type\":\"ACK\",\"msg_id\":\"" + id +
                             "\",\"from\":\"raw@CIC\",\"timestamp\":1761560001.5,\"ttl\":1}\n"));
    EXPECT_TRUE(node_.expect("^delivered " + regex_escape(id) + " to raw@CIC")) << node_.dump();
}

// 14: a SEND never ACKed is retransmitted with the same msg_id, the user
// sees ack_timeout, and the user finally sees it undelivered.
TEST_F(PeerWire, T14_UnackedSendRetransmittedSameIdThenUndelivered) {
    RawPeer raw = linked();
    ASSERT_TRUE(node_.wait_link_up(kRawId)) << node_.dump();
    ASSERT_TRUE(node_.command("/msg raw@CIC nobody answers"));
    auto first = raw.read_type("SEND");
    ASSERT_TRUE(first) << node_.dump();
    std::string id = first->str("msg_id");
    // 5 s per attempt: well inside the 30 s budget for one test only if we
    // answer PINGs meanwhile (the default interval is 30 s, so none come).
    for (int retry = 1; retry <= 3; ++retry) {
        auto copy = raw.read_type("SEND", 10s);
        ASSERT_TRUE(copy) << "retry " << retry << "\n" << node_.dump();
        EXPECT_EQ(copy->str("msg_id"), id);
        EXPECT_EQ(copy->str("payload"), "nobody answers");
    }
    EXPECT_TRUE(node_.saw("^ack_timeout " + regex_escape(id) + " to raw@CIC")) << node_.dump();
    EXPECT_TRUE(node_.expect("^undelivered " + regex_escape(id) + " to raw@CIC: ", 10s))
        << node_.dump();
}

// 15: the node dials: it sends HELLO first, with its features, and
// completes the link on our HELLO_OK.
TEST_F(PeerWire, T15_NodeDialsWithHello) {
    RawListener listener;
    ASSERT_TRUE(listener.ok());
    ASSERT_TRUE(node_.command("/connect 127.0.0.1:" + std::to_string(listener.port())));
    auto raw = listener.accept(10s);
    ASSERT_TRUE(raw) << node_.dump();
    auto hello = raw->accept_hello(kRawId, {"ack"});
    ASSERT_TRUE(hello) << node_.dump();
    EXPECT_EQ(hello->str("peer_id"), "wire@CIC");
    EXPECT_FALSE(hello->str("version").empty());
    auto features = as_set(hello->strings("features"));
    EXPECT_TRUE(features.count("ack")) << hello->text();
    int grease = 0;  // one random unknown token (docs/protocol.md §4)
    for (const auto& f : features) {
        grease += f.starts_with("x-grease-");
        EXPECT_TRUE(f.starts_with("x-grease-") ||
                    (std::set<std::string>{"ack", "metrics", "relay", "who_has", "noise"}).count(f))
            << f;
    }
    EXPECT_EQ(grease, 1) << hello->text();
    EXPECT_TRUE(node_.expect("^link raw@CIC up outbound")) << node_.dump();
}

// 16: a SEND whose link broke before its ACK is retransmitted, same
// msg_id, on the link the node rebuilds by redialing, and delivered then.
TEST_F(PeerWire, T16_PendingSendRetransmittedOnRedialedLink) {
    RawListener listener;
    ASSERT_TRUE(listener.ok());
    ASSERT_TRUE(node_.command("/connect 127.0.0.1:" + std::to_string(listener.port())));
    auto raw = listener.accept(10s);
    ASSERT_TRUE(raw) << node_.dump();
    ASSERT_TRUE(raw->accept_hello(kRawId, {"ack"})) << node_.dump();
    ASSERT_TRUE(node_.wait_link_up(kRawId)) << node_.dump();
    ASSERT_TRUE(node_.command("/msg raw@CIC survive the cut"));
    auto first = raw->read_type("SEND");
    ASSERT_TRUE(first) << node_.dump();
    std::string id = first->str("msg_id");
    raw->close();  // cut without BYE and without ACK
    ASSERT_TRUE(node_.expect("^link raw@CIC down")) << node_.dump();

    auto again = listener.accept(15s);  // the node redials (backoff ~1 s)
    ASSERT_TRUE(again) << node_.dump();
    ASSERT_TRUE(again->accept_hello(kRawId, {"ack"})) << node_.dump();
    auto copy = again->read_type("SEND", 15s);
    ASSERT_TRUE(copy) << node_.dump();
    EXPECT_EQ(copy->str("msg_id"), id);
    EXPECT_EQ(copy->str("payload"), "survive the cut");
    ASSERT_TRUE(again->send_raw("{\"type\":\"ACK\",\"msg_id\":\"" + id + "\",\"ttl\":1}\n"));
    EXPECT_TRUE(node_.expect("^delivered " + regex_escape(id) + " to raw@CIC")) << node_.dump();
    EXPECT_FALSE(node_.saw("^undelivered " + regex_escape(id))) << node_.dump();
}

// 17: the same when the peer had dialed us: the node cannot redial it, but
// the SEND stays pending through its retries, so when the peer comes back
// within them it still gets the message (nothing typed is given up early).
TEST_F(PeerWire, T17_PendingSendRetransmittedWhenPeerDialsBack) {
    RawPeer raw = linked();
    ASSERT_TRUE(node_.wait_link_up(kRawId)) << node_.dump();
    ASSERT_TRUE(node_.command("/msg raw@CIC wait for me"));
    auto first = raw.read_type("SEND");
    ASSERT_TRUE(first) << node_.dump();
    std::string id = first->str("msg_id");
    raw.close();
    ASSERT_TRUE(node_.expect("^link raw@CIC down")) << node_.dump();

    RawPeer again = linked();
    auto copy = again.read_type("SEND", 15s);
    ASSERT_TRUE(copy) << node_.dump();
    EXPECT_EQ(copy->str("msg_id"), id);
    ASSERT_TRUE(again.send_raw("{\"type\":\"ACK\",\"msg_id\":\"" + id + "\",\"ttl\":1}\n"));
    EXPECT_TRUE(node_.expect("^delivered " + regex_escape(id) + " to raw@CIC")) << node_.dump();
}

}  // namespace
}  // namespace p2p::test
