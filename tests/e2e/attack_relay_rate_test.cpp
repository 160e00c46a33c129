// Attack 12 of the hostile-input review: escape the relay's per-origin rate
// by making up a fresh `src` for each SEND.
//
// A raw neighbour negotiates `relay` with a real node and hands it SENDs for
// carol (another neighbour), each claiming a new origin. The per-origin limit
// never trips (each origin sends one message), so before the per-link limit
// every one of them was relayed. Now the node answers RELAY_FAIL over_quota
// past the per-link budget, and another neighbour's SEND still flows.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

TEST(Attack12_RelayRateBypass, FreshSrcPerSendIsLimitedPerLinkOthersStillFlow) {
    DeadPort dead;
    NodeConfig c;
    c.name = "relay";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--relay-rate-link", "20"};  // per-origin stays at its default of 50
    NodeProcess node;
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;

    RawPeer carol;  // the destination: reads what the relay forwards
    ASSERT_TRUE(carol.connect(node.port()));
    ASSERT_TRUE(carol.hello("carol@CIC").has_value());
    RawPeer attacker;
    ASSERT_TRUE(attacker.connect(node.port()));
    ASSERT_TRUE(attacker.hello("mallory@CIC").has_value());
    RawPeer dave;  // an honest neighbour relaying too
    ASSERT_TRUE(dave.connect(node.port()));
    ASSERT_TRUE(dave.hello("dave@CIC").has_value());
    ASSERT_TRUE(node.wait_link_up("dave@CIC")) << node.dump();

    // 100 SENDs in one write, each from a made-up origin.
    constexpr int kFlood = 100;
    std::string burst;
    for (int i = 0; i < kFlood; ++i)
        burst += make_send("f" + std::to_string(i), "ghost" + std::to_string(i) + "@CIC",
                           "carol@CIC", "spam", true, 1);
    ASSERT_TRUE(attacker.send_raw(burst));
    int ok = 0;
    int over_quota = 0;
    for (int i = 0; i < kFlood; ++i) {
        auto line = attacker.read_line(5s);
        ASSERT_TRUE(line.has_value()) << "answer " << i << " missing\n" << node.dump();
        JsonLine j(*line);
        if (j.type() == "RELAY_OK") ++ok;
        if (j.type() == "RELAY_FAIL" && j.str("reason") == "over_quota") ++over_quota;
    }
    // One or two one-second windows of 20 at most; everything else refused.
    EXPECT_LE(ok, 40);
    EXPECT_GE(over_quota, kFlood - 40);
    EXPECT_EQ(ok + over_quota, kFlood);

    // The honest neighbour's SEND still goes through, and carol gets it.
    ASSERT_TRUE(dave.send_raw(make_send("d1", "dave@CIC", "carol@CIC", "still here", true, 1)));
    auto answer = dave.read_type("RELAY_OK", 5s);
    ASSERT_TRUE(answer.has_value()) << node.dump();
    EXPECT_EQ(answer->str("msg_id"), "d1");
    bool got = false;
    int spam = 0;
    for (int i = 0; i < kFlood + 1 && !got; ++i) {
        auto line = carol.read_line(5s);
        ASSERT_TRUE(line.has_value()) << node.dump();
        JsonLine j(*line);
        if (j.type() != "SEND") continue;
        if (j.str("msg_id") == "d1")
            got = j.str("payload") == "still here";
        else
            ++spam;
    }
    EXPECT_TRUE(got);
    EXPECT_EQ(spam, ok);  // exactly what was admitted reached carol
    // The node still answers.
    ASSERT_TRUE(dave.send_raw(make_ping("p1")));
    EXPECT_TRUE(dave.read_type("PONG", 5s).has_value());
}

}  // namespace
}  // namespace p2p::test
