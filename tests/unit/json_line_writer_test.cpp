// The peer codec's LineWriter (core/json_line_writer.h) must write exactly
// what RapidJSON's Writer wrote before it (the wire stays byte-identical:
// issue 17). Each case writes the same object with both and compares bytes.
#include "core/json_line_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/json_util.h"

namespace p2p::json {
namespace {

struct Both {
    char a[4096], b[4096];
    LineWriter ours{a, sizeof a};
    FixedWriter theirs{b, sizeof b};
    Both() {
        ours.open();
        theirs.note(theirs->StartObject());
    }
    void expect_same() {
        ours.close();
        theirs.note(theirs->EndObject());
        theirs.put_raw('\n');
        ASSERT_FALSE(ours.failed());
        ASSERT_FALSE(theirs.failed());
        EXPECT_EQ(std::string(a, ours.size()), std::string(b, theirs.size()));
    }
};

TEST(JsonLineWriter, EveryByteInAStringIsWrittenAsRapidJsonWritesIt) {
    for (int c = 0; c < 256; ++c) {
        std::string s = "a";
        s += static_cast<char>(c);
        s += "b";
        Both w;
        w.ours.string_field("k", s);
        put(w.theirs, "k", s);
        w.expect_same();
    }
}

TEST(JsonLineWriter, MixedStringsIntegersBooleansAndArrays) {
    Both w;
    std::string nul("x\0y\"\\\n\x1f\x7f\xc3\xa9", 10);
    w.ours.string_field("type", "SEND");
    put(w.theirs, "type", "SEND");
    w.ours.string_field("payload", nul);
    put(w.theirs, "payload", nul);
    w.ours.string_field("empty", "");
    put(w.theirs, "empty", "");
    for (std::int64_t v :
         {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 40,
          std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
        w.ours.int_field("i", v);
        put_int(w.theirs, "i", v);
    }
    w.ours.uint_field("u", std::numeric_limits<std::uint64_t>::max());
    put_uint(w.theirs, "u", std::numeric_limits<std::uint64_t>::max());
    for (double d : {0.0, -0.0, 1.5, 12.25, 1e-7, 86400000.0, 1.0 / 3}) {
        w.ours.double_field("d", d);
        put_double(w.theirs, "d", d);
    }
    w.ours.bool_field("t", true);
    put_bool(w.theirs, "t", true);
    w.ours.bool_field("f", false);
    put_bool(w.theirs, "f", false);
    w.ours.array_field("features");
    w.theirs.note(w.theirs->Key("features"));
    w.theirs.note(w.theirs->StartArray());
    for (const char* f : {"ack", "relay", "grease-\"x"}) {
        w.ours.string_element(f);
        w.theirs.note(w.theirs->String(f));
    }
    w.ours.end_array();
    w.theirs.note(w.theirs->EndArray());
    w.ours.array_field("none");
    w.theirs.note(w.theirs->Key("none"));
    w.theirs.note(w.theirs->StartArray());
    w.ours.end_array();
    w.theirs.note(w.theirs->EndArray());
    w.ours.int_field("ttl", 1);
    put_int(w.theirs, "ttl", 1);
    w.expect_same();
}

// One object {"key":"value"} written into out[0..cap) (out may be nullptr).
LineWriter one_field(char* out, std::size_t cap, std::string_view key, std::string_view value) {
    LineWriter w(out, cap);
    w.open();
    w.string_field(key, value);
    w.close();
    return w;
}

TEST(JsonLineWriter, RefusesNaNAndReportsWhatDoesNotFit) {
    char out[64];
    LineWriter nan(out, sizeof out);
    nan.open();
    nan.double_field("d", std::nan(""));
    nan.close();
    EXPECT_TRUE(nan.failed());

    EXPECT_TRUE(one_field(out, 8, "key", "longer than eight bytes").failed());
    EXPECT_TRUE(one_field(out, 9, "k", "v").failed());  // {"k":"v"} is 9 bytes, + '\n' is 10
    LineWriter fits = one_field(out, 10, "k", "v");
    EXPECT_FALSE(fits.failed());
    EXPECT_EQ(std::string(out, fits.size()), "{\"k\":\"v\"}\n");
    // Counting only: {"k":"v\n"} and its newline.
    EXPECT_EQ(one_field(nullptr, std::numeric_limits<std::size_t>::max(), "k", "v\n").size(), 12u);
}

}  // namespace
}  // namespace p2p::json
