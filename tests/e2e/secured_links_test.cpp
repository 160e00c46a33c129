// Secured links (issue 16 part 2, docs/protocol.md §8) through the real binary: an
// independent Noise peer (tests/support/noise_oracle.py: dissononce + PyNaCl) dials a
// node and is dialed by one, and they talk PING/PONG and SEND/ACK over the channel; two
// nodes chat through a proxy that logs every byte, and the log holds the plaintext
// HELLO / HELLO_OK but none of the text they exchanged.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/node_process.h"
#include "tests/support/poll_until.h"
#include "tests/support/program_run.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

constexpr const char* kOracle = P2P_SOURCE_DIR "/tests/support/noise_oracle.py";
constexpr const char* kProxy = P2P_SOURCE_DIR "/tests/support/logging_proxy.py";

std::string grouped(const std::string& fp) {
    std::string g;
    for (std::size_t i = 0; i < fp.size(); i += 4)
        g += (i ? "-" : "") + fp.substr(i, 4);
    return g;
}

// A node with its own key file; `fingerprint` is that key's.
struct KeyedNode {
    TempDir dir;
    std::string key = dir.path() + "/node.key";
    std::string fingerprint;
    NodeProcess node;
    DeadPort no_rendezvous;

    bool start(const std::string& name, std::vector<std::string> extra = {}) {
        Ran r = run({"--key", key, "--fingerprint"});
        if (!r.status.success()) return false;
        fingerprint = r.out.substr(0, r.out.find('\n'));
        NodeConfig c;
        c.name = name;
        c.rendezvous_port = no_rendezvous.port();
        c.extra_args = {"--key", key};
        c.extra_args.insert(c.extra_args.end(), extra.begin(), extra.end());
        return node.start(c);
    }
};

// The oracle's side of the conversation, once secured.
void expect_oracle_talked(Process& oracle, KeyedNode& n) {
    std::vector<std::string> g;
    ASSERT_TRUE(
        oracle.wait_for_line("^identity ([A-Z2-7]{52})$", kEventTimeout, Stream::kStdout, &g))
        << oracle.dump();
    std::string oracle_fp = g.at(1);
    // Each side proved its identity to the other.
    ASSERT_TRUE(oracle.wait_for_line("^secured " + n.fingerprint + "$", kEventTimeout))
        << oracle.dump();
    ASSERT_TRUE(n.node.expect("link oracle@CIC secured, fingerprint " + grouped(oracle_fp)))
        << n.node.dump();
    n.node.command("/msg oracle@CIC over the channel");
    EXPECT_TRUE(oracle.wait_for_line("^msg over the channel$", kEventTimeout)) << oracle.dump();
    EXPECT_TRUE(n.node.expect("^delivered .* to oracle@CIC")) << n.node.dump();
    EXPECT_TRUE(poll_until([&] { return n.node.saw("^msg oracle@CIC: hello from the oracle$"); },
                           kEventTimeout))
        << n.node.dump();
    EXPECT_TRUE(oracle.wait_for_line("^done$", kEventTimeout)) << oracle.dump();
    EXPECT_TRUE(oracle.has_line(std::regex("^pong$")) && oracle.has_line(std::regex("^ack$")))
        << oracle.dump();
    // /conn marks the link and shows who it is.
    n.node.command("/conn");
    EXPECT_TRUE(n.node.expect("^  secured " + grouped(oracle_fp) + "$")) << n.node.dump();
}

TEST(SecuredLinks, AnIndependentNoisePeerDialsANode) {
    KeyedNode n;
    ASSERT_TRUE(n.start("alice")) << n.node.dump();
    Process oracle;
    ASSERT_TRUE(oracle.start(P2P_PYTHON3, {kOracle, "dial", std::to_string(n.node.port())}));
    expect_oracle_talked(oracle, n);
    n.node.quit();
    EXPECT_TRUE(oracle.wait_exit(kEventTimeout).value_or(ExitStatus{}).success()) << oracle.dump();
}

TEST(SecuredLinks, ANodeDialsAnIndependentNoisePeer) {
    KeyedNode n;
    ASSERT_TRUE(n.start("alice")) << n.node.dump();
    Process oracle;
    ASSERT_TRUE(oracle.start(P2P_PYTHON3, {kOracle, "accept"}));
    std::vector<std::string> g;
    ASSERT_TRUE(oracle.wait_for_line("^port ([0-9]+)$", kEventTimeout, Stream::kStdout, &g))
        << oracle.dump();
    n.node.command("/connect 127.0.0.1:" + g.at(1));
    expect_oracle_talked(oracle, n);
    n.node.quit();
    EXPECT_TRUE(oracle.wait_exit(kEventTimeout).value_or(ExitStatus{}).success()) << oracle.dump();
}

