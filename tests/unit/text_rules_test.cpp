// The text rules of core/text.h: UTF-8 decoding and repair, the classes of
// code points, the name rule, the local-name rule and peer_id syntax.
#include "core/text.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/hostile_names.h"

namespace p2p {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

// ---- UTF-8 ----------------------------------------------------------------------

TEST(Utf8, DecodesEachLengthAndStopsAfterOneCharacter) {
    Utf8Char c = decode_utf8_char("A tail");
    EXPECT_TRUE(c.valid);
    EXPECT_EQ(c.cp, U'A');
    EXPECT_EQ(c.len, 1u);
    c = decode_utf8_char("\xC3\xA9xyz");
    EXPECT_TRUE(c.valid);
    EXPECT_EQ(c.cp, U'\u00E9');
    EXPECT_EQ(c.len, 2u);
    c = decode_utf8_char("\xE2\x80\xAE");
    EXPECT_EQ(c.cp, U'\u202E');
    EXPECT_EQ(c.len, 3u);
    c = decode_utf8_char("\xF0\x9F\x98\x80!");
    EXPECT_EQ(c.cp, U'\U0001F600');
    EXPECT_EQ(c.len, 4u);
    c = decode_utf8_char("\xF4\x8F\xBF\xBF");  // U+10FFFF, the last code point
    EXPECT_TRUE(c.valid);
    EXPECT_EQ(c.cp, U'\U0010FFFF');
}

TEST(Utf8, IllFormedSequencesGiveTheirMaximalSubpart) {
    struct Case {
        std::string bytes;
        std::size_t len;
    };
    for (const Case& k : {
             Case{"\x80", 1},              // stray continuation
             Case{"\xFF", 1},              // never a lead byte
             Case{"\xC0\xAF", 1},          // overlong: C0 is never a lead
             Case{"\xE0\x80\x80", 1},      // overlong 3-byte
             Case{"\xED\xA0\x80", 1},      // surrogate U+D800
             Case{"\xF4\x90\x80\x80", 1},  // beyond U+10FFFF
             Case{"\xE2\x82", 2},          // cut short: both bytes are one subpart
             Case{"\xE2\x82"
                  "A",
                  2},
             Case{"\xF0\x9F\x98", 3},
         }) {
        Utf8Char c = decode_utf8_char(k.bytes);
        EXPECT_FALSE(c.valid) << k.bytes;
        EXPECT_EQ(c.cp, U'\uFFFD') << k.bytes;
        EXPECT_EQ(c.len, k.len) << k.bytes;
    }
}

TEST(Utf8, Validity) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii \x01\x7f"));
    EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80 Ol\xC3\xA1"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));
    EXPECT_FALSE(is_valid_utf8("ok\xED\xA0\x80"));
    EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
}

// Python's bytes.decode("utf-8", errors="replace"): one U+FFFD per maximal
// subpart, which the rendezvous server must match byte for byte.
TEST(Utf8, RepairUsesMaximalSubparts) {
    char out[64];
    auto fix = [&](std::string_view s) {
        RepairedUtf8 r = repair_utf8(s, out, sizeof out);
        EXPECT_TRUE(r.complete);
        return std::string(out, r.len);
    };
    const std::string& r = kFffd;
    EXPECT_EQ(fix("ok \xC3\xA9"), "ok \xC3\xA9");
    EXPECT_EQ(fix("a\xFF"
                  "b"),
              "a" + r + "b");
    EXPECT_EQ(fix("\xE2\x82"), r);  // truncated 3-byte: one U+FFFD
    EXPECT_EQ(fix("\xE2\x82"
                  "A"),
              r + "A");
    EXPECT_EQ(fix("\xED\xA0\x80"), r + r + r);          // surrogate: each byte
    EXPECT_EQ(fix("\xC0\xAF"), r + r);                  // overlong
    EXPECT_EQ(fix("\xF4\x90\x80\x80"), r + r + r + r);  // beyond U+10FFFF
    EXPECT_EQ(fix("d\xff\xfe\xc3"), "d" + r + r + r);   // what the console test sends
}

