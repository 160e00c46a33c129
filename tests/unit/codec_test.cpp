// The peer-link codec: every type round-trips, every tolerance rule of
// docs/protocol.md §2/§4 (see docs/codec.md), output boundaries, and the arena's
// promise that no line up to the limit allocates.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/json_util.h"
#include "core/limits.h"
#include "core/message.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/decoded_line.h"

namespace p2p {
namespace {

// A decoded line must outlive the message's views, so tests keep it together.
using test::decode;
using test::Decoded;
using test::fill_line;

std::string encode(const PeerMessage& msg) {
    std::string out(kMaxLineBytes + 64, '\0');
    std::size_t n = encode_peer_message(msg, out.data(), out.size());
    out.resize(n);
    return out;
}

// The keys of a JSON object line, in order (independent parse with stock RapidJSON).
std::vector<std::string> keys_of(const std::string& line) {
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    std::vector<std::string> keys;
    if (doc.HasParseError() || !doc.IsObject()) return keys;
    const rapidjson::Value& root = doc;  // const iterators: unambiguous under C++20
    for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it)
        keys.emplace_back(it->name.GetString());
    return keys;
}

// A message with every field set to something distinctive.
PeerMessage everything(MsgType type) {
    PeerMessage m;
    m.type = type;
    m.msg_id = "m-1";
    m.has_msg_id = true;
    m.src = "alice@CIC";
    m.dst = "bob@CIC";
    m.peer_id = "alice@CIC";
    m.version = "1.0";
    m.features = kFeatureAck | kFeatureRelay;
    m.payload = "Olá!";
    m.require_ack = true;
    m.from = "bob@CIC";
    m.reason = "bye now";
    m.via = "carol@CIC";
    m.timestamp = "2025-10-27T10:00:00Z";
    m.error = "no_route";
    m.ref = "m-0";
    m.detail = "nobody";
    m.limit = 32768;
    m.rtt_ms = 42.5;
    m.sent_count = 120;
    m.recv_count = 115;
    m.last_seen = "2025-09-21T11:45:00Z";
    m.ttl = 3;
    return m;
}

struct TypeCase {
    MsgType type;
    std::vector<std::string> keys;  // expected, in order
};

// Written by hand from docs/protocol.md's examples, not derived from the codec.
const std::vector<TypeCase>& type_cases() {
    static const std::vector<TypeCase> cases = {
        {MsgType::kHello, {"type", "peer_id", "version", "features", "ttl"}},
        {MsgType::kHelloOk, {"type", "peer_id", "version", "features", "ttl"}},
        {MsgType::kHelloReject, {"type", "peer_id", "reason", "ttl"}},
        {MsgType::kPing, {"type", "msg_id", "timestamp", "ttl"}},
        {MsgType::kPong, {"type", "msg_id", "src", "timestamp", "ttl"}},
        {MsgType::kSend, {"type", "msg_id", "src", "dst", "payload", "require_ack", "ttl"}},
        {MsgType::kAck, {"type", "msg_id", "src", "from", "timestamp", "ttl"}},
        {MsgType::kPub, {"type", "msg_id", "src", "dst", "payload", "require_ack", "ttl"}},
        {MsgType::kBye, {"type", "msg_id", "src", "dst", "reason", "ttl"}},
        {MsgType::kByeOk, {"type", "msg_id", "src", "dst", "ttl"}},
        {MsgType::kError, {"type", "error", "ref", "detail", "limit", "ttl"}},
        {MsgType::kWhoHas, {"type", "msg_id", "src", "dst", "ttl"}},
        {MsgType::kWhoHasHit, {"type", "msg_id", "src", "dst", "via", "ttl"}},
        {MsgType::kRelayOk, {"type", "msg_id", "src", "dst", "ttl"}},
        {MsgType::kRelayFail, {"type", "msg_id", "src", "dst", "reason", "ttl"}},
        {MsgType::kTtlExpired, {"type", "msg_id", "src", "dst", "reason", "ttl"}},
        {MsgType::kMetricsReq, {"type", "msg_id", "src", "dst", "ttl"}},
        {MsgType::kMetrics,
         {"type", "msg_id", "src", "dst", "rtt_ms", "sent_count", "recv_count", "last_seen",
          "ttl"}},
    };
    return cases;
}

bool has_key(const TypeCase& c, std::string_view key) {
    for (const auto& k : c.keys) {
        if (k == key) return true;
    }
    return false;
}

// ---- type names -------------------------------------------------------------

TEST(MsgTypeName, EveryTypeRoundTripsThroughItsWireName) {
    ASSERT_EQ(type_cases().size(), 18u);
    for (const TypeCase& c : type_cases()) {
        std::string_view name = msg_type_name(c.type);
        ASSERT_FALSE(name.empty());
        EXPECT_EQ(msg_type_from_name(name), c.type) << name;
    }
    EXPECT_EQ(msg_type_name(MsgType::kHelloOk), "HELLO_OK");
    EXPECT_EQ(msg_type_name(MsgType::kWhoHasHit), "WHO_HAS_HIT");
    EXPECT_EQ(msg_type_name(MsgType::kUnknown), "");
}

TEST(MsgTypeName, MatchIsExactAndCaseSensitive) {
    EXPECT_EQ(msg_type_from_name("ping"), MsgType::kUnknown);
    EXPECT_EQ(msg_type_from_name("PING "), MsgType::kUnknown);
    EXPECT_EQ(msg_type_from_name(""), MsgType::kUnknown);
    EXPECT_EQ(msg_type_from_name("HELLO_OKAY"), MsgType::kUnknown);
    EXPECT_EQ(msg_type_from_name("METRICS_REQ"), MsgType::kMetricsReq);
}

// ---- round trips --------------------------------------------------------------

TEST(CodecRoundTrip, EveryTypeWritesOnlyItsFieldsWithTtlLast) {
    for (const TypeCase& c : type_cases()) {
        std::string line = encode(everything(c.type));
        ASSERT_FALSE(line.empty()) << msg_type_name(c.type);
        EXPECT_EQ(line.back(), '\n');
        EXPECT_EQ(line.find('\n'), line.size() - 1);
        EXPECT_EQ(keys_of(line), c.keys) << line;
    }
}

TEST(CodecRoundTrip, EveryTypeDecodesToTheSameFields) {
    JsonArena arena;
    for (const TypeCase& c : type_cases()) {
        PeerMessage in = everything(c.type);
        std::string line = encode(in);
        ASSERT_FALSE(line.empty());
        line.pop_back();  // the framer hands lines over without '\n'
        Decoded d = decode(arena, line);
        ASSERT_TRUE(d.result.ok()) << line << " " << d.result.detail;
        const PeerMessage& out = d.msg;
        SCOPED_TRACE(line);
        EXPECT_EQ(out.type, c.type);
        EXPECT_EQ(out.type_name, msg_type_name(c.type));
        EXPECT_EQ(out.ttl, 3);
        // Fields of the type come back equal; the others stay at their defaults.
        auto str = [&](std::string_view key, std::string_view got, std::string_view want) {
            EXPECT_EQ(got, has_key(c, key) ? want : std::string_view{}) << key;
        };
        str("msg_id", out.msg_id, in.msg_id);
        EXPECT_EQ(out.has_msg_id, has_key(c, "msg_id"));
        str("src", out.src, in.src);
        str("dst", out.dst, in.dst);
        str("peer_id", out.peer_id, in.peer_id);
        str("version", out.version, in.version);
        str("payload", out.payload, in.payload);
        str("from", out.from, in.from);
        str("reason", out.reason, in.reason);
        str("via", out.via, in.via);
        str("timestamp", out.timestamp, in.timestamp);
        str("error", out.error, in.error);
        str("ref", out.ref, in.ref);
        str("detail", out.detail, in.detail);
        str("last_seen", out.last_seen, in.last_seen);
        EXPECT_EQ(out.features, has_key(c, "features") ? in.features : 0u);
        EXPECT_EQ(out.require_ack, has_key(c, "require_ack"));
        EXPECT_EQ(out.limit, has_key(c, "limit") ? in.limit : 0);
        EXPECT_EQ(out.rtt_ms, has_key(c, "rtt_ms") ? in.rtt_ms : 0.0);
        EXPECT_EQ(out.sent_count, has_key(c, "sent_count") ? in.sent_count : 0u);
        EXPECT_EQ(out.recv_count, has_key(c, "recv_count") ? in.recv_count : 0u);
    }
}

TEST(CodecRoundTrip, SpecExamplesMatchByteForByte) {
    PeerMessage hello;
    hello.type = MsgType::kHello;
    hello.peer_id = "alice@CIC";
    hello.version = "1.0";
    hello.features = kAllFeatures;
    EXPECT_EQ(encode(hello),
              "{\"type\":\"HELLO\",\"peer_id\":\"alice@CIC\",\"version\":\"1.0\",\"features\":"
              "[\"ack\",\"metrics\",\"relay\",\"who_has\"],\"ttl\":1}\n");

    PeerMessage too_long;
    too_long.type = MsgType::kError;
    too_long.error = "line_too_long";
    too_long.limit = 32768;
    EXPECT_EQ(encode(too_long),
              "{\"type\":\"ERROR\",\"error\":\"line_too_long\",\"limit\":32768,\"ttl\":1}\n");

    PeerMessage ping;
    ping.type = MsgType::kPing;
    ping.msg_id = "p1";
    EXPECT_EQ(encode(ping), "{\"type\":\"PING\",\"msg_id\":\"p1\",\"ttl\":1}\n")
        << "an unset timestamp is left out, never written empty";
}

TEST(CodecRoundTrip, OptionalFieldsAreOmittedWhenUnset) {
    PeerMessage ack;
    ack.type = MsgType::kAck;
    ack.msg_id = "m1";
    ack.from = "bob@CIC";
    EXPECT_EQ(keys_of(encode(ack)), (std::vector<std::string>{"type", "msg_id", "from", "ttl"}));

    PeerMessage err;
    err.type = MsgType::kError;
    err.error = "bad_format";
    EXPECT_EQ(keys_of(encode(err)), (std::vector<std::string>{"type", "error", "ttl"}));

    PeerMessage bye;
    bye.type = MsgType::kBye;
    EXPECT_EQ(keys_of(encode(bye)),
              (std::vector<std::string>{"type", "msg_id", "src", "dst", "ttl"}));

    PeerMessage hello;  // no features: still an (empty) array, the spec's "none"
    hello.type = MsgType::kHello;
    EXPECT_NE(encode(hello).find("\"features\":[]"), std::string::npos);
}

TEST(CodecRoundTrip, UnknownTypeIsNotEncodable) {
    PeerMessage m;
    char out[256];
    EXPECT_EQ(encode_peer_message(m, out, sizeof out), 0u);
    EXPECT_EQ(encoded_size(m), 0u);
}

TEST(CodecRoundTrip, NanRttIsRefusedNotWrittenAsInvalidJson) {
    PeerMessage m = everything(MsgType::kMetrics);
    m.rtt_ms = std::numeric_limits<double>::quiet_NaN();
    char out[512];
    EXPECT_EQ(encode_peer_message(m, out, sizeof out), 0u);
}

TEST(CodecRoundTrip, ExtremeNumbersSurvive) {
    JsonArena arena;
    PeerMessage m = everything(MsgType::kMetrics);
    m.sent_count = std::numeric_limits<std::uint64_t>::max();
    m.recv_count = 0;
    m.ttl = std::numeric_limits<std::int64_t>::min();
    m.rtt_ms = 1e-7;
    std::string line = encode(m);
    Decoded d = decode(arena, line.substr(0, line.size() - 1));
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.sent_count, m.sent_count);
    EXPECT_EQ(d.msg.recv_count, 0u);
    EXPECT_EQ(d.msg.ttl, m.ttl);
    EXPECT_DOUBLE_EQ(d.msg.rtt_ms, 1e-7);
}

