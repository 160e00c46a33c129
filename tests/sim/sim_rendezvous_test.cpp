// The real rendezvous client and registry over the simulated network
// (sim_rendezvous.h): one request per connection, closed after its answer;
// registrations renewed at ttl/2 keep a peer listed; one left to lapse is
// expired by the client.
#include <gtest/gtest.h>

#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

struct Rendezvous : ::testing::Test {
    Net net{5};
    SimRendezvousServer rdv{net};
    std::vector<std::unique_ptr<SimNode>> nodes;

    SimNode& add(const std::string& name) {
        int i = static_cast<int>(nodes.size()) + 1;
        nodes.push_back(std::make_unique<SimNode>(
            net, sim_config(name, "CIC", 900 + static_cast<std::uint64_t>(i)),
            "10.0.5." + std::to_string(i), static_cast<std::uint16_t>(7000 + i)));
        return *nodes.back();
    }
};

TEST_F(Rendezvous, EachRequestIsOneConnectionClosedAfterItsAnswer) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    a.join(rdv);
    b.join(rdv);
    ASSERT_TRUE(net.run_until([&] { return a.connected_to("bob@CIC"); }, 5000)) << a.dump();
    EXPECT_EQ(rdv.registry().size(), 2u);
    net.run_for(40000);  // two more DISCOVER rounds each
    // REGISTER + at least three DISCOVERs per node, every one answered...
    EXPECT_GE(rdv.answered(), 8u);
    // ...and closed: what stays open is the one peer link.
    EXPECT_EQ(a.node().link_count(), 1u);
    EXPECT_EQ(net.open_connections(), 1u);
}

TEST_F(Rendezvous, RenewedRegistrationKeepsThePeerAndALapsedOneIsForgotten) {
    SimNode& a = add("alice");
    SimNode& b = add("bob");
    a.join(rdv);
    b.join(rdv, 60);  // re-registers every 30 s
    ASSERT_TRUE(net.run_until([&] { return a.connected_to("bob@CIC"); }, 5000)) << a.dump();
    net.run_for(200000);
    PeerView v;
    ASSERT_TRUE(a.peer_state("bob@CIC", v)) << a.dump();
    EXPECT_EQ(v.state, PeerState::kConnected);
    EXPECT_EQ(rdv.registry().size(), 2u);
    // bob freezes: its registration lapses within 60 s and alice's client
    // expires it from the DISCOVER answers, before keep-alive (3 PINGs 30 s
    // apart) declares the link dead: by then alice has no address to redial.
    net.freeze(b.host());
    ASSERT_TRUE(net.run_until(
        [&] { return a.peer_state("bob@CIC", v) && v.state == PeerState::kStale; }, 200000))
        << a.dump();
    EXPECT_EQ(rdv.registry().size(), 1u);
    EXPECT_NE(a.events.back().reason.find("no address to redial"), std::string::npos) << a.dump();
}

}  // namespace
}  // namespace p2p::sim
