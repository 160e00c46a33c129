// Issue 14, items 2 and 3: turn a relay into an amplifier with PUB and
// WHO_HAS floods.
//
// A raw neighbour hands the real node 8 000 PUB * (or WHO_HAS) with fresh
// msg_ids and ttl 1 000 000, and three other neighbours count the copies
// the node passes on. Before the forwarding gate rated them, every one was
// passed to each neighbour with ttl 999 999, also from a link that never
// negotiated `relay`, and the WHO_HAS flood pushed an honest asker's entry
// out of the table that routes answers back. Now the copies are bounded by
// the origin's token bucket (--relay-rate: a burst of one second's worth,
// then the rate), carry the ttl clamped to --relay-ttl, come only from relay
// links, and the honest answer still finds its way (docs/security.md).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kFlood = 8000;
constexpr int kRateOrigin = 50;  // --relay-rate, default

std::string who_has(std::string_view msg_id, std::string_view src, std::string_view dst, int ttl) {
    return "{\"type\":\"WHO_HAS\",\"msg_id\":" + json_quote(msg_id) +
           ",\"src\":" + json_quote(src) + ",\"dst\":" + json_quote(dst) +
           ",\"ttl\":" + std::to_string(ttl) + "}\n";
}

std::string who_has_hit(std::string_view msg_id, std::string_view src, std::string_view dst) {
    return "{\"type\":\"WHO_HAS_HIT\",\"msg_id\":" + json_quote(msg_id) +
           ",\"src\":" + json_quote(src) + ",\"dst\":" + json_quote(dst) +
           ",\"via\":" + json_quote(src) + ",\"ttl\":1}\n";
}

// What the flooded node passed on to one neighbour.
struct Tally {
    int copies = 0;       // lines of the flooded type
    int max_ttl = -1;     // highest ttl among them
    bool honest = false;  // the honest message was among them
};

// A node with three listening neighbours and a flooding one (features as
// given), all linked.
struct Flooded {
    DeadPort dead;
    NodeProcess node;
    std::vector<RawPeer> readers;
    RawPeer attacker;

    bool start(const std::vector<std::string>& args, const std::vector<std::string>& features) {
        NodeConfig c;
        c.name = "relay";
        c.rendezvous_port = dead.port();
        c.extra_args = args;
        std::string err;
        if (!node.start(c, &err)) {
            ADD_FAILURE() << err;
            return false;
        }
        for (int i = 0; i < 3; ++i) {
            readers.emplace_back();
            std::string id = "reader" + std::to_string(i) + "@CIC";
            if (!readers.back().connect(node.port()) || !readers.back().hello(id)) return false;
        }
        return attacker.connect(node.port()) && attacker.hello("mallory@CIC", features) &&
               node.wait_link_up("mallory@CIC");
    }

    // Reads every neighbour in turn until `window` has passed; counts lines of
    // `type`, and whether one carried `honest_id`.
    std::vector<Tally> count(std::string_view type, std::string_view honest_id,
                             Clock::duration window) {
        std::vector<Tally> t(readers.size());
        auto end = Clock::now() + window;
        while (Clock::now() < end)
            for (std::size_t i = 0; i < readers.size(); ++i)
                while (auto line = readers[i].read_line(5ms)) {
                    JsonLine j(*line);
                    if (j.type() != type) continue;
                    if (j.str("msg_id") == honest_id) {
                        t[i].honest = true;
                        continue;
                    }
                    ++t[i].copies;
                    t[i].max_ttl = std::max<int>(t[i].max_ttl, static_cast<int>(*j.integer("ttl")));
                }
        return t;
    }
};

// The origin's bucket: a burst of one second's worth, then the rate.
int origin_bound(Clock::time_point since) {
    double seconds = std::chrono::duration<double>(Clock::now() - since).count();
    return kRateOrigin + static_cast<int>(std::ceil(kRateOrigin * seconds));
}

std::string pub_flood(std::string_view src) {
    std::string burst;
    for (int i = 0; i < kFlood; ++i)
        burst += make_pub("flood" + std::to_string(i), src, "*", "amplify me", 1'000'000);
    return burst;
}

