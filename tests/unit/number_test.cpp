// The one decimal integer syntax of core/number.h: flags, config keys, ports.
#include "core/number.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace p2p {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

TEST(ParseDecimal, DigitsWithinTheRange) {
    std::int64_t v = -1;
    EXPECT_TRUE(parse_decimal("0", 0, 10, v));
    EXPECT_EQ(v, 0);
    EXPECT_TRUE(parse_decimal("10", 0, 10, v));
    EXPECT_EQ(v, 10);
    EXPECT_TRUE(parse_decimal("007", 0, 10, v));
    EXPECT_EQ(v, 7);
    EXPECT_TRUE(parse_decimal("9223372036854775807", 0, kMax, v));
    EXPECT_EQ(v, kMax);
}

TEST(ParseDecimal, OutOfRangeOrNotADecimalLeavesTheOutputAlone) {
    std::int64_t v = 42;
    for (std::string_view bad : {"", "11", "-", "+5", " 5", "5 ", "5x", "0x5", "1e3", "1_000",
                                 "5.0", "\xEF\xBC\x95" /* fullwidth 5 */})
        EXPECT_FALSE(parse_decimal(bad, 0, 10, v)) << bad;
    EXPECT_FALSE(parse_decimal("9223372036854775808", 0, kMax, v));  // beyond int64
    EXPECT_FALSE(parse_decimal("99999999999999999999999", 0, kMax, v));
    EXPECT_EQ(v, 42);
}

TEST(ParseDecimal, SignOnlyWhereTheRangeHasNegatives) {
    std::int64_t v = 0;
    EXPECT_FALSE(parse_decimal("-1", 0, 10, v));
    EXPECT_FALSE(parse_decimal("-0", 0, 10, v));
    EXPECT_TRUE(parse_decimal("-5", -10, 10, v));
    EXPECT_EQ(v, -5);
    EXPECT_FALSE(parse_decimal("-11", -10, 10, v));
    EXPECT_TRUE(parse_decimal("-9223372036854775808", kMin, kMax, v));
    EXPECT_EQ(v, kMin);
    EXPECT_FALSE(parse_decimal("-9223372036854775809", kMin, kMax, v));
    EXPECT_FALSE(parse_decimal("--5", -10, 10, v));
}

TEST(ParsePort, OneTo65535AndZeroOnlyWhenAllowed) {
    std::uint16_t port = 7;
    EXPECT_TRUE(parse_port("1", port));
    EXPECT_EQ(port, 1);
    EXPECT_TRUE(parse_port("65535", port));
    EXPECT_EQ(port, 65535);
    EXPECT_FALSE(parse_port("0", port));
    EXPECT_FALSE(parse_port("65536", port));
    EXPECT_FALSE(parse_port("-1", port));
    EXPECT_FALSE(parse_port("", port));
    EXPECT_FALSE(parse_port("80a", port));
    EXPECT_EQ(port, 65535);
    EXPECT_TRUE(parse_port("0", port, /*allow_zero=*/true));
    EXPECT_EQ(port, 0);
    EXPECT_FALSE(parse_port("-0", port, /*allow_zero=*/true));
}

}  // namespace
}  // namespace p2p
