// The rendezvous client's tracking table is no first-come gate
// (docs/security.md, "eclipse through the rendezvous"): a listed peer the
// node refuses takes no slot, and the slots of peers the node gave up on go
// to entries picked at random among those that did not fit, whatever their
// place in the answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/rendezvous_client_fixture.h"

namespace p2p {
namespace {

std::vector<DiscoveredPeer> fakes_then(std::vector<std::string>& names, int fakes,
                                       std::vector<std::string> last) {
    names.clear();
    for (int i = 0; i < fakes; ++i)
        names.push_back("fake" + std::to_string(i));
    for (std::string& n : last)
        names.push_back(std::move(n));
    std::vector<DiscoveredPeer> out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out.push_back(entry(names[i], "CIC", "10.9.0.1", static_cast<std::int64_t>(1000 + i)));
    return out;
}

bool tracked(const Recorded& r, const std::string& peer_id) {
    bool in = false;
    for (const std::string& line : r.peers) {
        if (line.rfind("D " + peer_id + " ", 0) == 0) in = true;
        if (line.rfind("X " + peer_id + " ", 0) == 0) in = false;
    }
    return in;
}

TEST_F(RendezvousClientTest, APeerTheNodeRefusesTakesNoSlot) {
    ASSERT_NO_FATAL_FAILURE(registered_with_slots(2));
    listener.unwanted = {"dead@CIC"};
    discover({entry("dead", "CIC", "1.1.1.1", 1), entry("b", "CIC", "1.1.1.1", 2),
              entry("c", "CIC", "1.1.1.1", 3)});
    EXPECT_TRUE(tracked(listener.r, "b@CIC"));
    EXPECT_TRUE(tracked(listener.r, "c@CIC"));
    EXPECT_FALSE(tracked(listener.r, "dead@CIC"));
}

TEST_F(RendezvousClientTest, SlotsOfPeersTheNodeGaveUpOnGoToThoseThatDidNotFit) {
    ASSERT_NO_FATAL_FAILURE(registered_with_slots(4));
    std::vector<std::string> names;
    auto answer = fakes_then(names, 4, {"honest1", "honest2"});
    discover(answer);
    EXPECT_EQ(client->tracked_count(), 4u);
    EXPECT_FALSE(tracked(listener.r, "honest1@CIC"));
    // The four fakes never answered their probation: the node gives up on them.
    for (int i = 0; i < 4; ++i)
        listener.unwanted.insert("fake" + std::to_string(i) + "@CIC");
    clock.advance(15'000);
    discover(answer);
    EXPECT_TRUE(tracked(listener.r, "honest1@CIC")) << ::testing::PrintToString(listener.r.peers);
    EXPECT_TRUE(tracked(listener.r, "honest2@CIC"));
    EXPECT_EQ(client->tracked_count(), 4u);
    EXPECT_EQ(
        std::count(listener.r.peers.begin(), listener.r.peers.end(), "X fake0@CIC 10.9.0.1:1000"),
        1);
}

TEST_F(RendezvousClientTest, FreedSlotsAreRefilledBetweenDiscoveries) {
    ASSERT_NO_FATAL_FAILURE(registered_with_slots(2));
    std::vector<std::string> names;
    discover(fakes_then(names, 2, {"honest1", "honest2"}));
    ASSERT_FALSE(tracked(listener.r, "honest1@CIC"));
    // The node gives up on the two fakes a second later (their probation):
    // their slots go to the spares without waiting 15 s for the next answer.
    listener.unwanted = {"fake0@CIC", "fake1@CIC"};
    clock.advance(1'000);
    EXPECT_LE(client->next_deadline(), clock.mono_ms());
    client->tick();
    EXPECT_TRUE(tracked(listener.r, "honest1@CIC")) << ::testing::PrintToString(listener.r.peers);
    EXPECT_TRUE(tracked(listener.r, "honest2@CIC"));
}

TEST_F(RendezvousClientTest, AFakeListedFirstEveryRoundDoesNotWinTheFreedSlots) {
    // 60 fakes listed before one honest peer, 4 slots: each round the node
    // gives up on the fakes it tried; the freed slots go to a uniform sample
    // of the rest, and a fake it gave up on is never tracked again. The
    // honest peer is tracked within the rounds it takes to try every fake
    // (60 / 4 = 15), and on average in half of them.
    ASSERT_NO_FATAL_FAILURE(registered_with_slots(4));
    std::vector<std::string> names;
    auto answer = fakes_then(names, 60, {"honest"});
    int rounds = 0;
    while (!tracked(listener.r, "honest@CIC") && rounds < 17) {
        discover(answer);
        ++rounds;
        for (const std::string& line : listener.r.peers)  // what was tried never answers
            if (line.rfind("D fake", 0) == 0)
                listener.unwanted.insert(line.substr(2, line.find(' ', 2) - 2));
        clock.advance(15'000);
    }
    EXPECT_TRUE(tracked(listener.r, "honest@CIC")) << rounds << " rounds";
    EXPECT_LE(rounds, 16);
}

}  // namespace
}  // namespace p2p
