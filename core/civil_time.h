// Calendar arithmetic and the ISO 8601 forms the program writes and reads, all
// in UTC and without the OS (no gmtime): PING/PONG/ACK timestamps
// (docs/protocol.md §4), log lines, and the rendezvous registry's persisted
// dates in Python's isoformat() style.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"

namespace p2p {

// A proleptic Gregorian date.
struct CivilDate {
    std::int64_t year = 1970;
    unsigned month = 1;  // 1..12
    unsigned day = 1;    // 1..31
};
// Days since 1970-01-01 and back (Howard Hinnant's algorithms; exact for
// every date a 64-bit millisecond clock can hold).
std::int64_t days_from_civil(const CivilDate& date);
CivilDate civil_from_days(std::int64_t days);

// A wall-clock instant split into UTC fields (floor division: times before
// 1970 keep positive fields).
struct UtcTime {
    CivilDate date;
    unsigned hour = 0, minute = 0, second = 0, millis = 0;
};
UtcTime utc_from_wall_ms(WallMs wall);

// The writers below keep the year to four digits, clamped into 0000..9999.

// "2025-10-27T10:00:00Z" (milliseconds dropped) into out[0..21), NUL-terminated.
inline constexpr std::size_t kIsoTimeBytes = 21;
std::string_view format_iso8601(WallMs wall, char (&out)[kIsoTimeBytes]);

// "2025-10-27T10:00:00.123Z" into out[0..25), NUL-terminated.
inline constexpr std::size_t kIsoTimeMsBytes = 25;
std::string_view format_iso8601_ms(WallMs wall, char (&out)[kIsoTimeMsBytes]);

// Python's datetime.isoformat() of an aware UTC time:
// "2025-10-27T10:00:00.123000+00:00", without the fraction when it is zero.
inline constexpr std::size_t kIsoTimePythonBytes = 33;
std::string_view format_iso8601_python(WallMs wall, char (&out)[kIsoTimePythonBytes]);

// What Python's datetime.fromisoformat accepts in practice:
// YYYY-MM-DD[<any char>HH:MM[:SS[(.|,)fraction]]][Z|z|±HH[:]MM|±HH].
// No offset counts as UTC. False (out untouched) for anything else.
bool parse_iso8601(std::string_view text, WallMs& out);

}  // namespace p2p
