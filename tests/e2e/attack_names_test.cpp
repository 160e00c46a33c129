// Attack 10 of the hostile-input review: C1 controls and bidi overrides in
// peer_ids. HELLO accepted a peer_id with U+009B (CSI on some terminals) or
// U+202E (right-to-left override), and the log printed them raw.
//   - HELLO with such a peer_id is refused (ERROR bad_format, link closed);
//   - a SEND whose src carries one is refused with bad_format;
//   - a log line provoked by a hostile field shows it escaped: the bytes on
//     stderr contain no raw C1, bidi control or invalid UTF-8.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "core/text.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kCsi = "\xc2\x9b";      // U+009B
constexpr std::string_view kRlo = "\xe2\x80\xae";  // U+202E

bool has_raw_controls(const std::string& bytes) {
    return bytes.find(kCsi) != std::string::npos || bytes.find(kRlo) != std::string::npos ||
           !is_valid_utf8(bytes);
}

class Attack10_Names : public ::testing::Test {
  protected:
    void SetUp() override {
        NodeConfig c;
        c.name = "target";
        c.rendezvous_port = dead.port();
        c.extra_args = {"--log-level", "DEBUG"};
        std::string err;
        ASSERT_TRUE(node.start(c, &err)) << err;
    }
    void TearDown() override {
        for (const std::string& line : node.proc().lines(Stream::kStderr))
            EXPECT_FALSE(has_raw_controls(line)) << "raw on stderr: " << line;
        for (const std::string& line : node.proc().lines(Stream::kStdout))
            EXPECT_FALSE(has_raw_controls(line)) << "raw on stdout: " << line;
    }
    DeadPort dead;
    NodeProcess node;
};

TEST_F(Attack10_Names, HelloWithC1OrBidiPeerIdIsRefused) {
    for (std::string name :
         {"csi" + std::string(kCsi) + "31m", "evil" + std::string(kRlo) + "cba"}) {
        RawPeer p;
        ASSERT_TRUE(p.connect(node.port()));
        ASSERT_TRUE(p.send_raw(make_hello("HELLO", name + "@CIC", {"ack"})));
        auto error = p.read_type("ERROR", 5s);
        ASSERT_TRUE(error) << node.dump();
        EXPECT_EQ(error->str("error"), "bad_format");
        EXPECT_TRUE(p.wait_closed(5s));
        EXPECT_FALSE(node.saw("link .* up")) << node.dump();
    }
    // The same with JSON escapes instead of raw UTF-8.
    RawPeer p;
    ASSERT_TRUE(p.connect(node.port()));
    ASSERT_TRUE(p.send_line(
        R"({"type":"HELLO","peer_id":"x\u009b@CIC","version":"1","features":[],"ttl":1})"));
    auto error = p.read_type("ERROR", 5s);
    ASSERT_TRUE(error);
    EXPECT_TRUE(p.wait_closed(5s));
}

TEST_F(Attack10_Names, SendWithAHostileSrcIsRefused) {
    RawPeer p;
    ASSERT_TRUE(p.connect(node.port()));
    ASSERT_TRUE(p.hello("relay@CIC"));  // a relay may put any src: the name rule still holds
    ASSERT_TRUE(
        p.send_raw(make_send("m1", "evil" + std::string(kRlo) + "@CIC", "target@CIC", "hi")));
    auto error = p.read_type("ERROR", 5s);
    ASSERT_TRUE(error) << node.dump();
    EXPECT_EQ(error->str("error"), "bad_format");
    EXPECT_EQ(error->str("detail"), "field 'src' must be a valid peer_id");
    EXPECT_FALSE(node.saw("evil")) << node.dump();
}

TEST_F(Attack10_Names, LogLinesShowHostileFieldsEscaped) {
    RawPeer p;
    ASSERT_TRUE(p.connect(node.port()));
    // An unknown type before the handshake is logged with its name.
    ASSERT_TRUE(p.send_line(R"({"type":")" + std::string("EVIL") + std::string(kCsi) + "31m" +
                            std::string(kRlo) + R"(\udc00"})"));
    EXPECT_TRUE(p.wait_closed(5s));
    auto logged =
        node.proc().wait_for_line(std::regex("EVIL.*before the handshake"), 5s, Stream::kStderr);
    ASSERT_TRUE(logged) << node.dump();
    EXPECT_NE(logged->find("EVIL\\u{009B}31m\\u{202E}"), std::string::npos) << *logged;
}

}  // namespace
}  // namespace p2p::test
