// The config file's bounded parse (shell/app/config_json.h): the nesting limit
// counts containers only, outside strings, and everything else is RapidJSON's.
#include "shell/app/config_json.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p::shell {
namespace {

std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

bool parses(const std::string& text, std::string* why = nullptr) {
    rapidjson::Document doc;
    std::string w;
    bool ok = parse_config_json(text, doc, w);
    if (why) *why = w;
    return ok;
}

TEST(ConfigJson, NestingUpToTheLimitParsesOneMoreIsRefusedWithItsOffset) {
    std::string why;
    EXPECT_TRUE(parses(nested(kMaxConfigDepth), &why)) << why;
    EXPECT_FALSE(parses("{\"a\": " + nested(kMaxConfigDepth), &why));
    EXPECT_EQ(why,
              "nested deeper than 16 levels at byte " + std::to_string(6 + kMaxConfigDepth - 1));
    EXPECT_FALSE(parses(nested(200'000), &why));
    EXPECT_EQ(why, "nested deeper than 16 levels at byte 16");
}

TEST(ConfigJson, BracketsInsideStringsDoNotCount) {
    std::string deep_text = "\"" + std::string(100, '[') + "\"";
    EXPECT_TRUE(parses("{\"name\": " + deep_text + "}"));
    // An escaped quote does not end the string; an escaped backslash does not escape it.
    EXPECT_TRUE(parses(R"({"a": "\"[[[[[[[[[[[[[[[[[[[[", "b": "\\"})"));
    std::string why;
    EXPECT_FALSE(parses(R"({"b": "\\", "c": )" + nested(kMaxConfigDepth), &why));
    EXPECT_NE(why.find("nested deeper"), std::string::npos) << why;
}

TEST(ConfigJson, OtherErrorsAreRapidJsonsAndSizeIsBounded) {
    std::string why;
    EXPECT_FALSE(parses("{\"a\": 1,}", &why));
    EXPECT_EQ(why.rfind("not valid JSON at byte 8: ", 0), 0u) << why;
    EXPECT_FALSE(parses(std::string(kMaxConfigBytes + 1, ' '), &why));
    EXPECT_EQ(why, "larger than 1024 KiB");
    EXPECT_TRUE(parses("{\"a\": [1, 2, {\"b\": null}]}"));
}

}  // namespace
}  // namespace p2p::shell
