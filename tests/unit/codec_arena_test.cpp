// The JSON arena's promise (core/json_arena.h): no peer line up to the 32 KiB
// limit, however adversarial its shape, overflows the fixed arena or calls
// operator new, and decoded views stay valid for as long as their line.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
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

using test::decode;
using test::Decoded;
using test::fill_line;

// ---- the arena ------------------------------------------------------------------

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
    // the pool is sized for what a line can demand and not more. (The peer
    // codec reads lines without a document now; json::parse_line, which the
    // rendezvous codec uses, still builds one in the pool.)
    JsonArena arena;
    std::string line = fill_line("[", "0,", "0]");
    EXPECT_EQ(decode(arena, line).result.status, DecodeStatus::kNotObject);
    std::vector<char> buf(line.begin(), line.end());
    buf.push_back('\0');
    const json::Value* root = json::parse_line(arena, buf.data(), line.size());
    ASSERT_TRUE(root != nullptr && root->IsArray());
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

TEST(CodecArena, ViewsOutliveTheNextParseBecauseTheyPointIntoTheLine) {
    JsonArena arena;
    Decoded a = decode(arena, R"({"type":"SEND","payload":"first"})");
    Decoded b = decode(arena, R"({"type":"SEND","payload":"second"})");
    EXPECT_EQ(a.msg.payload, "first");
    EXPECT_EQ(b.msg.payload, "second");
}

}  // namespace
}  // namespace p2p
