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

// ---- tolerance on receipt -----------------------------------------------------

TEST(CodecTolerance, ExtraAndForeignFieldsAreIgnored) {
    JsonArena arena;
    // `payload` is not a PING field, so even its wrong type is ignored.
    Decoded d = decode(arena, R"({"type":"PING","zz":{"a":[1,2,{"b":null}]},"payload":5,)"
                              R"("msg_id":"p1","ttl":1,"extra":true})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kPing);
    EXPECT_EQ(d.msg.msg_id, "p1");
    EXPECT_TRUE(d.msg.payload.empty());
}

TEST(CodecTolerance, MissingTtlCountsAsOne) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"SEND","msg_id":"m","payload":"x"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.ttl, 1);
    d = decode(arena, R"({"type":"SEND","ttl":null})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.ttl, 1) << "null counts as absent";
}

TEST(CodecTolerance, TtlNumbersAreTruncatedTowardZeroAndSaturate) {
    JsonArena arena;
    struct Case {
        const char* ttl;
        std::int64_t want;
    } cases[] = {
        {"0", 0},
        {"8", 8},
        {"-3", -3},
        {"2.9", 2},
        {"0.5", 0},
        {"-0.5", 0},
        {"-1.7", -1},
        {"1e2", 100},
        {"1e300", std::numeric_limits<std::int64_t>::max()},
        {"-1e300", std::numeric_limits<std::int64_t>::min()},
        {"18446744073709551615", std::numeric_limits<std::int64_t>::max()},
        {"-9223372036854775808", std::numeric_limits<std::int64_t>::min()},
    };
    for (const Case& c : cases) {
        std::string line = std::string(R"({"type":"PUB","ttl":)") + c.ttl + "}";
        Decoded d = decode(arena, line);
        ASSERT_TRUE(d.result.ok()) << line;
        EXPECT_EQ(d.msg.ttl, c.want) << line;
    }
}

TEST(CodecTolerance, TtlOfWrongTypeIsABadField) {
    JsonArena arena;
    for (const char* ttl : {"\"1\"", "true", "[1]", "{}"}) {
        std::string line = std::string(R"({"type":"PUB","msg_id":"m9","ttl":)") + ttl + "}";
        Decoded d = decode(arena, line);
        EXPECT_EQ(d.result.status, DecodeStatus::kBadField) << line;
        EXPECT_NE(d.result.detail.find("ttl"), std::string_view::npos);
        EXPECT_EQ(d.msg.msg_id, "m9") << "msg_id is read first so the error can name it";
    }
}

TEST(CodecTolerance, TimestampsOfAnyFormAreAcceptedNeverRequired) {
    JsonArena arena;
    Decoded d =
        decode(arena, R"({"type":"PONG","msg_id":"p","timestamp":"2025-10-27T10:00:00+00:00"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.timestamp, "2025-10-27T10:00:00+00:00");
    for (const char* ts : {"1730000000", "1730000000.123", "null", "true", "{\"x\":1}", "[]"}) {
        std::string line = std::string(R"({"type":"ACK","msg_id":"a","timestamp":)") + ts + "}";
        d = decode(arena, line);
        ASSERT_TRUE(d.result.ok()) << line;
        EXPECT_TRUE(d.msg.timestamp.empty());
    }
    d = decode(arena, R"({"type":"PING","msg_id":"p"})");
    ASSERT_TRUE(d.result.ok());
}

TEST(CodecTolerance, AckAndPongWithoutSrc) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"ACK","msg_id":"m1","timestamp":1730000000})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kAck);
    EXPECT_TRUE(d.msg.src.empty());
    EXPECT_TRUE(d.msg.has_msg_id);
    d = decode(arena, R"({"type":"PONG","msg_id":"p1"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kPong);
    EXPECT_EQ(d.msg.msg_id, "p1");
}

TEST(CodecTolerance, EmptyOrNullMsgIdMeansNone) {
    JsonArena arena;
    for (const char* line : {R"({"type":"ACK","msg_id":""})", R"({"type":"ACK","msg_id":null})",
                             R"({"type":"ACK"})"}) {
        Decoded d = decode(arena, line);
        ASSERT_TRUE(d.result.ok()) << line;
        EXPECT_FALSE(d.msg.has_msg_id) << line;
        EXPECT_TRUE(d.msg.msg_id.empty());
    }
    Decoded d = decode(arena, R"({"type":"ACK","msg_id":7})");
    EXPECT_EQ(d.result.status, DecodeStatus::kBadField);
    EXPECT_NE(d.result.detail.find("msg_id"), std::string_view::npos);
}

