// The peer codec on receipt (docs/protocol.md §2, docs/codec.md): what it tolerates
// from older and sloppier peers, and what it rejects.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/limits.h"
#include "core/message.h"
#include "tests/support/decoded_line.h"

namespace p2p {
namespace {

using test::decode;
using test::Decoded;

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

}  // namespace
}  // namespace p2p