TEST(Attack14_PubAmplification, AFloodIsPassedOnAtTheOriginRateWithTheTtlClamped) {
    Flooded f;
    ASSERT_TRUE(f.start({}, {"ack", "metrics", "relay", "who_has"})) << f.node.dump();
    auto start = Clock::now();
    ASSERT_TRUE(f.attacker.send_raw(pub_flood("mallory@CIC")));
    // The attack's measure: what each neighbour got within (about) a second.
    std::vector<Tally> got = f.count("PUB", "", 1500ms);
    int bound = origin_bound(start);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_GT(got[i].copies, 0) << "reader " << i << " got no copy at all";
        EXPECT_LE(got[i].copies, bound) << "reader " << i << "\n" << f.node.dump();
        // --relay-ttl 1 (the default): one relay at most, this one.
        EXPECT_EQ(got[i].max_ttl, 0) << "reader " << i;
    }
    // /routes counts what the gate admitted and refused.
    ASSERT_TRUE(f.node.command("/routes"));
    std::vector<std::string> groups;
    ASSERT_TRUE(f.node.expect(R"(PUB +([0-9]+) +0 +0 +([0-9]+))", 5s, &groups).has_value())
        << f.node.dump();
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_LE(std::stoi(groups[1]), origin_bound(start));
    EXPECT_GT(std::stoi(groups[2]), 0);
    // The node still answers, and an honest neighbour's PUB still goes out.
    RawPeer dave;
    ASSERT_TRUE(dave.connect(f.node.port()));
    ASSERT_TRUE(dave.hello("dave@CIC").has_value());
    ASSERT_TRUE(dave.send_raw(make_pub("honest", "dave@CIC", "*", "hello", 1)));
    std::vector<Tally> after = f.count("PUB", "honest", 1500ms);
    for (std::size_t i = 0; i < after.size(); ++i)
        EXPECT_TRUE(after[i].honest) << "reader " << i << "\n" << f.node.dump();
    ASSERT_TRUE(dave.send_raw(make_ping("p1")));
    EXPECT_TRUE(dave.read_type("PONG", 5s).has_value());
}

TEST(Attack14_PubAmplification, ALinkWithoutRelayHasItsPubsShownButNeverPassedOn) {
    Flooded f;
    ASSERT_TRUE(f.start({}, {"ack"})) << f.node.dump();  // a legacy neighbour
    ASSERT_TRUE(f.attacker.send_raw(pub_flood("mallory@CIC")));
    std::vector<Tally> got = f.count("PUB", "", 1500ms);
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i].copies, 0) << "reader " << i << "\n" << f.node.dump();
    // They were taken, and shown once each.
    EXPECT_TRUE(f.node.expect("amplify me", 5s).has_value()) << f.node.dump();
}

TEST(Attack14_WhoHasAmplification, AFloodIsAskedFurtherAtTheOriginRateTheHonestAnswerStillReturns) {
    Flooded f;
    ASSERT_TRUE(f.start({"--relay-ttl", "3"}, {"ack", "metrics", "relay", "who_has"}))
        << f.node.dump();
    // An honest asker's WHO_HAS goes out first: the node remembers where to
    // pass the answer back.
    RawPeer dave;
    ASSERT_TRUE(dave.connect(f.node.port()));
    ASSERT_TRUE(dave.hello("dave@CIC").has_value());
    ASSERT_TRUE(f.node.wait_link_up("dave@CIC"));
    ASSERT_TRUE(dave.send_raw(who_has("dave-asks", "dave@CIC", "zed@CIC", 3)));
    auto asked = f.readers[0].read_type("WHO_HAS", 5s);
    ASSERT_TRUE(asked.has_value()) << f.node.dump();
    ASSERT_EQ(asked->str("msg_id"), "dave-asks");

    auto start = Clock::now();
    std::string burst;
    for (int i = 0; i < kFlood; ++i)
        burst += who_has("flood" + std::to_string(i), "mallory@CIC", "nobody@CIC", 1'000'000);
    ASSERT_TRUE(f.attacker.send_raw(burst));
    std::vector<Tally> got = f.count("WHO_HAS", "dave-asks", 1500ms);
    int bound = origin_bound(start);
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_GT(got[i].copies, 0) << "reader " << i;
        EXPECT_LE(got[i].copies, bound) << "reader " << i << "\n" << f.node.dump();
        EXPECT_EQ(got[i].max_ttl, 2) << "reader " << i;  // --relay-ttl 3, one hop spent
    }
    // The honest answer comes back through the node to the asker.
    ASSERT_TRUE(f.readers[0].send_raw(who_has_hit("dave-asks", "reader0@CIC", "zed@CIC")));
    auto hit = dave.read_type("WHO_HAS_HIT", 5s);
    ASSERT_TRUE(hit.has_value()) << f.node.dump();
    EXPECT_EQ(hit->str("msg_id"), "dave-asks");
}

TEST(Attack14_WhoHasAmplification, WithTheDefaultTtlAFloodIsNeverAskedFurther) {
    Flooded f;
    ASSERT_TRUE(f.start({}, {"ack", "metrics", "relay", "who_has"})) << f.node.dump();
    std::string burst;
    for (int i = 0; i < kFlood; ++i)
        burst += who_has("flood" + std::to_string(i), "mallory@CIC", "nobody@CIC", 1'000'000);
    ASSERT_TRUE(f.attacker.send_raw(burst));
    std::vector<Tally> got = f.count("WHO_HAS", "", 1500ms);
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i].copies, 0) << "reader " << i << "\n" << f.node.dump();
    ASSERT_TRUE(f.attacker.send_raw(make_ping("p1")));
    EXPECT_TRUE(f.attacker.read_type("PONG", 5s).has_value());
}

}  // namespace
}  // namespace p2p::test