// ---- string escaping ------------------------------------------------------

TEST(CodecEscaping, NastyPayloadsStayOnOneLineAndRoundTrip) {
    JsonArena arena;
    const std::string payloads[] = {
        "say \"hi\"",
        "back\\slash",
        "two\nlines\r\nand\ttab",
        std::string("nul\0byte", 8),
        "\x01\x02\x1f\x7f",
        "Olá, 世界 🎉",
        "\xe2\x80\xa8 line separator",
        "",
        "\\n is not a newline",
        "}{\"type\":\"BYE\"}\n{",
    };
    for (const std::string& p : payloads) {
        PeerMessage m = everything(MsgType::kSend);
        m.payload = p;
        std::string line = encode(m);
        ASSERT_FALSE(line.empty());
        EXPECT_EQ(line.find('\n'), line.size() - 1) << "raw newline inside: " << line;
        EXPECT_EQ(line.find('\r'), std::string::npos);
        for (char ch : line.substr(0, line.size() - 1)) {
            EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << "raw control byte in " << line;
        }
        Decoded d = decode(arena, line.substr(0, line.size() - 1));
        ASSERT_TRUE(d.result.ok()) << line;
        EXPECT_EQ(d.msg.payload, p);
    }
}

TEST(CodecEscaping, EscapesInInputAreDecoded) {
    JsonArena arena;
    Decoded d =
        decode(arena, R"({"type":"SEND","payload":"a\"b\\c\nd\u00e9\ud83c\udf89\u0000e","ttl":1})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.payload, std::string_view("a\"b\\c\nd\xc3\xa9\xf0\x9f\x8e\x89\0e", 15));
}

