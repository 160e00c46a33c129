// What a user pastes or pipes into a node reaches every peer whole and in
// order (issue 8): scripted legacy peers that echo the caller's features or
// answer with a fixed list, and handle only the first line of each read; a
// p2pchat peer fed 10 000 piped lines while the sender's stdin is throttled
// by its user-queue bound, with its RSS watched.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/legacy_peer.h"
#include "tests/support/node_process.h"
#include "tests/support/process.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

LegacyPeerOptions legacy_options(const std::string& id, LegacyPeerOptions::HelloOk hello_ok) {
    LegacyPeerOptions o;
    o.peer_id = id;
    o.hello_ok = hello_ok;
    return o;
}

std::string text_of(const std::string& to, int i) {
    return "line " + std::to_string(i) + " for " + to;
}

// `count` /msg lines to `to`, as one block of bytes.
std::string msg_lines(const std::string& to, int count) {
    std::string block;
    for (int i = 0; i < count; ++i)
        block += "/msg " + to + " " + text_of(to, i) + "\n";
    return block;
}

std::vector<std::string> expected_texts(const std::string& to, int count) {
    std::vector<std::string> v;
    for (int i = 0; i < count; ++i)
        v.push_back(text_of(to, i));
    return v;
}

// Both links up, in whichever order they came.
bool links_up(NodeProcess& node, const std::string& a, const std::string& b) {
    auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (node.saw("^link " + regex_escape(a) + " up") &&
            node.saw("^link " + regex_escape(b) + " up"))
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// A node with no rendezvous (a dead port): links come from --peer only.
NodeConfig without_rendezvous(const std::string& name, const DeadPort& dead,
                              std::vector<std::string> peers = {}) {
    NodeConfig c;
    c.name = name;
    c.rendezvous_port = dead.port();
    c.peers = std::move(peers);
    return c;
}

bool refused_busy(Process& p) {
    return p.has_line(std::regex("busy"));
}

TEST(UserBurst, PasteToAnEchoingAndAFixedListLegacyPeerArrivesWholeAndInOrder) {
    DeadPort dead;
    LegacyPeer echo(legacy_options("la@CIC", LegacyPeerOptions::HelloOk::kEcho));
    LegacyPeer fixed(legacy_options("na@CIC", LegacyPeerOptions::HelloOk::kFixed));
    ASSERT_TRUE(echo.listen());
    ASSERT_TRUE(fixed.listen());
    NodeConfig c;
    c.name = "node";
    c.rendezvous_port = dead.port();
    c.peers = {"127.0.0.1:" + std::to_string(echo.port()),
               "127.0.0.1:" + std::to_string(fixed.port())};
    NodeProcess node;
    ASSERT_TRUE(node.start(c)) << node.dump();
    ASSERT_TRUE(links_up(node, "la@CIC", "na@CIC")) << node.dump();
    // The echo really echoed: `relay` came back in its HELLO_OK.
    ASSERT_TRUE(echo.wait_until([](const LegacyState& s) { return s.handshakes == 1; }));
    auto echoed = echo.snapshot().received.at(0);
    EXPECT_NE(echoed.line.find("\"relay\""), std::string::npos) << echoed.line;

    // 200 lines to each, typed back to back: one block on stdin.
    ASSERT_TRUE(node.proc().write_stdin(msg_lines("la@CIC", 200) + msg_lines("na@CIC", 200), 60s))
        << node.dump();
    for (LegacyPeer* peer : {&echo, &fixed}) {
        ASSERT_TRUE(peer->wait_until(
            [](const LegacyState& s) { return s.send_payloads().size() >= 200; }, 90s))
            << peer->snapshot().send_payloads().size() << " of 200\n"
            << node.dump();
    }
    EXPECT_EQ(echo.snapshot().send_payloads(), expected_texts("la@CIC", 200));
    EXPECT_EQ(fixed.snapshot().send_payloads(), expected_texts("na@CIC", 200));
    for (LegacyPeer* peer : {&echo, &fixed}) {
        auto s = peer->snapshot();
        EXPECT_TRUE(s.dropped.empty()) << "two lines in one write; lost: " << s.dropped[0];
        EXPECT_TRUE(s.closes.empty()) << s.closes[0];
    }
    EXPECT_FALSE(refused_busy(node.proc())) << node.dump();
    EXPECT_FALSE(node.saw("^ack_timeout")) << node.dump();
}

// The p2pchat lines received by `receiver` from `from`, in order.
std::vector<std::string> shown_from(NodeProcess& receiver, const std::string& from) {
    std::vector<std::string> texts;
    std::string prefix = "msg " + from + ": ";
    for (const std::string& line : receiver.proc().lines())
        if (line.rfind(prefix, 0) == 0) texts.push_back(line.substr(prefix.size()));
    return texts;
}

TEST(UserBurst, TenThousandPipedLinesAllDeliveredOnceInOrderWithinTheMemoryBound) {
    constexpr int kToPeer = 10000;
    constexpr int kToLegacy = 1000;
    constexpr long kQueueBytes = 512 * 1024;
    DeadPort dead;
    LegacyPeer legacy(legacy_options("legacy@CIC", LegacyPeerOptions::HelloOk::kFixed));
    ASSERT_TRUE(legacy.listen());
    NodeProcess bob;
    ASSERT_TRUE(bob.start(without_rendezvous("bob", dead))) << bob.dump();
    NodeConfig sc = without_rendezvous(
        "alice", dead, {bob.address(), "127.0.0.1:" + std::to_string(legacy.port())});
    sc.extra_args = {"--max-user-queue-bytes", std::to_string(kQueueBytes)};
    NodeProcess alice;
    ASSERT_TRUE(alice.start(sc)) << alice.dump();
    ASSERT_TRUE(links_up(alice, "bob@CIC", "legacy@CIC")) << alice.dump();
    long baseline = rss_kib(alice.proc().pid());
    ASSERT_GT(baseline, 0);

    // One legacy line after every ten to bob: the slow peer's backlog must
    // not hold bob's lines up.
    std::string input;
    int to_legacy = 0;
    for (int i = 0; i < kToPeer; ++i) {
        input += "/msg bob@CIC " + text_of("bob@CIC", i) + "\n";
        if (i % 10 == 9 && to_legacy < kToLegacy)
            input += "/msg legacy@CIC " + text_of("legacy@CIC", to_legacy++) + "\n";
    }
    ASSERT_EQ(to_legacy, kToLegacy);
    std::atomic<bool> written{false};
    std::atomic<bool> write_ok{false};
    std::thread writer([&] {
        write_ok = alice.proc().write_stdin(input, 180s);
        written = true;
    });
    long peak = baseline;
    bool bob_done_first = false;
    auto deadline = std::chrono::steady_clock::now() + 180s;
    while (std::chrono::steady_clock::now() < deadline) {
        peak = std::max(peak, rss_kib(alice.proc().pid()));
        bool legacy_done = legacy.snapshot().send_payloads().size() >= kToLegacy;
        if (!bob_done_first && !legacy_done && bob.saw(regex_escape(text_of("bob@CIC", 9999))))
            bob_done_first = true;
        if (written && legacy_done && bob.saw(regex_escape(text_of("bob@CIC", kToPeer - 1)))) break;
        std::this_thread::sleep_for(50ms);
    }
    writer.join();
    ASSERT_TRUE(write_ok) << "stdin was not read to the end";
    // Throttled, not refused: the node said so once, and never `busy`.
    EXPECT_TRUE(alice.saw("^info input paused")) << alice.dump();
    EXPECT_FALSE(refused_busy(alice.proc()));
    // Let the last ones be shown.
    ASSERT_TRUE(legacy.wait_until(
        [&](const LegacyState& s) { return s.send_payloads().size() >= kToLegacy; }, 60s));
    auto to_bob = shown_from(bob, "alice@CIC");
    EXPECT_EQ(to_bob, expected_texts("bob@CIC", kToPeer));  // each once, in order
    EXPECT_EQ(legacy.snapshot().send_payloads(), expected_texts("legacy@CIC", kToLegacy));
    EXPECT_TRUE(legacy.snapshot().dropped.empty());
    // Bob's 10 000 were not paced by the legacy peer's 50 ms per message.
    EXPECT_TRUE(bob_done_first) << "bob's lines waited for the legacy peer";
    // The user queue's bound holds: growth within it plus the link queues.
    long growth = peak - baseline;
    std::printf("RSS baseline %ld KiB, peak %ld KiB (+%ld KiB), user queue bound %ld KiB\n",
                baseline, peak, growth, kQueueBytes / 1024);
    EXPECT_LT(growth, 2 * kQueueBytes / 1024 + 1024) << "RSS grew past the configured bounds";
}

// A paste of /pub lines far larger than a link's queue: each /pub waits for
// room on every in-scope link (input is not read meanwhile), none is refused
// with `busy` or left out on a full link, and the subscriber shows them all,
// once, in order.
TEST(UserBurst, PastedPubsWaitForRoomInsteadOfBeingRefused) {
    constexpr int kPubs = 2000;
    DeadPort dead;
    NodeProcess bob;
    ASSERT_TRUE(bob.start(without_rendezvous("bob", dead))) << bob.dump();
    NodeConfig sc = without_rendezvous("alice", dead, {bob.address()});
    sc.extra_args = {"--queue-msgs", "32"};  // a short queue: the paste overflows it at once
    NodeProcess alice;
    ASSERT_TRUE(alice.start(sc)) << alice.dump();
    ASSERT_TRUE(alice.wait_link_up("bob@CIC")) << alice.dump();
    std::string input;
    for (int i = 0; i < kPubs; ++i)
        input += "/pub #CIC " + text_of("CIC", i) + "\n";
    ASSERT_TRUE(alice.proc().write_stdin(input, 60s));
    ASSERT_TRUE(bob.expect(regex_escape(text_of("CIC", kPubs - 1)), 60s)) << alice.dump();
    std::vector<std::string> shown;
    const std::string prefix = "pub #CIC alice@CIC: ";
    for (const std::string& line : bob.proc().lines())
        if (line.rfind(prefix, 0) == 0) shown.push_back(line.substr(prefix.size()));
    EXPECT_EQ(shown, expected_texts("CIC", kPubs));
    EXPECT_FALSE(refused_busy(alice.proc())) << alice.dump();
    EXPECT_FALSE(alice.saw("not published")) << alice.dump();
}

}  // namespace
}  // namespace p2p::test
