// Eclipse through the rendezvous (issue 14, item 4; docs/security.md): fake
// registrations at dead addresses used to fill a node's peer table (64) for
// as long as they were renewed, so two honest nodes on that rendezvous never
// linked and HELLOs got `busy`. A listed peer now earns its record by
// answering: its first dials are a probation, past which it makes room and
// is not tracked again (core/node_admission.cpp, core/failed_adverts.h), and
// the client's freed slots go to a random pick of what did not fit
// (core/rendezvous_client.h).
#include <gtest/gtest.h>

#include <string>

#include "core/rendezvous_wire.h"
#include "tests/sim/sim_node.h"

namespace p2p::sim {
namespace {

constexpr MonoMs kDiscoveryMs = 15'000;  // the client's default interval

struct Eclipse : ::testing::Test {
    Net net{14};
    SimRendezvousServer rdv{net};
    std::vector<std::unique_ptr<SimNode>> nodes;

    // `count` registrations at addresses where nothing listens, spread over
    // `addresses` source IPs, straight into the registry (the rate limit
    // counts connections; these would pass it spread over a minute).
    void register_fakes(int count, int addresses) {
        for (int i = 0; i < count; ++i) {
            char line[rdv::kRdvLineBytes];
            std::string name = "fake" + std::to_string(i);
            std::size_t n = rdv::encode_register(line, sizeof line, "CIC", name,
                                                 static_cast<std::uint16_t>(20000 + i), 86400);
            std::string ip = "10.66." + std::to_string(i % addresses / 250) + "." +
                             std::to_string(i % addresses % 250 + 1);
            rdv.registry().handle(line, n - 1, ip, 50000);
        }
    }
    SimNode& add(const std::string& name) {
        int i = static_cast<int>(nodes.size()) + 1;
        nodes.push_back(std::make_unique<SimNode>(
            net, sim_config(name, "CIC", 1400 + static_cast<std::uint64_t>(i)),
            "10.0.14." + std::to_string(i), static_cast<std::uint16_t>(7000 + i)));
        return *nodes.back();
    }
    bool linked(SimNode& a, SimNode& b) { return a.connected_to(b.id()) && b.connected_to(a.id()); }
    // `fakes` dead registrations from `addresses` IPs, then two honest nodes
    // join: alice and bob.
    void poison_then_join(int fakes, int addresses) {
        register_fakes(fakes, addresses);
        ASSERT_EQ(rdv.registry().size(), static_cast<std::size_t>(fakes));
        add("alice").join(rdv);
        add("bob").join(rdv);
    }
};

TEST_F(Eclipse, EightyDeadRegistrationsFromTwoAddressesDoNotKeepTwoHonestNodesApart) {
    ASSERT_NO_FATAL_FAILURE(poison_then_join(80, 2));
    SimNode& a = *nodes[0];
    SimNode& b = *nodes[1];
    // Two discovery intervals: the first DISCOVER lists the fakes first and
    // they fill the table; by the second they failed their probation.
    ASSERT_TRUE(net.run_until([&] { return linked(a, b); }, 2 * kDiscoveryMs + 1'000)) << a.dump();
    // An honest HELLO is accepted too: the fakes' records make room.
    SimNode& c = add("carol");
    ASSERT_TRUE(c.node().add_static_peer(a.ip(), a.port()));
    EXPECT_TRUE(net.run_until([&] { return linked(a, c); }, 5'000)) << a.dump();
    // The fakes renew their registrations every round: they never win
    // their place back, and the links hold.
    net.run_for(10 * kDiscoveryMs);
    EXPECT_TRUE(linked(a, b) && linked(a, c)) << a.dump();
    EXPECT_LE(a.node().peer_count(), a.node().config().max_peers);
}

TEST_F(Eclipse, ALyingRendezvousListingThousandsOfDeadPeersOnlyDelaysTheHonestOnes) {
    // 3000 dead peers at 3000 addresses. After each DISCOVER the client
    // keeps a uniform sample of up to 512 listed peers that did not fit (8
    // per tracking slot) and hands them to the node as fast as the ones it
    // tries fail their probation; those that failed are never tried again.
    // So the node tries about 512 new peers per interval, and the honest
    // peer is reached within 3000 / 512 = 6 intervals at worst (20 seeds:
    // 3 to 65 s, median 23 s).
    ASSERT_NO_FATAL_FAILURE(poison_then_join(3000, 3000));
    SimNode& a = *nodes[0];
    SimNode& b = *nodes[1];
    MonoMs t0 = net.clock.mono_ms();
    ASSERT_TRUE(net.run_until([&] { return linked(a, b); }, 7 * kDiscoveryMs)) << a.dump();
    MonoMs took = net.clock.mono_ms() - t0;
    RecordProperty("rounds_to_link", static_cast<int>(took / kDiscoveryMs));
    std::printf("linked after %lld s (%lld discovery rounds)\n",
                static_cast<long long>(took / 1000), static_cast<long long>(took / kDiscoveryMs));
    // Meanwhile an honest HELLO is never refused for long.
    SimNode& c = add("carol");
    ASSERT_TRUE(c.node().add_static_peer(a.ip(), a.port()));
    EXPECT_TRUE(net.run_until([&] { return linked(a, c); }, 5'000)) << a.dump();
}

}  // namespace
}  // namespace p2p::sim