TEST(CodecTolerance, ErrorCodeUnderErrorOrCode) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"ERROR","error":"bad_format","ref":"m1"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.error, "bad_format");
    EXPECT_EQ(d.msg.ref, "m1");

    d = decode(arena, R"({"type":"ERROR","code":"no_route","detail":"x"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.error, "no_route");
    EXPECT_EQ(d.msg.detail, "x");

    d = decode(arena, R"({"type":"ERROR","code":"b","error":"a"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.error, "a") << "`error` wins over `code`";

    d = decode(arena, R"({"type":"ERROR","error":null,"code":"c"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.error, "c");

    d = decode(arena, R"({"type":"ERROR","code":404})");
    EXPECT_EQ(d.result.status, DecodeStatus::kBadField);
    EXPECT_NE(d.result.detail.find("code"), std::string_view::npos);

    d = decode(arena, R"({"type":"ERROR","error":["x"]})");
    EXPECT_EQ(d.result.status, DecodeStatus::kBadField);
    EXPECT_NE(d.result.detail.find("'error'"), std::string_view::npos);

    d = decode(arena, R"({"type":"ERROR","error":"line_too_long","limit":32768.9})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.limit, 32768);
}

TEST(CodecTolerance, StatusErrorFormIsAnError) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"status":"ERROR","error":"bad_format"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kError);
    EXPECT_EQ(d.msg.type_name, "ERROR");
    EXPECT_EQ(d.msg.error, "bad_format");
    EXPECT_EQ(d.msg.ttl, 1);

    d = decode(arena, R"({"status":"ERROR","code":"busy"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.error, "busy");

    d = decode(arena, R"({"status":"OK"})");
    EXPECT_EQ(d.result.status, DecodeStatus::kNoType);

    // An explicit type wins over status.
    d = decode(arena, R"({"type":"PING","status":"ERROR"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kPing);
}

TEST(CodecTolerance, UnknownFeatureNamesAreIgnored) {
    JsonArena arena;
    Decoded d = decode(
        arena,
        R"({"type":"HELLO","peer_id":"a@B","version":"1.0","features":["ack","teleport",7,null,"relay","ACK"]})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.features, kFeatureAck | kFeatureRelay);

    d = decode(arena, R"({"type":"HELLO_OK","peer_id":"a@B"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.features, 0u) << "missing features means none";

    d = decode(arena, R"({"type":"HELLO_OK","features":[]})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.features, 0u);

    d = decode(arena, R"({"type":"HELLO","features":"ack,relay"})");
    EXPECT_EQ(d.result.status, DecodeStatus::kBadField);
    EXPECT_NE(d.result.detail.find("features"), std::string_view::npos);
}

TEST(CodecTolerance, WrongTypedKnownFieldsAreNamed) {
    JsonArena arena;
    struct Case {
        const char* line;
        const char* field;
    } cases[] = {
        {R"({"type":"SEND","payload":42})", "payload"},
        {R"({"type":"PUB","payload":{"text":"hi"}})", "payload"},
        {R"({"type":"SEND","payload":"x","dst":["bob"]})", "dst"},
        {R"({"type":"SEND","src":1})", "src"},
        {R"({"type":"SEND","require_ack":"yes"})", "require_ack"},
        {R"({"type":"HELLO","peer_id":false})", "peer_id"},
        {R"({"type":"HELLO","version":1.0})", "version"},
        {R"({"type":"ACK","from":{}})", "from"},
        {R"({"type":"BYE","reason":0})", "reason"},
        {R"({"type":"WHO_HAS_HIT","via":true})", "via"},
        {R"({"type":"ERROR","error":"x","ref":1})", "ref"},
        {R"({"type":"ERROR","error":"x","detail":[]})", "detail"},
        {R"({"type":"ERROR","error":"x","limit":"32768"})", "limit"},
        {R"({"type":"METRICS","rtt_ms":"42"})", "rtt_ms"},
        {R"({"type":"METRICS","sent_count":true})", "sent_count"},
        {R"({"type":"METRICS","recv_count":[1]})", "recv_count"},
        {R"({"type":"METRICS","last_seen":5})", "last_seen"},
    };
    for (const Case& c : cases) {
        Decoded d = decode(arena, c.line);
        EXPECT_EQ(d.result.status, DecodeStatus::kBadField) << c.line;
        EXPECT_NE(d.result.detail.find(std::string("'") + c.field + "'"), std::string_view::npos)
            << c.line << " -> " << d.result.detail;
    }
}

TEST(CodecTolerance, RequireAckAcceptsNumbersByTruthiness) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"SEND","require_ack":1})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_TRUE(d.msg.require_ack);
    d = decode(arena, R"({"type":"SEND","require_ack":0})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_FALSE(d.msg.require_ack);
    d = decode(arena, R"({"type":"SEND"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_FALSE(d.msg.require_ack);
}

TEST(CodecTolerance, CountsSaturateAndNegativesBecomeZero) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"METRICS","rtt_ms":42,"sent_count":-5,"recv_count":3.9})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.rtt_ms, 42.0);
    EXPECT_EQ(d.msg.sent_count, 0u);
    EXPECT_EQ(d.msg.recv_count, 3u);
    d = decode(arena, R"({"type":"METRICS","sent_count":1e30})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.sent_count, std::numeric_limits<std::uint64_t>::max());
}

TEST(CodecTolerance, DuplicateKeysLastOneWinsLikePython) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"PING","type":"PONG","msg_id":"a","msg_id":"b"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kPong);
    EXPECT_EQ(d.msg.msg_id, "b");
}