TEST(Utf8, RepairThatDoesNotFitIsCutAtACharacterAndSaysSo) {
    char out[5];
    RepairedUtf8 r = repair_utf8("\xFF\xFF", out, sizeof out);
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(std::string(out, r.len), kFffd);
    r = repair_utf8("ab\xC3\xA9\xC3\xA9", out, sizeof out);
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(std::string(out, r.len), "ab\xC3\xA9");
    r = repair_utf8("ab\xC3\xA9", out, 4);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.len, 4u);
}

// ---- classes of code points -----------------------------------------------------------

TEST(CodePoints, Classes) {
    EXPECT_TRUE(is_c1_control(0x80));
    EXPECT_TRUE(is_c1_control(0x9B));
    EXPECT_TRUE(is_c1_control(0x9F));
    EXPECT_FALSE(is_c1_control(0x7F));
    EXPECT_FALSE(is_c1_control(0xA0));
    for (char32_t cp :
         {0x85, 0xA0, 0x1680, 0x2000, 0x2005, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000})
        EXPECT_TRUE(is_unicode_space(cp)) << std::hex << static_cast<unsigned>(cp);
    for (char32_t cp : {0x20, 0x200B, 0x200E, 0xFEFF, 0x1FFF})
        EXPECT_FALSE(is_unicode_space(cp)) << std::hex << static_cast<unsigned>(cp);
    for (char32_t cp : {0x61C, 0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069})
        EXPECT_TRUE(is_bidi_control(cp)) << std::hex << static_cast<unsigned>(cp);
    for (char32_t cp : {0x2029, 0x202F, 0x2065, 0x206A, 0x200D})
        EXPECT_FALSE(is_bidi_control(cp)) << std::hex << static_cast<unsigned>(cp);
}

TEST(CodePoints, DangerousOnesAreC1LineSeparatorsAndBidiControls) {
    for (char32_t cp : {0x80, 0x85, 0x9B, 0x9F, 0x2028, 0x2029, 0x61C, 0x200E, 0x200F, 0x202A,
                        0x202E, 0x2066, 0x2069})
        EXPECT_TRUE(is_dangerous_code_point(cp)) << std::hex << static_cast<unsigned>(cp);
    // Neighbours of each range, ordinary text, and spaces that are merely odd.
    for (char32_t cp : {0x41, 0x7E, 0xA0, 0xE9, 0x61B, 0x61D, 0x200D, 0x2027, 0x202F, 0x2065,
                        0x206A, 0x3000, 0x4E2D, 0xFEFF, 0x1F600, 0x10FFFF})
        EXPECT_FALSE(is_dangerous_code_point(cp)) << std::hex << static_cast<unsigned>(cp);
}

// ---- the name rule ------------------------------------------------------------------

TEST(NameRule, AcceptsAnyOtherTextOfOneTo64Bytes) {
    EXPECT_TRUE(is_valid_name("alice"));
    EXPECT_TRUE(is_valid_name("a.b-c_d"));
    EXPECT_TRUE(is_valid_name("J\xC3\xBCrgen"));
    EXPECT_TRUE(is_valid_name("\xE6\x97\xA5\xE6\x9C\xAC"));  // 日本
    EXPECT_TRUE(is_valid_name("smile\xF0\x9F\x98\x80"));
    EXPECT_TRUE(is_valid_name("a/b:c!"));
    EXPECT_TRUE(is_valid_name(std::string(64, 'a')));
    // 64 bytes of two-byte characters: the limit counts bytes.
    std::string u;
    for (int i = 0; i < 32; ++i)
        u += "\xC3\xA9";
    EXPECT_TRUE(is_valid_name(u));
    EXPECT_FALSE(is_valid_name(u + "x"));
}

