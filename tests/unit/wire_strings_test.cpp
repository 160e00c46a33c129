// Strings off the wire that decode to something other than valid UTF-8, or
// that carry controls (issue 9.5, 9.10; docs/protocol.md §2 "Strings that are
// not UTF-8", §3 REGISTER): the peer codec refuses unusable identifiers and
// repairs text in place, the registry refuses such names, numbers are clamped.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/codec.h"
#include "core/registry.h"
#include "core/text.h"
#include "tests/support/decoded_line.h"
#include "tests/support/hostile_names.h"

namespace p2p {
namespace {

// A decoded line must outlive the message's views, so tests keep it together.
using test::decode;
using test::Decoded;

// The surrogate RapidJSON makes of a lone "\udc00" escape (ED B0 80) is
// what the fix is about; JSON's own escapes are what an attacker sends.
constexpr std::string_view kLoneLow = R"(\udc00)";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

TEST(WireStrings, LoneSurrogateInPayloadIsRepairedInPlace) {
    JsonArena arena;
    Decoded d = decode(arena, std::string(R"({"type":"SEND","msg_id":"m1","src":"a@b",)") +
                                  R"("dst":"c@d","payload":"x)" + std::string(kLoneLow) +
                                  R"(y","require_ack":true})");
    ASSERT_TRUE(d.result.ok()) << d.result.detail;
    EXPECT_EQ(d.msg.payload, "x" + std::string(kReplacement) + "y");
    EXPECT_TRUE(is_valid_utf8(d.msg.payload));
}

TEST(WireStrings, EveryTextFieldIsRepaired) {
    JsonArena arena;
    std::string bad = "t" + std::string(kLoneLow);
    std::string want = "t" + std::string(kReplacement);
    Decoded e = decode(arena, R"({"type":"ERROR","error":")" + bad + R"(","ref":")" + bad +
                                  R"(","detail":")" + bad + R"("})");
    ASSERT_TRUE(e.result.ok());
    EXPECT_EQ(e.msg.error, want);
    EXPECT_EQ(e.msg.ref, want);
    EXPECT_EQ(e.msg.detail, want);
    Decoded b = decode(arena, R"({"type":"BYE","reason":")" + bad + R"("})");
    EXPECT_EQ(b.msg.reason, want);
    Decoded h = decode(arena, R"({"type":"HELLO","peer_id":"a@b","version":")" + bad + R"("})");
    EXPECT_EQ(h.msg.version, want);
}

TEST(WireStrings, MsgIdThatIsNotUtf8IsABadField) {
    JsonArena arena;
    // A PING's msg_id is echoed in our PONG: refusing is the only way never
    // to write it back, and repairing would make distinct ids equal.
    Decoded d = decode(arena, R"({"type":"PING","msg_id":"p)" + std::string(kLoneLow) + R"("})");
    EXPECT_EQ(d.result.status, DecodeStatus::kBadField);
    EXPECT_EQ(d.result.detail, "field 'msg_id' must be valid UTF-8");
}

TEST(WireStrings, PeerIdThatIsNotUtf8IsABadField) {
    JsonArena arena;
    // A HELLO_REJECT's peer_id is only shown, never checked by the handshake:
    // codec_fuzz found one that decoded and could not be written back.
    Decoded d = decode(arena, R"({"type":"HELLO_REJECT","peer_id":"b)" + std::string(kLoneLow) +
                                  R"(@x","reason":"already connected"})");
    EXPECT_EQ(d.result.status, DecodeStatus::kBadField);
    EXPECT_EQ(d.result.detail, "field 'peer_id' must be valid UTF-8");
}

TEST(WireStrings, UnknownTypeEchoesNeitherABadIdNorABadTypeName) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"X)" + std::string(kLoneLow) + R"(","msg_id":")" +
                                  std::string(kLoneLow) + R"("})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kUnknown);
    EXPECT_TRUE(d.msg.msg_id.empty()) << "not echoed as ref";
    EXPECT_EQ(d.msg.type_name, "X" + std::string(kReplacement));
}