TEST(CodecTolerance, WhitespaceAroundTheObjectIsFine) {
    JsonArena arena;
    Decoded d = decode(arena, " \t{ \"type\" : \"PING\" , \"ttl\" : 1 }  ");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kPing);
}

TEST(CodecTolerance, BareNamespaceDstIsPassedThroughForTheNodeToInterpret) {
    JsonArena arena;
    Decoded d =
        decode(arena, R"({"type":"PUB","msg_id":"m","src":"a@CIC","dst":"CIC","payload":"p"})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.dst, "CIC");
}

// ---- rejections -----------------------------------------------------------------

TEST(CodecReject, NotJson) {
    JsonArena arena;
    const std::string bad[] = {
        "",
        "hello",
        "{",
        R"({"type":"PING"} trailing)",
        R"({"type":"PING"}{"type":"PING"})",
        R"({"type":'PING'})",
        R"({"type":"PING",})",
        R"({"type":"PING","ttl":NaN})",
        R"({"type":"PING","ttl":Infinity})",
        R"({"type":"PING"} // comment)",
        "{\"type\":\"SEND\",\"payload\":\"raw\ttab\"}",  // control char inside a string
        "{\"type\":\"SEND\",\"payload\":\"\xff\xfe\"}",  // not UTF-8
        "{\"type\":\"SEND\",\"payload\":\"\xc3\"}",      // truncated UTF-8
        std::string("{\"type\":\"PING\"}\0{}", 17),      // embedded NUL
        std::string("{\"type\":\"PI\0NG\"}", 16),
        R"({"type":"PING","ttl":1e400})",
    };
    for (const std::string& line : bad) {
        Decoded d = decode(arena, line);
        EXPECT_EQ(d.result.status, DecodeStatus::kNotJson) << line;
        EXPECT_FALSE(d.result.detail.empty());
    }
}

TEST(CodecReject, NotAnObject) {
    JsonArena arena;
    for (const char* line : {"[1,2]", "\"PING\"", "42", "null", "true", "[{\"type\":\"PING\"}]"}) {
        Decoded d = decode(arena, line);
        EXPECT_EQ(d.result.status, DecodeStatus::kNotObject) << line;
    }
}

TEST(CodecReject, NoStringType) {
    JsonArena arena;
    for (const char* line : {"{}", R"({"type":5})", R"({"type":null})", R"({"type":["PING"]})",
                             R"({"TYPE":"PING"})", R"({"status":"error"})"}) {
        Decoded d = decode(arena, line);
        EXPECT_EQ(d.result.status, DecodeStatus::kNoType) << line;
    }
}

TEST(CodecReject, UnknownTypeIsOkWithItsName) {
    JsonArena arena;
    Decoded d = decode(arena, R"({"type":"TELEPORT","msg_id":"t1","payload":5})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kUnknown);
    EXPECT_EQ(d.msg.type_name, "TELEPORT");
    EXPECT_EQ(d.msg.msg_id, "t1");
    EXPECT_TRUE(d.msg.has_msg_id);

    d = decode(arena, R"({"type":"ping","msg_id":{}})");
    ASSERT_TRUE(d.result.ok()) << "a malformed msg_id is just not echoed";
    EXPECT_EQ(d.msg.type, MsgType::kUnknown);
    EXPECT_EQ(d.msg.type_name, "ping");
    EXPECT_FALSE(d.msg.has_msg_id);

    d = decode(arena, R"({"type":""})");
    ASSERT_TRUE(d.result.ok());
    EXPECT_EQ(d.msg.type, MsgType::kUnknown);
}

TEST(CodecReject, DecodeResetsTheOutputMessage) {
    JsonArena arena;
    Decoded first = decode(arena, R"({"type":"SEND","payload":"old","ttl":5})");
    PeerMessage m = first.msg;
    std::string line = R"({"type":"PING"})";
    std::vector<char> buf(line.begin(), line.end());
    buf.push_back('\0');
    ASSERT_TRUE(decode_peer_message(buf.data(), line.size(), arena, m).ok());
    EXPECT_TRUE(m.payload.empty());
    EXPECT_EQ(m.ttl, 1);
}

// ---- the arena ------------------------------------------------------------------

// Repeats `unit` between `head` and `tail` so the line is exactly `len` bytes,
// padding with spaces (outside any string) if the units do not divide evenly.
std::string fill_line(const std::string& head, const std::string& unit, const std::string& tail,
                      std::size_t len = kMaxLineBytes) {
    std::string s = head;
    while (s.size() + unit.size() + tail.size() <= len)
        s += unit;
    while (s.size() + tail.size() < len)
        s += ' ';
    return s + tail;
}

TEST(CodecArena, AdversarialMaxSizeLinesNeverOverflow) {
    JsonArena arena;
    std::string deep31 = std::string(31, '[');
    std::string close31 = std::string(31, ']');
    std::string deep30 = std::string(30, '[');
    std::string close30 = std::string(30, ']');
    struct Case {
        std::string line;
        DecodeStatus want;
    } cases[] = {
        {fill_line("[", "0,", "0]"), DecodeStatus::kNotObject},
        {fill_line("[", "[],", "[]]"), DecodeStatus::kNotObject},
        {fill_line("[", "{},", "{}]"), DecodeStatus::kNotObject},
        {fill_line("[", "\"\",", "\"\"]"), DecodeStatus::kNotObject},
        {fill_line("{", "\"\":0,", "\"\":0}"), DecodeStatus::kNoType},
        {fill_line("{\"type\":\"PING\",", "\"a\":0,", "\"b\":0}"), DecodeStatus::kOk},
        {fill_line("{\"type\":\"HELLO\",\"features\":[", "\"ack\",", "\"relay\"]}"),
         DecodeStatus::kOk},
        {fill_line("{\"type\":\"PING\",\"x\":[", "[0],", "[0]]}"), DecodeStatus::kOk},
        {fill_line(deep31, "0,", "0" + close31), DecodeStatus::kNotObject},
        {fill_line("{\"type\":\"PING\",\"x\":" + deep30, "{},", "{}" + close30 + "}"),
         DecodeStatus::kOk},
        {std::string(32, '[') + std::string(32, ']'), DecodeStatus::kNotObject},  // depth 32: ok
        {std::string(33, '[') + std::string(33, ']'), DecodeStatus::kNotJson},    // depth 33: no
        {std::string(kMaxLineBytes, '['), DecodeStatus::kNotJson},
        {std::string(kMaxLineBytes / 2, '[') + std::string(kMaxLineBytes / 2, ']'),
         DecodeStatus::kNotJson},
        {std::string(kMaxLineBytes, '{'), DecodeStatus::kNotJson},
        {fill_line("[", "0,", ""), DecodeStatus::kNotJson},  // never closed: stack at its peak
        {fill_line("{", "\"\":0,", ""), DecodeStatus::kNotJson},
        {fill_line("{\"type\":\"SEND\",\"payload\":\"", "x", "\"}"), DecodeStatus::kOk},
        {fill_line("{\"type\":\"SEND\",\"payload\":\"", "\\u00e9", "\"}"), DecodeStatus::kOk},
        {fill_line("[", "1e308,", "0]"), DecodeStatus::kNotObject},
    };
    for (const Case& c : cases) {
        ASSERT_LE(c.line.size(), kMaxLineBytes);
        Decoded d = decode(arena, c.line);
        EXPECT_EQ(d.result.status, c.want) << c.line.substr(0, 60) << " len " << c.line.size();
        EXPECT_FALSE(arena.overflowed()) << c.line.substr(0, 60);
    }
}

TEST(CodecArena, TheWorstCaseIsActuallyReachedSoTheSizingIsTight) {
    // A flat array of single-digit numbers is the densest line: one value per
    // two bytes. Its parse must fill (nearly) the whole value pool, showing
    // the pool is sized for what a line can demand and not more.
    JsonArena arena;
    std::string line = fill_line("[", "0,", "0]");
    Decoded d = decode(arena, line);
    ASSERT_EQ(d.result.status, DecodeStatus::kNotObject);
    std::size_t values = kMaxLineBytes / 2;
    EXPECT_GE(json::last_parse_pool_bytes(arena), sizeof(json::Value) * (values - 1));
    EXPECT_LE(sizeof(json::Value) * (values + 1) + 64 * 3, JsonArena::kBytes);
    EXPECT_FALSE(arena.overflowed());
}

TEST(CodecArena, RandomStructuredMaxSizeLinesNeverOverflow) {
    JsonArena arena;
    std::mt19937 rng(12345);
    const char* atoms[] = {"0", "\"\"", "[]", "{}", "null", "1.5", "\"ab\"", "true"};
    int valid = 0;
    for (int round = 0; round < 60; ++round) {
        // Half the rounds stay within the depth limit, half may exceed it.
        std::size_t max_depth = round % 2 ? json::kMaxDepth : json::kMaxDepth + 8;
        std::string s = "[";
        std::vector<char> closers = {']'};
        bool need_sep = false;
        while (!closers.empty() && s.size() + closers.size() < kMaxLineBytes - 8) {
            unsigned r = rng() % 10;
            if (r < 3 && closers.size() > 1) {  // the root stays open: lines reach the limit
                s += closers.back();
                closers.pop_back();
                need_sep = true;
                continue;
            }
            if (need_sep) s += ',';
            if (closers.back() == '}') s += "\"\":";
            if (r < 5 && closers.size() < max_depth) {
                bool obj = rng() % 2;
                s += obj ? '{' : '[';
                closers.push_back(obj ? '}' : ']');
                need_sep = false;
            } else {
                s += atoms[rng() % 8];
                need_sep = true;
            }
        }
        while (!closers.empty()) {
            s += closers.back();
            closers.pop_back();
        }
        if (s.size() > kMaxLineBytes) s.resize(kMaxLineBytes);
        ASSERT_GT(s.size(), kMaxLineBytes - 100);
        valid += decode(arena, s).result.status == DecodeStatus::kNotObject;
        ASSERT_FALSE(arena.overflowed()) << "round " << round;
    }
    EXPECT_GE(valid, 20) << "most in-limit rounds must be whole JSON arrays";
}

TEST(CodecArena, HeapFallbackIsCountedSoOverflowWouldBeSeen) {
    // The mechanism behind JsonArena::overflowed(): a pool whose fixed buffer
    // is too small falls back to its counting base allocator.
    alignas(16) char buf[128];
    json::CountingHeapAllocator heap;
    {
        json::Pool pool(buf, sizeof buf, 256, &heap);
        EXPECT_NE(pool.Malloc(32), nullptr);
        EXPECT_EQ(heap.allocations(), 0u);
        EXPECT_NE(pool.Malloc(1000), nullptr);
        EXPECT_EQ(heap.allocations(), 1u);
    }
}

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

TEST(CodecArena, ViewsOutliveTheNextParseBecauseTheyPointIntoTheLine) {
    JsonArena arena;
    Decoded a = decode(arena, R"({"type":"SEND","payload":"first"})");
    Decoded b = decode(arena, R"({"type":"SEND","payload":"second"})");
    EXPECT_EQ(a.msg.payload, "first");
    EXPECT_EQ(b.msg.payload, "second");
}

}  // namespace
}  // namespace p2p
