// The relay's loop guards, each of which a planted bug once slipped past
// every test (issue 14): the PUB ttl check, the WHO_HAS de-duplication by
// (src, msg_id), and the 10-minute window of the seen-msg_id cache. One node
// driven line by line (ScriptHost): its neighbours are the test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/sim/script_host.h"

namespace p2p::sim {
namespace {

const std::string kRelayFeatures = "[\"ack\",\"metrics\",\"relay\",\"who_has\"]";

std::string pub(const std::string& msg_id, const std::string& src, int ttl) {
    return "{\"type\":\"PUB\",\"msg_id\":\"" + msg_id + "\",\"src\":\"" + src +
           "\",\"dst\":\"*\",\"payload\":\"news\",\"require_ack\":false,\"ttl\":" +
           std::to_string(ttl) + "}\n";
}

std::string who_has(const std::string& msg_id, const std::string& src, int ttl) {
    return "{\"type\":\"WHO_HAS\",\"msg_id\":\"" + msg_id + "\",\"src\":\"" + src +
           "\",\"dst\":\"nobody@CIC\",\"ttl\":" + std::to_string(ttl) + "}\n";
}

std::string send(const std::string& msg_id, const std::string& src) {
    return "{\"type\":\"SEND\",\"msg_id\":\"" + msg_id + "\",\"src\":\"" + src +
           "\",\"dst\":\"node@CIC\",\"payload\":\"hi\",\"require_ack\":true,\"ttl\":1}\n";
}

// The lines of `type` among `lines`, with their ttl.
std::vector<int> ttls_of(const std::vector<std::string>& lines, const std::string& type) {
    std::vector<int> ttls;
    for (const std::string& l : lines) {
        if (l.find("\"type\":\"" + type + "\"") == std::string::npos) continue;
        std::size_t at = l.find("\"ttl\":");
        ttls.push_back(at == std::string::npos ? 1 : std::stoi(l.substr(at + 6)));
    }
    return ttls;
}

// A node with three relay neighbours a, b, c.
struct Hub : ::testing::Test {
    ScriptHost h{config()};
    LinkId a = h.accept_and_handshake("a@CIC", kRelayFeatures);
    LinkId b = h.accept_and_handshake("b@CIC", kRelayFeatures);
    LinkId c = h.accept_and_handshake("c@CIC", kRelayFeatures);

