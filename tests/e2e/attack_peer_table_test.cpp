// Attack 3 of the hostile-input review: fill the peer table with names.
//
// Records of peers that said HELLO and left stayed for 600 s, so 64 fake
// HELLOs made every later peer hear `busy / peer table full` for ten
// minutes. Now a record that holds nothing (no link, no dial, no pending
// message) and came from an inbound HELLO makes room for a newcomer, one
// address creates at most --max-peers-per-address records, and the peers
// found by the rendezvous or given with --peer keep their place.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback_source.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

NodeConfig named(const std::string& name, std::uint16_t rendezvous_port) {
    NodeConfig c;
    c.name = name;
    c.rendezvous_port = rendezvous_port;
    return c;
}

// Lists /peers until `peer_id` shows as CONNECTED (the table is printed whole).
bool listed_connected(NodeProcess& node, const std::string& peer_id) {
    for (int attempt = 0; attempt < 10; ++attempt) {
        if (!node.command("/peers")) return false;
        if (node.expect("^" + regex_escape(peer_id) + " +127\\.0\\.0\\.1:[0-9]+ +CONNECTED", 500ms))
            return true;
    }
    return false;
}

// One fake peer: connect from `source`, HELLO under `name`, then leave
// without a word. True if the node answered HELLO_OK.
bool hello_and_leave(const std::string& source, std::uint16_t port, const std::string& name) {
    RawPeer fake(connect_from(source, port));
    if (!fake.connected()) return false;
    return fake.hello(name, {"ack"}, 5s).has_value();
}

TEST(Attack03_PeerTableFlood, FakeHellosThatLeaveDoNotLockOutANewPeer) {
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;
    DeadPort no_rendezvous;
    NodeProcess static_peer, buddy, target;
    ASSERT_TRUE(static_peer.start(named("static", no_rendezvous.port()), &err)) << err;
    ASSERT_TRUE(buddy.start(named("buddy", rdv.port()), &err)) << err;  // found by DISCOVER
    NodeConfig c = named("target", rdv.port());
    c.peers = {static_peer.address()};
    ASSERT_TRUE(target.start(c, &err)) << err;
    // Both links, in whichever order they come up.
    auto linked = [&](const char* id) { return target.saw(std::string("^link ") + id + " up"); };
    auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    while (!(linked("static@CIC") && linked("buddy@CIC")) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(linked("static@CIC") && linked("buddy@CIC")) << target.dump();

    // 100 names (the table has 64 records): 30 from one address, the rest
    // from 20 others, each saying HELLO and leaving at once.
    const int kFakes = 100;
    int answered = 0;
    for (int i = 0; i < kFakes; ++i) {
        std::string source = i < 30 ? "127.0.0.200" : loopback_source(i % 20);
        answered += hello_and_leave(source, target.port(), "fake" + std::to_string(i) + "@CIC");
    }
    // The node has seen the last one leave: its record is STALE, not linked.
    ASSERT_TRUE(target.expect("^peer fake" + std::to_string(kFakes - 1) + "@CIC STALE", 10s))
        << target.dump();
    EXPECT_GE(answered, kFakes - 10) << "fake peers refused while idle records could make room";

    // A legit peer is accepted at once.
    RawPeer legit;
    ASSERT_TRUE(legit.connect(target.port()));
    auto t0 = Clock::now();
    auto ok = legit.hello("legit@CIC", {"ack"}, 2s);
    ASSERT_TRUE(ok) << "HELLO refused after the flood\n" << target.dump();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(ok->type(), "HELLO_OK");

    // One address holding its links open fills no more than its share: past
    // --max-peers-per-address (16) its HELLOs are refused, everyone else's not.
    std::vector<RawPeer> held;
    int held_ok = 0;
    for (int i = 0; i < 24; ++i) {
        RawPeer p(connect_from("127.0.0.201", target.port()));
        held_ok += p.hello("held" + std::to_string(i) + "@CIC", {"ack"}, 5s).has_value();
        held.push_back(std::move(p));
    }
    EXPECT_EQ(held_ok, 16) << target.dump();
    RawPeer second;
    ASSERT_TRUE(second.connect(target.port()));
    EXPECT_TRUE(second.hello("second@CIC", {"ack"}, 2s)) << target.dump();

    // The static and the discovered peer kept their records and their links.
    EXPECT_FALSE(target.saw("^peer (static|buddy)@CIC (GONE|STALE)")) << target.dump();
    EXPECT_TRUE(listed_connected(target, "static@CIC")) << target.dump();
    EXPECT_TRUE(listed_connected(target, "buddy@CIC")) << target.dump();
}

}  // namespace
}  // namespace p2p::test
