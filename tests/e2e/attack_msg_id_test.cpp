// Issue 14, item 6: predictable msg_ids, against the real binary.
//
// msg_ids came from one splitmix64 generator seeded once: from one observed
// id an attacker computed the generator's state and every later id (to
// pre-send them and poison seen caches, or to forge ACKs). Now they are 122
// bits from getrandom, as UUIDv4 (docs/protocol.md §4).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/splitmix_predictor.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

// The msg_ids of the SENDs `node` writes to a raw peer it accepted, for
// `count` typed /msg lines (each ACKed, so the next one goes out).
std::vector<std::string> ids_of_sends(NodeProcess& node, int count) {
    std::vector<std::string> ids;
    RawPeer raw;
    if (!raw.connect(node.port()) || !raw.hello("raw@CIC", {"ack", "relay"}, 5s)) return ids;
    if (!node.wait_link_up("raw@CIC")) return ids;
    for (int i = 0; i < count; ++i) {
        if (!node.command("/msg raw@CIC hello " + std::to_string(i))) break;
        for (int lines = 0; lines < 20; ++lines) {
            auto line = raw.read_line(5s);
            if (!line) return ids;
            JsonLine j(*line);
            if (j.type() != "SEND") continue;
            ids.push_back(j.str("msg_id"));
            raw.send_line(R"({"type":"ACK","msg_id":")" + ids.back() + R"("})");
            break;
        }
    }
    return ids;
}

TEST(Attack14_MsgIds, OneObservedIdDoesNotGiveTheNext) {
    DeadPort no_rendezvous;
    NodeConfig c;
    c.name = "alice";
    c.rendezvous_port = no_rendezvous.port();
    NodeProcess first, second;
    std::string err;
    ASSERT_TRUE(first.start(c, &err)) << err;
    std::vector<std::string> ids = ids_of_sends(first, 8);
    ASSERT_EQ(ids.size(), 8u) << first.dump();
    const std::regex uuid4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    for (const std::string& id : ids)
        EXPECT_TRUE(std::regex_match(id, uuid4)) << id;
    // The old attack: the generator's state from one id, then its next
    // outputs (allowing 64 draws for jitter and GREASE in between).
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
        auto predicted = predicted_after(ids[i]);
        for (std::size_t j = i + 1; j < ids.size(); ++j)
            EXPECT_EQ(predicted.count(ids[j]), 0u) << ids[j] << " was predicted from " << ids[i];
    }
    first.quit();
    // The same config again: other ids.
    ASSERT_TRUE(second.start(c, &err)) << err;
    std::vector<std::string> again = ids_of_sends(second, 2);
    ASSERT_EQ(again.size(), 2u) << second.dump();
    EXPECT_NE(again[0], ids[0]);
    EXPECT_NE(again[1], ids[1]);
}

}  // namespace
}  // namespace p2p::test