    static NodeConfig config() {
        NodeConfig cfg = sim_config("node");
        cfg.relay_ttl = 3;  // so the clamp to --relay-ttl does not hide the ttl rule
        return cfg;
    }
};

TEST_F(Hub, APubIsPassedOnOnlyWithAHopLeftAndOneHopLess) {
    h.feed(a, pub("spent", "a@CIC", 0));
    EXPECT_TRUE(ttls_of(h.take(b), "PUB").empty());  // ttl 0: shown here, passed on nowhere
    EXPECT_TRUE(ttls_of(h.take(c), "PUB").empty());
    EXPECT_EQ(h.count(EventKind::kPub), 1);
    h.feed(a, pub("last-hop", "a@CIC", 1));
    EXPECT_EQ(ttls_of(h.take(b), "PUB"), std::vector<int>{0});
    EXPECT_EQ(ttls_of(h.take(c), "PUB"), std::vector<int>{0});
    h.feed(a, pub("far", "a@CIC", 1'000'000));  // clamped to --relay-ttl 3, one hop spent
    EXPECT_EQ(ttls_of(h.take(b), "PUB"), std::vector<int>{2});
    EXPECT_EQ(ttls_of(h.take(c), "PUB"), std::vector<int>{2});
    EXPECT_EQ(h.node->forward_counts().at(Forward::kPub, ForwardVerdict::kTtlExpired), 1u);
    EXPECT_EQ(h.node->forward_counts().at(Forward::kPub, ForwardVerdict::kPass), 2u);
}

TEST_F(Hub, AWhoHasIsHandledOncePerSrcAndMsgIdWhicheverLinkItComesOn) {
    h.feed(a, who_has("w1", "x@CIC", 3));
    EXPECT_EQ(ttls_of(h.take(b), "WHO_HAS"), std::vector<int>{2});
    EXPECT_EQ(ttls_of(h.take(c), "WHO_HAS"), std::vector<int>{2});
    // The same query back over another path, and again on the first link:
    // a loop, dropped.
    h.feed(b, who_has("w1", "x@CIC", 2));
    h.feed(a, who_has("w1", "x@CIC", 3));
    EXPECT_TRUE(ttls_of(h.take(a), "WHO_HAS").empty());
    EXPECT_TRUE(ttls_of(h.take(b), "WHO_HAS").empty());
    EXPECT_TRUE(ttls_of(h.take(c), "WHO_HAS").empty());
    // Another asker that happens to pick the same msg_id is its own query.
    h.feed(a, who_has("w1", "y@CIC", 3));
    EXPECT_EQ(ttls_of(h.take(c), "WHO_HAS"), std::vector<int>{2});
    EXPECT_EQ(h.node->forward_counts().at(Forward::kWhoHas, ForwardVerdict::kPass), 2u);
}

// Issue 14 item 3, through the node: a neighbour's flood of fresh msg_ids
// must not push another link's entries out of the seen cache, or an honest
// PUB coming back over a third link is shown twice.
TEST(SeenShares, AFloodOnOneLinkLeavesTheOtherLinksDuplicatesKnown) {
    NodeConfig cfg = sim_config("node");
    cfg.seen_cache_entries = 64;
    ScriptHost h{cfg};
    LinkId a = h.accept_and_handshake("a@CIC", kRelayFeatures);
    LinkId m = h.accept_and_handshake("m@CIC", kRelayFeatures);
    LinkId c = h.accept_and_handshake("c@CIC", kRelayFeatures);
    h.feed(a, pub("honest", "a@CIC", 0));
    for (int i = 0; i < 1000; ++i) {
        h.feed(m, pub("flood" + std::to_string(i), "m@CIC", 0));
        h.take(a);
        h.take(m);
        h.take(c);
    }
    EXPECT_EQ(h.count(EventKind::kPub), 1001);
    h.feed(c, pub("honest", "a@CIC", 0));  // the same PUB over another path
    EXPECT_EQ(h.count(EventKind::kPub), 1001) << "shown twice";
    EXPECT_EQ(h.node->stats().duplicates, 1u);
}

// Keeps a's link alive (answers the node's PINGs) while `ms` pass.
void idle(ScriptHost& h, LinkId l, MonoMs ms) {
    for (MonoMs done = 0; done < ms; done += 1000) {
        h.advance(std::min<MonoMs>(1000, ms - done));
        for (const std::string& line : h.take(l)) {
            if (line.find("\"type\":\"PING\"") == std::string::npos) continue;
            std::size_t at = line.find("\"msg_id\":\"") + 10;
            std::string id = line.substr(at, line.find('"', at) - at);
            h.feed(l, "{\"type\":\"PONG\",\"msg_id\":\"" + id + "\",\"ttl\":1}\n");
        }
    }
}

TEST(SeenWindow, ACopyIsADuplicateForTenMinutesThenNewAgain) {
    ScriptHost h{sim_config("node")};  // the default window, as shipped
    LinkId a = h.accept_and_handshake("a@CIC", kRelayFeatures);
    h.feed(a, pub("p1", "a@CIC", 1));
    h.feed(a, send("s1", "a@CIC"));
    EXPECT_EQ(h.count(EventKind::kPub), 1);
    EXPECT_EQ(h.count(EventKind::kMsg), 1);
    idle(h, a, 599'000);
    h.feed(a, pub("p1", "a@CIC", 1));
    h.feed(a, send("s1", "a@CIC"));
    EXPECT_EQ(h.count(EventKind::kPub), 1) << h.dump();  // 9 min 59 s: still a duplicate
    EXPECT_EQ(h.count(EventKind::kMsg), 1) << h.dump();
    EXPECT_EQ(h.node->stats().duplicates, 2u);
    idle(h, a, 1'000);
    h.feed(a, pub("p1", "a@CIC", 1));
    h.feed(a, send("s1", "a@CIC"));
    EXPECT_EQ(h.count(EventKind::kPub), 2) << h.dump();  // 10 min: forgotten, shown again
    EXPECT_EQ(h.count(EventKind::kMsg), 2) << h.dump();
    EXPECT_TRUE(h.closed.empty());
}

}  // namespace
}  // namespace p2p::sim