// ---- output boundary ------------------------------------------------------

TEST(CodecBoundary, ExactCapacityFitsOneByteLessDoesNot) {
    for (const TypeCase& c : type_cases()) {
        PeerMessage m = everything(c.type);
        std::size_t need = encoded_size(m);
        std::string line = encode(m);
        ASSERT_EQ(need, line.size());
        std::vector<char> out(need + 8, '#');
        EXPECT_EQ(encode_peer_message(m, out.data(), need), need);
        EXPECT_EQ(std::string(out.data(), need), line);
        EXPECT_EQ(out[need], '#') << "wrote past cap";
        std::fill(out.begin(), out.end(), '#');
        EXPECT_EQ(encode_peer_message(m, out.data(), need - 1), 0u);
        EXPECT_EQ(out[need - 1], '#') << "wrote past cap";
        EXPECT_EQ(encode_peer_message(m, out.data(), 0), 0u);
    }
}

// A SEND whose encoded line (before '\n') is exactly `line_bytes` long.
PeerMessage send_of_line_size(std::string& payload_store, std::size_t line_bytes) {
    PeerMessage m = everything(MsgType::kSend);
    payload_store.clear();
    m.payload = payload_store;
    std::size_t base = encoded_size(m) - 1;
    payload_store.assign(line_bytes - base, 'x');
    m.payload = payload_store;
    return m;
}

