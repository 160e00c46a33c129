#include "core/civil_time.h"

#include <cstring>

namespace p2p {

namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// Floor division, so that instants before the epoch fall on the day before.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a >= 0 ? a / b : (a - (b - 1)) / b;
}

void put_digits(char* p, unsigned value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

// "YYYY-MM-DDTHH:MM:SS" into p[0..19).
constexpr std::size_t kDateTimeBytes = 19;
void put_date_time(char* p, const UtcTime& t) {
    std::int64_t year = t.date.year < 0 ? 0 : t.date.year > 9999 ? 9999 : t.date.year;
    put_digits(p, static_cast<unsigned>(year), 4);
    p[4] = '-';
    put_digits(p + 5, t.date.month, 2);
    p[7] = '-';
    put_digits(p + 8, t.date.day, 2);
    p[10] = 'T';
    put_digits(p + 11, t.hour, 2);
    p[13] = ':';
    put_digits(p + 14, t.minute, 2);
    p[16] = ':';
    put_digits(p + 17, t.second, 2);
}

// Appends a literal suffix after the date and time and terminates the text.
std::string_view finish(char* out, std::size_t len, std::string_view suffix) {
    std::memcpy(out + len, suffix.data(), suffix.size());
    len += suffix.size();
    out[len] = '\0';
    return {out, len};
}

}  // namespace

std::int64_t days_from_civil(const CivilDate& date) {
    const unsigned m = date.month;
    const std::int64_t y = date.year - (m <= 2);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + date.day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    CivilDate date;
    date.day = doy - (153 * mp + 2) / 5 + 1;
    date.month = mp < 10 ? mp + 3 : mp - 9;
    date.year = static_cast<std::int64_t>(yoe) + era * 400 + (date.month <= 2);
    return date;
}

UtcTime utc_from_wall_ms(WallMs wall) {
    std::int64_t days = floor_div(wall, kMsPerDay);
    auto in_day = static_cast<unsigned>(wall - days * kMsPerDay);
    UtcTime t;
    t.date = civil_from_days(days);
    t.hour = in_day / 3'600'000;
    t.minute = in_day / 60'000 % 60;
    t.second = in_day / 1000 % 60;
    t.millis = in_day % 1000;
    return t;
}

std::string_view format_iso8601(WallMs wall, char (&out)[kIsoTimeBytes]) {
    put_date_time(out, utc_from_wall_ms(wall));
    return finish(out, kDateTimeBytes, "Z");
}

std::string_view format_iso8601_ms(WallMs wall, char (&out)[kIsoTimeMsBytes]) {
    UtcTime t = utc_from_wall_ms(wall);
    put_date_time(out, t);
    out[kDateTimeBytes] = '.';
    put_digits(out + kDateTimeBytes + 1, t.millis, 3);
    return finish(out, kDateTimeBytes + 4, "Z");
}

std::string_view format_iso8601_python(WallMs wall, char (&out)[kIsoTimePythonBytes]) {
    UtcTime t = utc_from_wall_ms(wall);
    put_date_time(out, t);
    std::size_t len = kDateTimeBytes;
    if (t.millis != 0) {  // isoformat() writes microseconds, and only when non-zero
        out[len] = '.';
        put_digits(out + len + 1, t.millis * 1000, 6);
        len += 7;
    }
    return finish(out, len, "+00:00");
}

// Parsing steps over the text, each consuming what it matched.
namespace {

struct IsoReader {
    std::string_view s;
    std::size_t i = 0;

    bool digits(std::size_t count, std::int64_t& v) {
        if (i + count > s.size()) return false;
        std::int64_t n = 0;
        for (std::size_t k = 0; k < count; ++k) {
            char c = s[i + k];
            if (c < '0' || c > '9') return false;
            n = n * 10 + (c - '0');
        }
        i += count;
        v = n;
        return true;
    }
    bool lit(char c) {
        if (i < s.size() && s[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
    bool at_end() const { return i == s.size(); }
    // (.|,) and one or more digits, of which milliseconds are kept.
    bool fraction_ms(std::int64_t& ms) {
        if (!lit('.') && !lit(',')) return true;
        std::size_t start = i;
        std::int64_t scale = 100;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            ms += (s[i] - '0') * scale;
            scale /= 10;
        }
        return i != start;
    }
    // Z, z, ±HH, ±HHMM, ±HH:MM or nothing, as minutes east of UTC.
    bool offset_minutes(std::int64_t& minutes) {
        if (lit('Z') || lit('z') || at_end()) return true;
        if (s[i] != '+' && s[i] != '-') return true;
        bool negative = s[i++] == '-';
        std::int64_t oh = 0, om = 0;
        if (!digits(2, oh)) return false;
        if (lit(':')) {
            if (!digits(2, om)) return false;
        } else if (!at_end() && !digits(2, om)) {
            return false;
        }
        minutes = (negative ? -1 : 1) * (oh * 60 + om);
        return true;
    }
};

}  // namespace

bool parse_iso8601(std::string_view text, WallMs& out) {
    IsoReader r{text};
    std::int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, offset_min = 0;
    if (!r.digits(4, y) || !r.lit('-') || !r.digits(2, mo) || !r.lit('-') || !r.digits(2, d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
    if (!r.at_end()) {
        ++r.i;  // any separator, as fromisoformat allows
        if (!r.digits(2, h) || !r.lit(':') || !r.digits(2, mi)) return false;
        if (r.lit(':') && (!r.digits(2, sec) || !r.fraction_ms(frac_ms))) return false;
    }
    if (h > 23 || mi > 59 || sec > 59) return false;
    if (!r.offset_minutes(offset_min) || !r.at_end()) return false;
    std::int64_t days = days_from_civil({y, static_cast<unsigned>(mo), static_cast<unsigned>(d)});
    out = ((days * 24 + h) * 60 + mi - offset_min) * 60'000 + sec * 1000 + frac_ms;
    return true;
}

}  // namespace p2p
