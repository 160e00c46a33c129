// core/civil_time.h: calendar arithmetic and the ISO 8601 forms written on the
// wire, in log lines and in the registry's file, and the form read back.
#include "core/civil_time.h"

#include <gtest/gtest.h>

#include <string>

namespace p2p {
namespace {

TEST(CivilDate, KnownDays) {
    struct Case {
        std::int64_t days;
        std::int64_t y;
        unsigned m, d;
    };
    for (const Case& c :
         {Case{0, 1970, 1, 1}, Case{-1, 1969, 12, 31}, Case{11016, 2000, 2, 29},
          Case{11017, 2000, 3, 1}, Case{-135080, 1600, 3, 1}, Case{20370, 2025, 10, 9}}) {
        CivilDate date = civil_from_days(c.days);
        EXPECT_EQ(date.year, c.y) << c.days;
        EXPECT_EQ(date.month, c.m) << c.days;
        EXPECT_EQ(date.day, c.d) << c.days;
        EXPECT_EQ(days_from_civil({c.y, c.m, c.d}), c.days);
    }
}

TEST(CivilDate, RoundTripsOverFourCenturiesEitherSideOfTheEpoch) {
    CivilDate previous = civil_from_days(-146097 * 2 - 1);
    for (std::int64_t days = -146097 * 2; days <= 146097 * 2; ++days) {
        CivilDate date = civil_from_days(days);
        ASSERT_EQ(days_from_civil(date), days);
        // Consecutive days: the next day of the month, or the 1st of the next.
        bool next_day = date.day == previous.day + 1 && date.month == previous.month;
        bool next_month = date.day == 1 && (date.month == previous.month + 1 ||
                                            (date.month == 1 && previous.month == 12));
        ASSERT_TRUE(next_day || next_month) << days;
        previous = date;
    }
}

TEST(UtcTime, SplitsAWallClockInstantWithFloorDivision) {
    UtcTime t = utc_from_wall_ms(1'760'000'000'123);
    EXPECT_EQ(t.date.year, 2025);
    EXPECT_EQ(t.date.month, 10u);
    EXPECT_EQ(t.date.day, 9u);
    EXPECT_EQ(t.hour, 8u);
    EXPECT_EQ(t.minute, 53u);
    EXPECT_EQ(t.second, 20u);
    EXPECT_EQ(t.millis, 123u);
    t = utc_from_wall_ms(-1);
    EXPECT_EQ(t.date.year, 1969);
    EXPECT_EQ(t.hour, 23u);
    EXPECT_EQ(t.second, 59u);
    EXPECT_EQ(t.millis, 999u);
}

TEST(Iso8601, WireTimestampDropsMilliseconds) {
    char out[kIsoTimeBytes];
    EXPECT_EQ(format_iso8601(1'760'000'000'999, out), "2025-10-09T08:53:20Z");
    EXPECT_STREQ(out, "2025-10-09T08:53:20Z");
    EXPECT_EQ(format_iso8601(0, out), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_iso8601(-1, out), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_iso8601(951'782'400'000, out), "2000-02-29T00:00:00Z");
    // The year keeps four digits, whatever the clock says.
    EXPECT_EQ(format_iso8601(-62'200'000'000'000, out).substr(0, 5), "0000-");
    EXPECT_EQ(format_iso8601(300'000'000'000'000, out).substr(0, 5), "9999-");
}

TEST(Iso8601, LogStampKeepsMilliseconds) {
    char out[kIsoTimeMsBytes];
    EXPECT_EQ(format_iso8601_ms(1'760'000'000'005, out), "2025-10-09T08:53:20.005Z");
    EXPECT_EQ(format_iso8601_ms(-1, out), "1969-12-31T23:59:59.999Z");
}

TEST(Iso8601, PythonIsoformatWritesMicrosecondsOnlyWhenNotZero) {
    char out[kIsoTimePythonBytes];
    EXPECT_EQ(format_iso8601_python(1'760'000'000'000, out), "2025-10-09T08:53:20+00:00");
    EXPECT_EQ(format_iso8601_python(1'760'000'000'123, out), "2025-10-09T08:53:20.123000+00:00");
    EXPECT_EQ(format_iso8601_python(-1, out), "1969-12-31T23:59:59.999000+00:00");
}

TEST(Iso8601, ParsesWhatFromisoformatAccepts) {
    struct Case {
        const char* text;
        WallMs ms;
    };
    for (const Case& c : {
             Case{"2025-10-09T08:53:20+00:00", 1'760'000'000'000},
             Case{"2025-10-09T08:53:20.123000+00:00", 1'760'000'000'123},
             Case{"2025-10-09T08:53:20,5Z", 1'760'000'000'500},
             Case{"2025-10-09 08:53:20z", 1'760'000'000'000},
             Case{"2025-10-09T08:53:20", 1'760'000'000'000},  // no offset: UTC
             Case{"2025-10-09T10:53:20+02:00", 1'760'000'000'000},
             Case{"2025-10-09T10:53:20+0200", 1'760'000'000'000},
             Case{"2025-10-09T07:53:20-01", 1'760'000'000'000},
             Case{"2025-10-09T08:53", 1'759'999'980'000},
             Case{"2025-10-09", 1'759'968'000'000},
         }) {
        WallMs ms = -1;
        EXPECT_TRUE(parse_iso8601(c.text, ms)) << c.text;
        EXPECT_EQ(ms, c.ms) << c.text;
    }
}

TEST(Iso8601, RefusesAnythingElse) {
    for (const char* bad : {"", "2025", "2025-13-01", "2025-10-32", "2025-1-09", "2025-10-09T",
                            "2025-10-09T24:00", "2025-10-09T08:60", "2025-10-09T08:53:61",
                            "2025-10-09T08:53:20.", "2025-10-09T08:53:20+2", "2025-10-09T08:53:20 ",
                            "2025-10-09T08:53:20+00:00x", "yesterday"}) {
        WallMs ms = 42;
        EXPECT_FALSE(parse_iso8601(bad, ms)) << bad;
        EXPECT_EQ(ms, 42) << bad;
    }
}

TEST(Iso8601, WhatWeWriteWeReadBack) {
    for (WallMs ms : {WallMs{0}, WallMs{1'760'000'000'123}, WallMs{951'782'400'001}}) {
        char out[kIsoTimePythonBytes];
        WallMs back = -1;
        ASSERT_TRUE(parse_iso8601(format_iso8601_python(ms, out), back));
        EXPECT_EQ(back, ms);
    }
}

}  // namespace
}  // namespace p2p