TEST(CodecBoundary, FitsInLineAtExactly32768Bytes) {
    JsonArena arena;
    std::string payload;
    PeerMessage m = send_of_line_size(payload, kMaxLineBytes);
    EXPECT_EQ(encoded_size(m), kMaxLineBytes + 1);
    EXPECT_TRUE(fits_in_line(m));
    std::string line = encode(m);
    ASSERT_EQ(line.size(), kMaxLineBytes + 1);
    Decoded d = decode(arena, line.substr(0, kMaxLineBytes));
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.payload.size(), payload.size());
    EXPECT_FALSE(arena.overflowed());

    m = send_of_line_size(payload, kMaxLineBytes + 1);
    EXPECT_FALSE(fits_in_line(m));
}

TEST(CodecBoundary, EscapesCountTowardsTheLimit) {
    // 6000 quotes take 12000 bytes on the wire: fits; 17000 do not.
    std::string payload(6000, '"');
    PeerMessage m = everything(MsgType::kPub);
    m.payload = payload;
    EXPECT_TRUE(fits_in_line(m));
    payload.assign(17000, '"');
    m.payload = payload;
    EXPECT_FALSE(fits_in_line(m));
    payload.assign(6000, '\x01');  // \u0001: 6 bytes each
    m.payload = payload;
    EXPECT_FALSE(fits_in_line(m));
}

TEST(CodecBoundary, OverlongInputIsRejectedNotParsed) {
    JsonArena arena;
    std::string line = R"({"type":"PING","x":")" + std::string(kMaxLineBytes, 'a') + "\"}";
    Decoded d = decode(arena, line);
    EXPECT_EQ(d.result.status, DecodeStatus::kNotJson);
}

// ---- the arena (more in codec_arena_test.cpp) --------------------------------

TEST(CodecArena, DecodingAndEncodingNeverCallOperatorNew) {
    JsonArena arena;
    std::vector<std::string> lines;
    for (const TypeCase& c : type_cases()) {
        std::string line = encode(everything(c.type));
        line.pop_back();
        lines.push_back(line);
    }
    lines.push_back(R"({"status":"ERROR","code":"busy"})");
    lines.push_back(R"({"type":"NOPE","msg_id":"x"})");
    lines.push_back("not json");
    std::vector<char> buf(kMaxLineBytes + 1);
    std::vector<char> out(kMaxLineBytes + 1);
    std::vector<PeerMessage> messages(lines.size());

    std::string big = fill_line("{\"type\":\"PING\",", "\"a\":[0,{}],", "\"b\":0}");

    long before = p2p::test::allocations();
    std::size_t ok = 0;
    for (int i = 0; i < 10000; ++i) {
        const std::string& line = lines[static_cast<std::size_t>(i) % lines.size()];
        std::memcpy(buf.data(), line.data(), line.size());
        PeerMessage m;
        if (decode_peer_message(buf.data(), line.size(), arena, m).ok()) {
            ++ok;
            if (m.type != MsgType::kUnknown) {
                ok += encode_peer_message(m, out.data(), out.size()) > 0;
            }
        }
    }
    // A few maximal lines too (fewer: they are slow under qemu).
    for (int i = 0; i < 20; ++i) {
        std::memcpy(buf.data(), big.data(), big.size());
        PeerMessage m;
        ok += decode_peer_message(buf.data(), big.size(), arena, m).ok();
    }
    long after = p2p::test::allocations();
    EXPECT_EQ(after - before, 0) << "operator new called while decoding/encoding";
    EXPECT_GT(ok, 10000u);
    EXPECT_FALSE(arena.overflowed());
}

}  // namespace
}  // namespace p2p