TEST(NameRule, RefusesWhatTheRuleLists) {
    EXPECT_FALSE(is_valid_name(""));
    EXPECT_FALSE(is_valid_name(std::string(65, 'a')));
    for (std::string_view bad : {"a@b", "#ns", "st*r", "sp ace", "tab\t", "nl\n", "cr\r", "v\v",
                                 "f\f", "ctl\x01", "esc\x1b", "del\x7f"})
        EXPECT_FALSE(is_valid_name(bad)) << bad;
    EXPECT_FALSE(is_valid_name(std::string("nu\0l", 4)));
    // Every C1 control, the whole U+2000..U+200A run and the bidi controls.
    for (char32_t cp = 0x80; cp <= 0x9F; ++cp) {
        std::string s = "x";
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
        EXPECT_FALSE(is_valid_name(s)) << std::hex << static_cast<unsigned>(cp);
    }
    for (char32_t cp :
         {0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
          0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x1680, 0x200E, 0x200F, 0x202A,
          0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}) {
        std::string s = "x";
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
        EXPECT_FALSE(is_valid_name(s)) << std::hex << static_cast<unsigned>(cp);
    }
    EXPECT_FALSE(is_valid_name("nbsp\xC2\xA0"));
    EXPECT_FALSE(is_valid_name("alm\xD8\x9C"));  // U+061C arabic letter mark
    EXPECT_FALSE(is_valid_name("cut\xC3"));      // not UTF-8
    for (std::string_view bad : test::kHostileNames)
        EXPECT_FALSE(is_valid_name(bad)) << bad;
}

TEST(LocalNameRule, OnlyAsciiLettersDigitsDotUnderscoreDash) {
    EXPECT_TRUE(is_valid_local_name("alice"));
    EXPECT_TRUE(is_valid_local_name("A.b_c-9"));
    EXPECT_TRUE(is_valid_local_name(std::string(64, 'n')));
    EXPECT_FALSE(is_valid_local_name(""));
    EXPECT_FALSE(is_valid_local_name(std::string(65, 'n')));
    EXPECT_FALSE(is_valid_local_name("al ice"));
    EXPECT_FALSE(is_valid_local_name("al@ice"));
    EXPECT_FALSE(is_valid_local_name("J\xc3\xbcrgen"));
    EXPECT_FALSE(is_valid_local_name("a/b"));
}

TEST(LocalNameRule, EveryLocalNameIsAValidRemoteName) {
    for (int c = 0; c < 256; ++c) {
        std::string s(1, static_cast<char>(c));
        if (is_valid_local_name(s)) {
            EXPECT_TRUE(is_valid_name(s)) << c;
        }
    }
}

// ---- peer ids -----------------------------------------------------------------------

TEST(PeerId, ExactlyOneAtBetweenTwoValidNames) {
    EXPECT_TRUE(is_valid_peer_id("alice@CIC"));
    EXPECT_TRUE(is_valid_peer_id("a.b-c_d@x"));
    EXPECT_TRUE(is_valid_peer_id("J\xC3\xBCrgen@\xE6\x97\xA5"));
    EXPECT_FALSE(is_valid_peer_id("alice"));
    EXPECT_FALSE(is_valid_peer_id("@CIC"));
    EXPECT_FALSE(is_valid_peer_id("alice@"));
    EXPECT_FALSE(is_valid_peer_id("a@b@c"));
    EXPECT_FALSE(is_valid_peer_id("al ice@CIC"));
    EXPECT_FALSE(is_valid_peer_id("alice@C\tIC"));
    EXPECT_FALSE(is_valid_peer_id("alice@C\x7fIC"));
    EXPECT_FALSE(is_valid_peer_id(std::string(65, 'a') + "@CIC"));
    EXPECT_TRUE(is_valid_peer_id(std::string(64, 'a') + "@" + std::string(64, 'b')));
    for (std::string_view bad : test::kHostileNames) {
        EXPECT_FALSE(is_valid_peer_id(std::string(bad) + "@CIC")) << bad;
        EXPECT_FALSE(is_valid_peer_id("bob@" + std::string(bad))) << bad;
    }
}

TEST(PeerId, SplitGivesBothPartsOrLeavesThemAlone) {
    PeerIdParts parts;
    ASSERT_TRUE(split_peer_id("bob@CIC", parts));
    EXPECT_EQ(parts.name, "bob");
    EXPECT_EQ(parts.ns, "CIC");
    EXPECT_FALSE(split_peer_id("carol@a@b", parts));
    EXPECT_EQ(parts.name, "bob");
    EXPECT_EQ(peer_id_namespace("bob@CIC"), "CIC");
    EXPECT_EQ(peer_id_namespace("bob"), "");
}

}  // namespace
}  // namespace p2p
