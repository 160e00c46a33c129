// The rendezvous lines (docs/protocol.md §3): encoders byte for byte, the server's
// loose view of a request, the client's tolerant view of any server's answer,
// and the Python rules the server applies to fields.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/codec.h"
#include "core/python_compat.h"
#include "core/rendezvous_wire.h"

namespace p2p {
namespace {

template <class F>
std::string encoded(F&& f) {
    char buf[rdv::kRdvLineBytes];
    std::size_t n = f(buf, sizeof buf);
    return std::string(buf, n);
}

TEST(RendezvousWire, Requests) {
    EXPECT_EQ(encoded([](char* b, std::size_t c) {
                  return rdv::encode_register(b, c, "CIC", "alice", 7070, 7200);
              }),
              "{\"type\":\"REGISTER\",\"namespace\":\"CIC\",\"name\":\"alice\",\"port\":7070,"
              "\"ttl\":7200}\n");
    EXPECT_EQ(encoded([](char* b, std::size_t c) { return rdv::encode_discover(b, c, "CIC"); }),
              "{\"type\":\"DISCOVER\",\"namespace\":\"CIC\"}\n");
    EXPECT_EQ(encoded([](char* b, std::size_t c) { return rdv::encode_discover(b, c, ""); }),
              "{\"type\":\"DISCOVER\"}\n");
    EXPECT_EQ(encoded([](char* b, std::size_t c) {
                  return rdv::encode_unregister(b, c, "CIC", "alice", 7070);
              }),
              "{\"type\":\"UNREGISTER\",\"namespace\":\"CIC\",\"name\":\"alice\",\"port\":7070}\n");
    EXPECT_EQ(
        encoded([](char* b, std::size_t c) { return rdv::encode_unregister(b, c, "CIC", "", 0); }),
        "{\"type\":\"UNREGISTER\",\"namespace\":\"CIC\"}\n");
}

TEST(RendezvousWire, Answers) {
    EXPECT_EQ(encoded([](char* b, std::size_t c) { return rdv::encode_ok(b, c); }),
              "{\"status\":\"OK\"}\n");
    EXPECT_EQ(encoded([](char* b, std::size_t c) {
                  return rdv::encode_register_ok(b, c, 7200, "203.0.113.7", 7070);
              }),
              "{\"status\":\"OK\",\"ttl\":7200,\"ip\":\"203.0.113.7\",\"port\":7070}\n");
    EXPECT_EQ(encoded([](char* b, std::size_t c) { return rdv::encode_error(b, c, "bad_name"); }),
              "{\"status\":\"ERROR\",\"message\":\"bad_name\"}\n");
    EXPECT_EQ(
        encoded([](char* b, std::size_t c) { return rdv::encode_line_too_long(b, c, 32768); }),
        "{\"status\":\"ERROR\",\"message\":\"line_too_long\",\"limit\":32768}\n");
}

TEST(RendezvousWire, EscapesAndOverflow) {
    EXPECT_EQ(encoded([](char* b, std::size_t c) {
                  return rdv::encode_error(b, c, std::string_view("a\"\\\n\0b", 6));
              }),
              "{\"status\":\"ERROR\",\"message\":\"a\\\"\\\\\\n\\u0000b\"}\n");
    char small[16];
    EXPECT_EQ(rdv::encode_ok(small, 15), 0u);
    EXPECT_EQ(rdv::encode_ok(small, sizeof small), 16u);  // exactly fits
}

TEST(RendezvousWire, DiscoverAnswer) {
    std::string out;
    {
        rdv::DiscoverAnswerBuilder b(out);
        EXPECT_EQ(b.finish(), "{\"status\":\"OK\",\"peers\":[]}\n");
    }
    rdv::DiscoverAnswerBuilder b(out);
    EXPECT_TRUE(b.add({"1.2.3.4", 7070, "alice", "CIC", 7200, 7130}));
    EXPECT_TRUE(b.add({"::1", 1, "b\"", "UnB", 1, 0}));
    EXPECT_EQ(b.finish(),
              "{\"status\":\"OK\",\"peers\":[{\"ip\":\"1.2.3.4\",\"port\":7070,\"name\":\"alice\","
              "\"namespace\":\"CIC\",\"ttl\":7200,\"expires_in\":7130},{\"ip\":\"::1\",\"port\":1,"
              "\"name\":\"b\\\"\",\"namespace\":\"UnB\",\"ttl\":1,\"expires_in\":0}]}\n");
}

// ---- requests as the server sees them ---------------------------------------------

struct Decoded {
    RequestParse status;
    RendezvousRequest req;
    std::string storage;
};

Decoded decode_request(std::string line) {
    Decoded d;
    d.storage = std::move(line);
    d.storage.push_back('\0');
    static JsonArena arena;
    d.status = decode_rendezvous_request(d.storage.data(), d.storage.size() - 1, arena, d.req);
    return d;
}

TEST(RendezvousCodec, RequestFieldsSeenLoosely) {
    Decoded d = decode_request(
        R"({"type":"register","namespace":"CIC","name":null,"port":"7070","ttl":3.5,"x":1})");
    ASSERT_EQ(d.status, RequestParse::kOk);
    EXPECT_EQ(d.req.type, "register");
    EXPECT_EQ(d.req.ns.kind, LooseValue::Kind::kString);
    EXPECT_EQ(d.req.ns.str, "CIC");
    EXPECT_EQ(d.req.name.kind, LooseValue::Kind::kNull);
    EXPECT_EQ(d.req.port.kind, LooseValue::Kind::kString);
    EXPECT_EQ(d.req.port.str, "7070");
    EXPECT_EQ(d.req.ttl.kind, LooseValue::Kind::kDouble);
    EXPECT_EQ(d.req.ttl.d, 3.5);

    d = decode_request(R"({"type":"DISCOVER","port":true,"ttl":-12,"name":[1],"namespace":{}})");
    ASSERT_EQ(d.status, RequestParse::kOk);
    EXPECT_EQ(d.req.port.kind, LooseValue::Kind::kBool);
    EXPECT_EQ(d.req.port.i, 1);
    EXPECT_EQ(d.req.ttl.kind, LooseValue::Kind::kInt);
    EXPECT_EQ(d.req.ttl.i, -12);
    EXPECT_EQ(d.req.name.kind, LooseValue::Kind::kOther);
    EXPECT_EQ(d.req.ns.kind, LooseValue::Kind::kOther);

    d = decode_request(R"({"type":"X","port":18446744073709551615})");
    ASSERT_EQ(d.status, RequestParse::kOk);
    EXPECT_EQ(d.req.port.kind, LooseValue::Kind::kDouble);
    EXPECT_EQ(d.req.ns.kind, LooseValue::Kind::kMissing);
}

TEST(RendezvousCodec, RequestsThatAreUnknownCommands) {
    for (const char* line : {"", "x", "[1]", "\"s\"", "{}", R"({"type":1})", R"({"Type":"X"})",
                             R"({"type":"A"}{})", "{\"type\":\"A\"\x01}"}) {
        EXPECT_EQ(decode_request(line).status, RequestParse::kNotJsonOrNoType) << line;
    }
}

// ---- answers as the node sees them --------------------------------------------------

struct Answer {
    bool parsed;
    RendezvousResponse resp;
    std::vector<std::string> peers;  // "name@ns ip:port ttl expires_in"
    std::size_t skipped = 0;
    std::string storage;
};

Answer decode_answer(std::string line) {
    Answer a;
    a.storage = std::move(line);
    a.storage.push_back('\0');
    static JsonArena arena;
    a.parsed = decode_rendezvous_response(
        a.storage.data(), a.storage.size() - 1, arena, a.resp,
        [](void* ctx, const DiscoveredPeer& p) {
            static_cast<Answer*>(ctx)->peers.push_back(
                std::string(p.name) + "@" + std::string(p.ns) + " " + std::string(p.ip) + ":" +
                std::to_string(p.port) + " " + std::to_string(p.ttl) + " " +
                std::to_string(p.expires_in));
        },
        &a, &a.skipped);
    return a;
}

TEST(RendezvousCodec, RegisterAnswersOfNewAndOldServers) {
    Answer a = decode_answer(R"({"status": "OK", "ttl": 7200, "ip": "203.0.113.7", "port": 7070})");
    ASSERT_TRUE(a.parsed);
    EXPECT_TRUE(a.resp.ok);
    EXPECT_EQ(a.resp.ttl, 7200);
    EXPECT_EQ(a.resp.observed_ip, "203.0.113.7");
    EXPECT_EQ(a.resp.observed_port, 7070);
    EXPECT_FALSE(a.resp.has_peers);

    a = decode_answer(R"({"status":"OK","ttl":60,"observed_ip":"1.2.3.4","observed_port":45678})");
    EXPECT_TRUE(a.resp.ok);
    EXPECT_EQ(a.resp.observed_ip, "1.2.3.4");
    EXPECT_EQ(a.resp.observed_port, 45678);
}

TEST(RendezvousCodec, ErrorsUnderMessageOrError) {
    Answer a = decode_answer(R"({"status":"ERROR","message":"bad_name"})");
    ASSERT_TRUE(a.parsed);
    EXPECT_FALSE(a.resp.ok);
    EXPECT_EQ(a.resp.error, "bad_name");
    a = decode_answer(R"({"status":"ERROR","error":"line_too_long","limit":32768})");
    EXPECT_EQ(a.resp.error, "line_too_long");
    a = decode_answer(R"({"message":"no status at all"})");
    EXPECT_FALSE(a.resp.ok);
    EXPECT_EQ(a.resp.error, "no status at all");
    EXPECT_FALSE(decode_answer("not json").parsed);
    EXPECT_FALSE(decode_answer("[]").parsed);
}

TEST(RendezvousCodec, DiscoverAnswerToleratesMissingExtraAndBrokenEntries) {
    Answer a = decode_answer(
        R"({"status":"OK","peers":[)"
        R"({"ip":"1.2.3.4","port":7070,"name":"alice","namespace":"CIC","ttl":7200,"expires_in":7130},)"
        R"({"ip":"5.6.7.8","port":"4000","name":"bob","namespace":"UnB","observed_ip":"x","observed_port":1},)"
        R"({"ip":"5.6.7.8","name":"noport","namespace":"UnB"},)"
        R"({"ip":"5.6.7.8","port":0,"name":"zero","namespace":"UnB"},)"
        R"(7, null, {"port":1,"name":"noip","namespace":"x"}]})");
    ASSERT_TRUE(a.parsed);
    EXPECT_TRUE(a.resp.ok);
    EXPECT_TRUE(a.resp.has_peers);
    EXPECT_EQ(a.peers, (std::vector<std::string>{"alice@CIC 1.2.3.4:7070 7200 7130",
                                                 "bob@UnB 5.6.7.8:4000 0 -1"}));
    EXPECT_EQ(a.skipped, 5u);

    a = decode_answer(R"({"status":"OK","peers":[]})");
    EXPECT_TRUE(a.resp.has_peers);
    EXPECT_TRUE(a.peers.empty());
}

TEST(RendezvousCodec, RoundTripOfEveryEncodedLine) {
    char buf[rdv::kRdvLineBytes];
    std::size_t n = rdv::encode_register_ok(buf, sizeof buf, 60, "::1", 9);
    Answer a = decode_answer(std::string(buf, n - 1));
    EXPECT_TRUE(a.resp.ok);
    EXPECT_EQ(a.resp.ttl, 60);
    EXPECT_EQ(a.resp.observed_ip, "::1");
    EXPECT_EQ(a.resp.observed_port, 9);

    n = rdv::encode_register(buf, sizeof buf, "C", "n", 5, 10);
    Decoded d = decode_request(std::string(buf, n - 1));
    ASSERT_EQ(d.status, RequestParse::kOk);
    EXPECT_EQ(d.req.type, "REGISTER");
    EXPECT_EQ(d.req.ns.str, "C");
    EXPECT_EQ(d.req.name.str, "n");
    EXPECT_EQ(d.req.port.i, 5);
    EXPECT_EQ(d.req.ttl.i, 10);

    std::string out;
    rdv::DiscoverAnswerBuilder b(out);
    b.add({"1.1.1.1", 2, "x", "y", 3, 4});
    std::string_view text = b.finish();
    a = decode_answer(std::string(text.substr(0, text.size() - 1)));
    EXPECT_EQ(a.peers, (std::vector<std::string>{"x@y 1.1.1.1:2 3 4"}));
}

// ---- Python rules -------------------------------------------------------------------

TEST(PythonCompat, IntOfStrings) {
    struct Case {
        const char* text;
        bool ok;
        std::int64_t value;
    } cases[] = {
        {"42", true, 42},
        {" 42 ", true, 42},
        {"+42", true, 42},
        {"-7", true, -7},
        {"0042", true, 42},
        {"4_2", true, 42},
        {"\t\n42\r\v\f", true, 42},
        {"\xC2\xA0"
         "5",
         true, 5},                               // NBSP is whitespace to int()
        {"\xD9\xA3", true, 3},                   // ARABIC-INDIC DIGIT THREE
        {"\xEF\xBC\x91\xEF\xBC\x92", true, 12},  // fullwidth digits
        {"99999999999999999999", true, INT64_MAX},
        {"-99999999999999999999", true, INT64_MIN},
        {"9223372036854775807", true, INT64_MAX},
        {"-9223372036854775808", true, INT64_MIN},
        {"", false, 0},
        {" ", false, 0},
        {"+", false, 0},
        {"4 2", false, 0},
        {"_42", false, 0},
        {"42_", false, 0},
        {"4__2", false, 0},
        {"4.0", false, 0},
        {"1e3", false, 0},
        {"0x1", false, 0},
        {"\x1c"
         "5",
         false, 0},
        {"--5", false, 0},
        {"+-5", false, 0},
        {"5\xFF", false, 0},
    };
    for (const Case& c : cases) {
        py::IntResult r = py::parse_int(c.text);
        EXPECT_EQ(r.ok(), c.ok) << c.text;
        if (c.ok) {
            EXPECT_EQ(r.value, c.value) << c.text;
        }
    }
    EXPECT_FALSE(py::parse_int(std::string(4301, '1')).ok());  // int_max_str_digits
    EXPECT_TRUE(py::parse_int(std::string(4300, '1')).ok());
}

TEST(PythonCompat, IntOfJsonValues) {
    LooseValue v;
    EXPECT_EQ(py::to_int(v).status, py::IntStatus::kTypeError);
    v.kind = LooseValue::Kind::kNull;
    EXPECT_EQ(py::to_int(v).status, py::IntStatus::kTypeError);
    v.kind = LooseValue::Kind::kOther;
    EXPECT_EQ(py::to_int(v).status, py::IntStatus::kTypeError);
    v.kind = LooseValue::Kind::kDouble;
    v.d = -3.99;
    EXPECT_EQ(py::to_int(v).value, -3);
    v.d = 1e300;
    EXPECT_EQ(py::to_int(v).value, INT64_MAX);
    v.d = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(py::to_int(v).status, py::IntStatus::kValueError);
    v.d = std::numeric_limits<double>::infinity();
    EXPECT_EQ(py::to_int(v).status, py::IntStatus::kOverflow);
}

TEST(PythonCompat, FloatReprMatchesPython) {
    struct Case {
        double d;
        const char* repr;
    } cases[] = {{0.5, "0.5"},           {1.0, "1.0"},
                 {-2.0, "-2.0"},         {0.0, "0.0"},
                 {-0.0, "-0.0"},         {1e16, "1e+16"},
                 {1.5e16, "1.5e+16"},    {9999999999999998.0, "9999999999999998.0"},
                 {1e-5, "1e-05"},        {0.0001, "0.0001"},
                 {123.456, "123.456"},   {1e100, "1e+100"},
                 {2.5e-300, "2.5e-300"}, {0.1 + 0.2, "0.30000000000000004"},
                 {70000.0, "70000.0"},   {1e20, "1e+20"}};
    for (const Case& c : cases) {
        std::string out;
        py::append_float_repr(c.d, out);
        EXPECT_EQ(out, c.repr);
    }
}

TEST(PythonCompat, StrOfJsonValues) {
    std::string out;
    LooseValue v;
    v.kind = LooseValue::Kind::kString;
    v.str = "abc";
    py::append_str(v, out);
    v.kind = LooseValue::Kind::kBool;
    v.i = 1;
    py::append_str(v, out);
    v.kind = LooseValue::Kind::kInt;
    v.i = -5;
    py::append_str(v, out);
    EXPECT_EQ(out, "abcTrue-5");
}

TEST(PythonCompat, UpperAsPythonDoesForCommandNames) {
    char out[16];
    auto up = [&](std::string_view s) {
        return std::string(out, py::upper_ascii(s, out, sizeof out));
    };
    EXPECT_EQ(up("Register"), "REGISTER");
    EXPECT_EQ(up("di\xC5\xBF"
                 "cover"),
              "DISCOVER");                         // long s
    EXPECT_EQ(up("d\xC4\xB1scover"), "DISCOVER");  // dotless i
    EXPECT_EQ(up("unregi\xEF\xAC\x86"
                 "er"),
              "UNREGISTER");  // st ligature
    EXPECT_EQ(up("stra\xC3\x9F"
                 "e"),
              "STRASSE");
    EXPECT_EQ(up("caf\xC3\xA9"), "");            // é upper is not ASCII
    EXPECT_EQ(up("averyveryverylongname"), "");  // does not fit
}

}  // namespace
}  // namespace p2p
