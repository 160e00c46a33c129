// The LAN announcement datagram (core/lan_wire.h): what it looks like, and
// every hostile shape that must be refused without a crash or an allocation.
#include "core/lan_wire.h"

#include <gtest/gtest.h>

#include <string>

#include "core/limits.h"
#include "tests/support/alloc_counter.h"

namespace p2p {
namespace {

// Decodes a copy (the decoder writes data[len]).
LanDecode decode(const std::string& text, LanAnnounce* out = nullptr) {
    static std::string buf;
    buf = text;
    buf.push_back('\0');
    LanAnnounce a;
    LanDecode r = decode_lan_announce(buf.data(), text.size(), a);
    if (out) *out = a;
    return r;
}

const std::string kGood =
    R"({"type":"LAN_ANNOUNCE","v":1,"name":"alice","namespace":"CIC","port":40123,)"
    R"("instance":"0123456789abcdef"})";

std::string with(const std::string& field, const std::string& value) {
    std::string s = kGood;
    std::string key = "\"" + field + "\":";
    auto at = s.find(key);
    EXPECT_NE(at, std::string::npos) << field;
    auto start = at + key.size();
    auto end = s.find_first_of(",}", start);
    return s.substr(0, start) + value + s.substr(end);
}

TEST(LanWire, EncodesTheDocumentedDatagramAndDecodesIt) {
    char instance[kLanInstanceChars];
    format_lan_instance(0x0123456789abcdefull, instance);
    LanAnnounce a{"alice", "CIC", 40123, std::string_view(instance, kLanInstanceChars)};
    char out[kLanMaxDatagramBytes + 1];
    std::size_t n = encode_lan_announce(a, out, sizeof out);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(std::string(out, n), kGood);  // the exact bytes docs/protocol.md §7 shows

    LanAnnounce back;
    ASSERT_EQ(decode_lan_announce(out, n, back), LanDecode::kOk);
    EXPECT_EQ(back.name, "alice");
    EXPECT_EQ(back.ns, "CIC");
    EXPECT_EQ(back.port, 40123);
    EXPECT_EQ(back.instance, "0123456789abcdef");
}

TEST(LanWire, LongestNamesStillFit) {
    std::string name(kMaxNameBytes, 'n'), ns(kMaxNameBytes, 's');
    LanAnnounce a{name, ns, 65535, "ffffffffffffffff"};
    char out[kLanMaxDatagramBytes];
    std::size_t n = encode_lan_announce(a, out, sizeof out);
    ASSERT_GT(n, 0u);
    EXPECT_LT(n, 300u);
    EXPECT_EQ(encode_lan_announce(a, out, 20), 0u);  // too small a buffer: refused, not cut
}

TEST(LanWire, UnknownFieldsAndLaterVersionsAreAccepted) {
    LanAnnounce a;
    std::string s = kGood;
    s.insert(1, R"("extra":{"nested":[1,2,{"x":null}]},"more":true,)");
    EXPECT_EQ(decode(s, &a), LanDecode::kOk);
    EXPECT_EQ(decode(with("v", "2")), LanDecode::kOk);
    // Duplicate keys: the last one wins, as for every message of the protocol.
    s = kGood;
    s.insert(1, R"("name":"mallory",)");
    ASSERT_EQ(decode(s, &a), LanDecode::kOk);
    EXPECT_EQ(a.name, "alice");
    // JSON escapes decode in place.
    ASSERT_EQ(decode(with("name", R"("b\u00e9a")"), &a), LanDecode::kOk);
    EXPECT_EQ(a.name,
              "b\xc3\xa9"
              "a");
}

TEST(LanWire, HostileDatagramsAreRefusedWithTheirReason) {
    struct Case {
        std::string text;
        LanDecode want;
    };
    const Case cases[] = {
        {"", LanDecode::kNotJson},
        {"not json", LanDecode::kNotJson},
        {"[1,2]", LanDecode::kNotJson},
        {"\"LAN_ANNOUNCE\"", LanDecode::kNotJson},
        {"42", LanDecode::kNotJson},
        {kGood + "x", LanDecode::kNotJson},
        {kGood.substr(0, kGood.size() - 1), LanDecode::kNotJson},
        {std::string("{\"type\":\"LAN_ANN\0UNCE\"}", 23), LanDecode::kNotJson},
        {with("name", "\"\xff\xfe\""), LanDecode::kNotJson},  // invalid UTF-8
        {std::string(200, '[') + std::string(200, ']'), LanDecode::kNotJson},
        {"{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", LanDecode::kNotJson},
        {with("type", "\"HELLO\""), LanDecode::kNotAnnounce},
        {with("type", "1"), LanDecode::kNotAnnounce},
        {"{}", LanDecode::kNotAnnounce},
        {with("v", "0"), LanDecode::kBadField},
        {with("v", "\"1\""), LanDecode::kBadField},
        {with("v", "1.5"), LanDecode::kBadField},
        {with("port", "0"), LanDecode::kBadField},
        {with("port", "65536"), LanDecode::kBadField},
        {with("port", "-1"), LanDecode::kBadField},
        {with("port", "\"40123\""), LanDecode::kBadField},
        {with("port", "40123.0"), LanDecode::kBadField},
        {with("port", "1e3"), LanDecode::kBadField},
        {with("port", "99999999999999999999999"), LanDecode::kBadField},
        {with("port", "[40123]"), LanDecode::kBadField},
        {with("instance", "\"0123456789ABCDEF\""), LanDecode::kBadField},
        {with("instance", "\"0123\""), LanDecode::kBadField},
        {with("instance", "12345"), LanDecode::kBadField},
        {with("name", "7"), LanDecode::kBadField},
        {with("namespace", "null"), LanDecode::kBadField},
        {with("name", "{\"a\":1}"), LanDecode::kBadField},
        {with("name", "\"\""), LanDecode::kBadName},
        {with("name", "\"bad name\""), LanDecode::kBadName},
        {with("name", "\"a@b\""), LanDecode::kBadName},
        {with("namespace", "\"C#\""), LanDecode::kBadName},
        {with("name", "\"" + std::string(65, 'x') + "\""), LanDecode::kBadName},
        {with("name", R"("a\u0007b")"), LanDecode::kBadName},
        {with("name", R"("a\u202eb")"), LanDecode::kBadName},  // bidi override
        {with("name", R"("\udc00")"), LanDecode::kBadName},    // lone surrogate
        {with("name", R"("a\u0000b")"), LanDecode::kBadName},
    };
    for (const Case& c : cases)
        EXPECT_EQ(decode(c.text), c.want) << c.text;
    // A name that is missing is a bad name too (nothing to address the peer by).
    std::string no_name = kGood;
    no_name.erase(no_name.find("\"name\""), std::string("\"name\":\"alice\",").size());
    EXPECT_EQ(decode(no_name), LanDecode::kBadName);
}

TEST(LanWire, OversizedDatagramsAreRefusedUnread) {
    std::string big = kGood;
    big.insert(1, "\"pad\":\"" + std::string(kLanMaxDatagramBytes, 'p') + "\",");
    EXPECT_EQ(decode(big), LanDecode::kOversized);
    // The length is checked before the bytes are touched: a runtime whose
    // buffer held less passes the real length.
    char small[8] = "{}";
    LanAnnounce a;
    EXPECT_EQ(decode_lan_announce(small, 70000, a), LanDecode::kOversized);
}

TEST(LanWire, DecodingAllocatesNothing) {
    std::string hostile = "{\"a\":" + std::string(300, '[');
    std::string buf_good = kGood, buf_bad = hostile;
    buf_good.push_back('\0');
    buf_bad.push_back('\0');
    LanAnnounce a;
    long before = test::allocations();
    EXPECT_EQ(decode_lan_announce(buf_good.data(), kGood.size(), a), LanDecode::kOk);
    EXPECT_EQ(decode_lan_announce(buf_bad.data(), hostile.size(), a), LanDecode::kNotJson);
    EXPECT_EQ(test::allocations() - before, 0);
}

}  // namespace
}  // namespace p2p
