// Attack 4 of the hostile-input review: connections that never say HELLO.
//
// With ~150 idle connections held open the node had no free link slot: a
// legit peer was refused until the 10 s handshake timeout, and the node's
// own dials to a known peer failed ("no free link slot", counted as the
// peer's failure) until it gave up. Now connections waiting for their HELLO
// hold at most half the slots and 8 per address, the oldest makes room for
// a newcomer or for our own dial, and a local shortage costs no attempt.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback_source.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/tcp_queues.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

TEST(Attack04_IdleConnections, LegitPeerAndOwnDialGetThroughWhileIdleOnesAreHeld) {
    DeadPort no_rendezvous;
    NodeProcess known, target;
    NodeConfig k;
    k.name = "known";
    k.rendezvous_port = no_rendezvous.port();
    std::string err;
    ASSERT_TRUE(known.start(k, &err)) << err;
    NodeConfig c;
    c.name = "target";
    c.rendezvous_port = no_rendezvous.port();  // 64 records, 136 link slots
    ASSERT_TRUE(target.start(c, &err)) << err;

    // 40 idle connections from one address, then 150 from as many others:
    // more than the node has link slots. None ever says anything.
    std::vector<Fd> idle;
    for (int i = 0; i < 40; ++i)
        idle.emplace_back(connect_from("127.0.0.250", target.port()));
    for (int i = 0; i < 150; ++i)
        idle.emplace_back(connect_from(loopback_source(i), target.port()));
    ASSERT_TRUE(wait_accepted(target.port(), 190, 10s)) << "the node did not accept them all";

    // A legit peer is accepted within 2 s, not after the 10 s timeout.
    RawPeer legit;
    ASSERT_TRUE(legit.connect(target.port()));
    auto t0 = Clock::now();
    ASSERT_TRUE(legit.hello("legit@CIC", {"ack"}, 2s)) << target.dump();
    EXPECT_LT(Clock::now() - t0, 2s);

    // The node's own dial to a known peer gets a slot, first time.
    std::string at = "127.0.0.1:" + std::to_string(known.port());
    ASSERT_TRUE(target.command("/connect " + at));
    EXPECT_TRUE(target.wait_link_up("known@CIC", 5s)) << target.dump();
    EXPECT_FALSE(target.saw("^peer (" + regex_escape(at) + "|known@CIC) STALE")) << target.dump();
    bool listed = false;
    for (int attempt = 0; attempt < 10 && !listed; ++attempt) {
        ASSERT_TRUE(target.command("/peers"));
        listed = target
                     .expect("^known@CIC +127\\.0\\.0\\.1:" + std::to_string(known.port()) +
                                 " +CONNECTED +out +[-0-9.]+ *(static)?$",
                             500ms)
                     .has_value();
    }
    EXPECT_TRUE(listed) << target.dump();
    // The legit link still works: a PING is answered.
    ASSERT_TRUE(legit.send_raw(make_ping("p1")));
    auto pong = legit.read_type("PONG", 5s);
    ASSERT_TRUE(pong) << target.dump();
    EXPECT_EQ(pong->str("msg_id"), "p1");
}

}  // namespace
}  // namespace p2p::test