TEST(SecuredLinks, AnEavesdropperBetweenTwoNodesSeesNoMessageText) {
    KeyedNode alice, bob;
    ASSERT_TRUE(alice.start("alice")) << alice.node.dump();
    TempDir logs;
    std::string log = logs.path() + "/wire.log";
    Process proxy;
    ASSERT_TRUE(proxy.start(P2P_PYTHON3, {kProxy, std::to_string(alice.node.port()), log}));
    std::vector<std::string> g;
    ASSERT_TRUE(proxy.wait_for_line("^port ([0-9]+)$", kEventTimeout, Stream::kStdout, &g))
        << proxy.dump();
    ASSERT_TRUE(bob.start("bob", {"--peer", "127.0.0.1:" + g.at(1)})) << bob.node.dump();
    ASSERT_TRUE(
        bob.node.expect("link alice@CIC secured, fingerprint " + grouped(alice.fingerprint)))
        << bob.node.dump();
    ASSERT_TRUE(alice.node.expect("link bob@CIC secured, fingerprint " + grouped(bob.fingerprint)))
        << alice.node.dump();
    bob.node.command("/msg alice@CIC attack at dawn");
    alice.node.command("/msg bob@CIC meet by the old oak");
    // Each node's "msg" and "delivered" lines come in either order: wait for both.
    auto both = [](NodeProcess& n, const std::string& msg, const std::string& delivered) {
        return poll_until([&] { return n.saw(msg) && n.saw(delivered); }, kEventTimeout);
    };
    EXPECT_TRUE(both(alice.node, "^msg bob@CIC: attack at dawn$", "^delivered .* to bob@CIC"))
        << alice.node.dump();
    EXPECT_TRUE(
        both(bob.node, "^msg alice@CIC: meet by the old oak$", "^delivered .* to alice@CIC"))
        << bob.node.dump();
    bob.node.quit();
    alice.node.quit();
    proxy.stop();

    std::ifstream in(log, std::ios::binary);
    std::stringstream wire;
    wire << in.rdbuf();
    std::string bytes = wire.str();
    // The proxy did see the link: the plaintext handshake lines, then the channel.
    EXPECT_NE(bytes.find("\"type\":\"HELLO\""), std::string::npos);
    EXPECT_NE(bytes.find("\"type\":\"HELLO_OK\""), std::string::npos);
    EXPECT_NE(bytes.find("noise"), std::string::npos);
    EXPECT_GT(bytes.size(), 600u);
    // Nothing said after it: no text, no message type, no peer_id in a SEND.
    EXPECT_EQ(bytes.find("attack at dawn"), std::string::npos);
    EXPECT_EQ(bytes.find("old oak"), std::string::npos);
    EXPECT_EQ(bytes.find("SEND"), std::string::npos);
    EXPECT_EQ(bytes.find("PING"), std::string::npos);
    EXPECT_EQ(bytes.find("\"type\":\"ACK\""), std::string::npos);
}

// A legacy peer that echoes the caller's features in its HELLO_OK (as the threads-based
// Python peer does) echoes `noise` too, but speaks no Noise: the GREASE check sees the
// echo, and the link stays plaintext and chats as before.
TEST(SecuredLinks, AnEchoingLegacyPeerStaysPlaintext) {
    KeyedNode n;
    ASSERT_TRUE(n.start("alice")) << n.node.dump();
    RawListener listener;
    ASSERT_TRUE(listener.ok());
    n.node.command("/connect 127.0.0.1:" + std::to_string(listener.port()));
    auto raw = listener.accept(kEventTimeout);
    ASSERT_TRUE(raw) << n.node.dump();
    auto hello = raw->read_line(kEventTimeout);
    ASSERT_TRUE(hello) << n.node.dump();
    std::size_t f = hello->find("\"features\":");
    ASSERT_NE(f, std::string::npos);
    std::string features = hello->substr(f, hello->find(']', f) + 1 - f);
    EXPECT_NE(features.find("\"noise\""), std::string::npos) << *hello;
    ASSERT_TRUE(
        raw->send_line("{\"type\":\"HELLO_OK\",\"peer_id\":\"echo@CIC\",\"version\":"
                       "\"1.0\"," +
                       features + ",\"ttl\":1}"));
    ASSERT_TRUE(n.node.wait_link_up("echo@CIC")) << n.node.dump();
    ASSERT_TRUE(
        raw->send_line("{\"type\":\"SEND\",\"msg_id\":\"e-1\",\"src\":\"echo@CIC\","
                       "\"dst\":\"alice@CIC\",\"payload\":\"plain as ever\","
                       "\"require_ack\":true,\"ttl\":1}"));
    EXPECT_TRUE(n.node.expect("^msg echo@CIC: plain as ever$")) << n.node.dump();
    auto ack = raw->read_type("ACK", kEventTimeout);
    ASSERT_TRUE(ack) << n.node.dump();
    EXPECT_EQ(ack->str("msg_id"), "e-1");
    n.node.command("/conn");
    EXPECT_TRUE(n.node.expect("^1 link")) << n.node.dump();
    EXPECT_FALSE(n.node.saw("secured")) << n.node.dump();
}

// A peer that announces `noise` and then never sends handshake message 1 holds the
// link only for the handshake timeout (10 s, docs/protocol.md §8): the node closes it
// and says why. Long (label `long`): the timeout is the protocol's.
TEST(SecuredLinks, AHandshakeNotFinishedInTimeClosesTheLink) {
    KeyedNode n;
    ASSERT_TRUE(n.start("alice")) << n.node.dump();
    RawPeer raw;
    ASSERT_TRUE(raw.connect(n.node.port()));
    ASSERT_TRUE(
        raw.send_line("{\"type\":\"HELLO\",\"peer_id\":\"mute@CIC\",\"version\":\"1.0\","
                      "\"features\":[\"ack\",\"noise\"],\"ttl\":1}"));
    auto ok = raw.read_line(kEventTimeout);
    ASSERT_TRUE(ok) << n.node.dump();
    EXPECT_NE(ok->find("\"noise\""), std::string::npos) << *ok;
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(raw.wait_closed(std::chrono::seconds(15))) << n.node.dump();
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GT(waited, 8.0);
    EXPECT_TRUE(n.node.proc().wait_for_line("the handshake did not finish in time", kEventTimeout,
                                            Stream::kStderr))
        << n.node.dump();
}

}  // namespace
}  // namespace p2p::test