TEST(WireStrings, RoutedIdentitiesMustBePeerIds) {
    JsonArena arena;
    for (std::string_view name : test::kHostileNames) {
        std::string id = std::string(name) + "@CIC";
        if (!is_valid_utf8(id)) continue;  // raw invalid bytes: the line is not JSON
        Decoded s = decode(arena, R"({"type":"SEND","msg_id":"m","src":")" + id + R"("})");
        EXPECT_EQ(s.result.detail, "field 'src' must be a valid peer_id") << name;
        Decoded t = decode(arena, R"({"type":"SEND","msg_id":"m","dst":")" + id + R"("})");
        EXPECT_EQ(t.result.detail, "field 'dst' must be a valid peer_id or scope") << name;
        Decoded a = decode(arena, R"({"type":"ACK","msg_id":"m","from":")" + id + R"("})");
        EXPECT_EQ(a.result.detail, "field 'from' must be a valid peer_id") << name;
        Decoded w = decode(arena, R"({"type":"WHO_HAS_HIT","msg_id":"m","via":")" + id + R"("})");
        EXPECT_EQ(w.result.detail, "field 'via' must be a valid peer_id") << name;
    }
    Decoded esc = decode(arena, R"({"type":"SEND","msg_id":"m","src":"a\u202e@CIC"})");
    EXPECT_EQ(esc.result.status, DecodeStatus::kBadField) << "escaped U+202E too";
    Decoded pub = decode(arena, R"({"type":"PUB","msg_id":"m","dst":"#CIC"})");
    EXPECT_TRUE(pub.result.ok()) << "a PUB's dst is a scope";
    Decoded ok = decode(arena, R"({"type":"SEND","msg_id":"m","src":"a@CIC","dst":"b@CIC"})");
    EXPECT_TRUE(ok.result.ok());
}

TEST(WireStrings, DisplayedNumbersAreClamped) {
    JsonArena arena;
    Decoded e = decode(arena, R"({"type":"ERROR","error":"line_too_long","limit":1e300})");
    EXPECT_EQ(e.msg.limit, std::int64_t{1} << 31);
    Decoded m = decode(arena, R"({"type":"METRICS","rtt_ms":1e300})");
    EXPECT_EQ(m.msg.rtt_ms, 86'400'000.0);
    Decoded n = decode(arena, R"({"type":"METRICS","rtt_ms":-5})");
    EXPECT_EQ(n.msg.rtt_ms, 0.0);
}

// ---- the registry (rendezvous server) ---------------------------------------

class RegistryStrings : public ::testing::Test {
  protected:
    std::string ask(std::string line) {
        line.push_back('\0');
        std::string_view reply = registry.handle(line.data(), line.size() - 1, "127.0.0.1", 5000);
        return std::string(reply);
    }
    ManualClock clock;
    Registry registry{clock, RegistryConfig{}};
};

TEST_F(RegistryStrings, LoneSurrogateNameOrNamespaceIsRefused) {
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"CIC","name":"x\udc00","port":7000})"),
              "{\"status\":\"ERROR\",\"message\":\"bad_name\"}\n");
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"\udfff","name":"x","port":7000})"),
              "{\"status\":\"ERROR\",\"message\":\"bad_namespace\"}\n");
    EXPECT_EQ(registry.size(), 0u);
    ASSERT_EQ(ask(R"({"type":"REGISTER","namespace":"CIC","name":"ok","port":7000})").substr(0, 15),
              R"({"status":"OK",)");
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"\udc00"})"),
              "{\"status\":\"ERROR\",\"message\":\"bad_namespace\"}\n");
    std::string listing = ask(R"({"type":"DISCOVER"})");
    EXPECT_TRUE(is_valid_utf8(listing));
    EXPECT_NE(listing.find("\"ok\""), std::string::npos);
}

TEST_F(RegistryStrings, DbEntryWithASurrogateIsSkippedOnLoad) {
    std::string db = R"([{"ip":"1.2.3.4","name":"bad\udc00","namespace":"CIC","port":1,)"
                     R"("timestamp":"2025-10-09T08:50:00+00:00","ttl":7200},)"
                     R"({"ip":"1.2.3.4","name":"good","namespace":"CIC","port":2,)"
                     R"("timestamp":"2025-10-09T08:50:00+00:00","ttl":7200}])";
    Registry::LoadResult r = registry.load(db);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.loaded, 1u);
    EXPECT_EQ(r.skipped, 1u);
}

}  // namespace
}  // namespace p2p

namespace p2p {
namespace {

// peer_session_fuzz: a HELLO without `version` made the handshake memcpy
// from a null pointer (UB even for 0 bytes). Absent strings are empty views
// of a real (static) empty string.
TEST(WireStrings, AbsentStringFieldsAreEmptyButNeverNull) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"HELLO","peer_id":"bob@CIC"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_TRUE(d.msg.version.empty());
    EXPECT_NE(d.msg.version.data(), nullptr);
    for (std::string_view v :
         {d.msg.msg_id, d.msg.src, d.msg.dst, d.msg.payload, d.msg.from, d.msg.reason, d.msg.via,
          d.msg.timestamp, d.msg.error, d.msg.ref, d.msg.detail, d.msg.last_seen})
        EXPECT_NE(v.data(), nullptr);
}

}  // namespace
}  // namespace p2p
