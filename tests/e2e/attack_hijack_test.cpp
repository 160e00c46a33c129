// Attack 1 of the hostile-input review: take over a linked peer's id.
//
// A second connection, from another address, says HELLO with the peer_id of
// a peer that is already linked. It used to win the duplicate-link rule: it
// got the next message addressed to that peer and its text was shown under
// the real peer's name. Now the live link is kept (it answers the PING the
// node sends to check), the newcomer gets HELLO_REJECT, and only a link that
// does not answer yields (docs/protocol.md §4 "Duplicate links").
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kVictim = "x@CIC";
constexpr const char* kOtherHost = "127.0.0.2";  // the attacker's source address

class Attack01_PeerIdHijack : public ::testing::Test {
  protected:
    void SetUp() override {
        NodeConfig c;
        c.name = "target";
        c.rendezvous_port = dead_.port();
        std::string err;
        ASSERT_TRUE(node_.start(c, &err)) << err;
        // The real x@CIC links and talks: a live, established link.
        ASSERT_TRUE(real_.connect(node_.port()));
        ASSERT_TRUE(real_.hello(kVictim)) << node_.dump();
        ASSERT_TRUE(node_.wait_link_up(kVictim)) << node_.dump();
        ASSERT_TRUE(real_.send_raw(make_send("real-1", kVictim, "target@CIC", "hi from x")));
        ASSERT_TRUE(real_.read_type("ACK")) << node_.dump();
        ASSERT_TRUE(node_.expect("^msg x@CIC: hi from x$")) << node_.dump();
    }

    // The attacker's HELLO as x@CIC, with a SEND right behind it.
    RawPeer impostor_hello() {
        RawPeer attacker;
        EXPECT_TRUE(attacker.connect_from(kOtherHost, node_.port()));
        EXPECT_TRUE(
            attacker.send_raw(make_hello("HELLO", kVictim, {"ack", "metrics", "relay", "who_has"}) +
                              make_send("evil-1", kVictim, "target@CIC", "i am x, trust me")));
        return attacker;
    }

    DeadPort dead_;
    NodeProcess node_;
    RawPeer real_;
};

TEST_F(Attack01_PeerIdHijack, TheLiveLinkKeepsItsIdAndTheImpostorIsRejected) {
    RawPeer attacker = impostor_hello();
    auto answer = attacker.read_line(5s);
    ASSERT_TRUE(answer) << node_.dump();
    EXPECT_EQ(JsonLine(*answer).type(), "HELLO_REJECT") << *answer;
    EXPECT_TRUE(attacker.wait_closed(5s)) << "the impostor's link stays open";

    // The node checks the real link with a PING; the real peer answers.
    auto probe = real_.read_type("PING", 5s);
    ASSERT_TRUE(probe) << node_.dump();
    ASSERT_TRUE(real_.send_raw(make_ping("real-ping")));  // and talks on
    ASSERT_TRUE(real_.send_line("{\"type\":\"PONG\",\"msg_id\":\"" + probe->str("msg_id") +
                                "\",\"ttl\":1}"));

    // The next message to x@CIC reaches the real peer.
    ASSERT_TRUE(node_.command("/msg x@CIC still you?"));
    auto send = real_.read_type("SEND", 5s);
    ASSERT_TRUE(send) << node_.dump();
    EXPECT_EQ(send->str("payload"), "still you?");
    ASSERT_TRUE(real_.send_raw("{\"type\":\"ACK\",\"msg_id\":\"" + send->str("msg_id") +
                               "\",\"ttl\":1}\n"));
    ASSERT_TRUE(node_.expect("^delivered \\S+ to x@CIC")) << node_.dump();

    // Past the probe's deadline the real link is still up, and the
    // attacker's text was never shown under x@CIC.
    EXPECT_FALSE(node_.expect("^link x@CIC down", 6s)) << node_.dump();
    EXPECT_FALSE(node_.saw("i am x, trust me")) << node_.dump();
    RawPeer again = impostor_hello();  // trying again changes nothing
    auto second = again.read_line(5s);
    ASSERT_TRUE(second);
    EXPECT_EQ(JsonLine(*second).type(), "HELLO_REJECT") << *second;
    EXPECT_FALSE(node_.saw("i am x, trust me")) << node_.dump();
}

TEST_F(Attack01_PeerIdHijack, ALinkThatNoLongerAnswersYields) {
    // The real peer goes silent (its host died; the socket stays open).
    RawPeer attacker = impostor_hello();
    auto answer = attacker.read_line(5s);
    ASSERT_TRUE(answer) << node_.dump();
    EXPECT_EQ(JsonLine(*answer).type(), "HELLO_REJECT") << *answer;
    // The probe goes unanswered: the node closes the dead link.
    std::vector<std::string> drained;
    EXPECT_TRUE(real_.wait_closed(10s, &drained)) << node_.dump();
    ASSERT_TRUE(node_.expect("^link x@CIC down", 5s)) << node_.dump();

    // Now the id is free: the newcomer links and gets x@CIC's messages.
    RawPeer successor;
    ASSERT_TRUE(successor.connect_from(kOtherHost, node_.port()));
    auto ok = successor.hello(kVictim);
    ASSERT_TRUE(ok) << node_.dump();
    EXPECT_EQ(ok->type(), "HELLO_OK");
    ASSERT_TRUE(node_.wait_link_up(kVictim)) << node_.dump();
    ASSERT_TRUE(node_.command("/msg x@CIC who is there?"));
    auto send = successor.read_type("SEND", 5s);
    ASSERT_TRUE(send) << node_.dump();
    EXPECT_EQ(send->str("payload"), "who is there?");
}

}  // namespace
}  // namespace p2p::test
