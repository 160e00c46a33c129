// Attack 8 of the hostile-input review: log amplification.
//
// One WARN per dropped message and per refused connection: a PING flood
// from a peer that never reads produced 176 000 WARN lines. Now each kind of
// event is logged once per subject per 10 s window and then summarized with
// its count ("control messages dropped (outgoing queue full): ...: 6656 in
// the last 10 s").
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback_source.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

std::size_t warn_lines(Process& proc) {
    std::size_t n = 0;
    for (const std::string& line : proc.lines(Stream::kStderr))
        n += line.find("WARN") != std::string::npos;
    return n;
}

TEST(Attack08_LogFlood, PingFloodAndRefusedConnectionsLogAFewCountedLines) {
    DeadPort no_rendezvous;
    NodeConfig c;
    c.name = "target";
    c.rendezvous_port = no_rendezvous.port();
    NodeProcess target;
    std::string err;
    ASSERT_TRUE(target.start(c, &err)) << err;
    std::size_t warns_at_start = warn_lines(target.proc());

    // A peer with a tiny receive buffer that says HELLO, then only writes.
    RawPeer flooder(connect_from("127.0.0.1", target.port(), 4096));
    ASSERT_TRUE(flooder.hello("flooder@CIC", {"ack"})) << target.dump();
    std::string batch;
    for (int i = 0; i < 500; ++i)
        batch += make_ping("f" + std::to_string(i));
    const int kBatches = 100;  // 50 000 PINGs
    for (int b = 0; b < kBatches; ++b)
        ASSERT_TRUE(flooder.send_raw(batch)) << "the node stopped reading\n" << target.dump();

    // And a burst of connections from one address, past its 8 waiting ones.
    std::vector<int> refused;
    for (int i = 0; i < 200; ++i)
        refused.push_back(connect_from("127.0.0.77", target.port()));

    // The window ends: the summaries name how many were dropped / refused.
    std::vector<std::string> groups;
    auto dropped = target.proc().wait_for_line(
        "control messages dropped \\(outgoing queue full\\): 127\\.0\\.0\\.1:[0-9]+: ([0-9]+) in "
        "the last",
        15s, Stream::kStderr, &groups);
    ASSERT_TRUE(dropped) << target.dump();
    EXPECT_GT(std::stoll(groups.at(1)), 1000) << *dropped;
    auto refusals = target.proc().wait_for_line(
        "connections refused \\(no slot for them\\): 127\\.0\\.0\\.77: ([0-9]+) in the last", 5s,
        Stream::kStderr, &groups);
    ASSERT_TRUE(refusals) << target.dump();
    EXPECT_GE(std::stoll(groups.at(1)), 150) << *refusals;

    std::size_t warns = warn_lines(target.proc()) - warns_at_start;
    // docs/security.md row 8 documents 7 WARN lines over the whole attack; 10 is 1.4x.
    EXPECT_LE(warns, 10u) << target.dump();
    std::printf("WARN lines during the attack: %zu\n  %s\n  %s\n", warns, dropped->c_str(),
                refusals->c_str());

    // The node still answers someone else.
    RawPeer other;
    ASSERT_TRUE(other.connect(target.port()));
    ASSERT_TRUE(other.hello("other@CIC", {"ack"})) << target.dump();
    ASSERT_TRUE(other.send_raw(make_ping("o1")));
    EXPECT_TRUE(other.read_type("PONG", 5s)) << target.dump();
    for (int fd : refused)
        if (fd >= 0) ::close(fd);
}

}  // namespace
}  // namespace p2p::test
