// Attack 6 of the hostile-input review: run the node out of descriptors.
//
// With the node capped at 64 descriptors and 100 connections waiting, accept() fails
// with EMFILE while the connections stay queued and the listener stays readable; the
// node used to spin on it at ~96 % CPU. It must pause accepting instead, keep serving
// the links it has, and accept again once descriptors are free.
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback_source.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

TEST(Attack06_FdExhaustion, NodePausesAcceptingKeepsItsLinksAndRecovers) {
    DeadPort dead;
    NodeConfig c;
    c.name = "target";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--max-peers", "256", "--log-level", "INFO"};  // slots are not the limit
    NodeProcess node;
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    // An established link, which must keep working through the attack.
    RawPeer friendly;
    ASSERT_TRUE(friendly.connect(node.port()));
    ASSERT_TRUE(friendly.hello("friend@CIC")) << node.dump();

    rlimit cap{64, 64};
    ASSERT_EQ(::prlimit(node.proc().pid(), RLIMIT_NOFILE, &cap, nullptr), 0);
    // From as many addresses: one address may not hold more than 8 waiting
    // connections (Attack04), and the point here is the descriptors.
    std::vector<RawPeer> flood;
    for (int i = 0; i < 100; ++i) {
        flood.emplace_back(connect_from(loopback_source(i), node.port()));
        EXPECT_TRUE(flood.back().connected());
    }

    // At the limit: the node said so, and has taken what it could.
    EXPECT_TRUE(node.proc().wait_for_line(std::regex("cannot accept: .*descriptor limit 64"), 10s,
                                          Stream::kStderr))
        << node.dump();
    double before = cpu_seconds(node.proc().pid());
    std::this_thread::sleep_for(1s);
    double used = cpu_seconds(node.proc().pid()) - before;
    EXPECT_LT(used, 0.1) << "the node spins on a listener it cannot accept from";
    // The established link is still served.
    ASSERT_TRUE(friendly.send_raw(make_ping("p1")));
    auto pong = friendly.read_type("PONG", 5s);
    ASSERT_TRUE(pong) << node.dump();
    EXPECT_EQ(pong->str("msg_id"), "p1");

    // Descriptors free again: a newcomer is accepted and completes its handshake.
    flood.clear();
    RawPeer late;
    ASSERT_TRUE(late.connect(node.port()));
    EXPECT_TRUE(late.hello("late@CIC", {"ack"}, 10s)) << node.dump();
    EXPECT_TRUE(
        node.proc().wait_for_line(std::regex("accepting again after"), 10s, Stream::kStderr))
        << node.dump();
}

}  // namespace
}  // namespace p2p::test
