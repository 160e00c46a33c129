#include "core/python_compat.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/text.h"

namespace p2p::py {

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// int() strips only these ASCII bytes (Py_ISSPACE), not \x1c-\x1f.
bool is_ascii_space(std::uint32_t cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r';
}

// The first code point of every run of ten Unicode decimal digits (category
// Nd, Unicode 14 as in Python 3.11); int() accepts all of them.
constexpr std::uint32_t kDigitZeros[] = {
    0x30,    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,
    0xc66,   0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,
    0x1810,  0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,
    0xa8d0,  0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066,
    0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
    0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2,
    0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0};

int digit_value(std::uint32_t cp) {
    for (std::uint32_t zero : kDigitZeros) {
        if (cp >= zero && cp < zero + 10) return static_cast<int>(cp - zero);
    }
    return -1;
}

// Code points of text, for the int() grammar. Invalid UTF-8 never reaches
// here in practice (the line was repaired first); it reads as U+FFFD.
struct CodePoints {
    std::string_view text;
    std::size_t pos = 0;
    bool next(std::uint32_t* cp) {
        if (pos >= text.size()) return false;
        Utf8Char c = decode_utf8_char(text.substr(pos));
        *cp = c.cp;
        pos += c.len;
        return true;
    }
};

IntResult from_double(double d) {
    if (std::isnan(d)) return {IntStatus::kValueError, 0};
    if (std::isinf(d)) return {IntStatus::kOverflow, 0};
    double t = std::trunc(d);
    if (t >= 9.2233720368547758e18) return {IntStatus::kOk, kMax};
    if (t <= -9.2233720368547758e18) return {IntStatus::kOk, kMin};
    return {IntStatus::kOk, static_cast<std::int64_t>(t)};
}

}  // namespace

IntResult parse_int(std::string_view text) {
    // Grammar of int(str): ws* [+-] digit ("_"? digit)* ws*, where ws and
    // digit are Unicode-aware. At most 4300 digits (Python 3.11's
    // sys.get_int_max_str_digits() default), else ValueError.
    constexpr std::size_t kMaxDigits = 4300;
    CodePoints it{text};
    auto space = [](std::uint32_t c) { return is_ascii_space(c) || is_unicode_space(c); };
    std::uint32_t cp = 0;
    bool have = it.next(&cp);
    while (have && space(cp))
        have = it.next(&cp);
    bool negative = false;
    if (have && (cp == '+' || cp == '-')) {
        negative = cp == '-';
        have = it.next(&cp);
    }
    // Accumulate as a negative number so kMin is representable; saturate.
    std::int64_t acc = 0;
    std::size_t digits = 0;
    bool saturated = false, after_underscore = false;
    for (; have; have = it.next(&cp)) {
        if (cp == '_') {
            if (digits == 0 || after_underscore) return {IntStatus::kValueError, 0};
            after_underscore = true;
            continue;
        }
        int d = digit_value(cp);
        if (d < 0) break;
        after_underscore = false;
        if (++digits > kMaxDigits) return {IntStatus::kValueError, 0};
        if (saturated) continue;
        if (acc < (kMin + d) / 10) {
            saturated = true;
            continue;
        }
        acc = acc * 10 - d;
    }
    if (digits == 0 || after_underscore) return {IntStatus::kValueError, 0};
    for (; have; have = it.next(&cp)) {
        if (!space(cp)) return {IntStatus::kValueError, 0};
    }
    if (saturated) return {IntStatus::kOk, negative ? kMin : kMax};
    if (negative) return {IntStatus::kOk, acc};
    return {IntStatus::kOk, acc == kMin ? kMax : -acc};
}

IntResult to_int(const LooseValue& v) {
    switch (v.kind) {
        case LooseValue::Kind::kInt:
        case LooseValue::Kind::kBool:
            return {IntStatus::kOk, v.i};
        case LooseValue::Kind::kDouble:
            return from_double(v.d);
        case LooseValue::Kind::kString:
            return parse_int(v.str);
        case LooseValue::Kind::kMissing:
        case LooseValue::Kind::kNull:
        case LooseValue::Kind::kOther:
            break;
    }
    return {IntStatus::kTypeError, 0};
}

void append_float_repr(double d, std::string& out) {
    if (std::isnan(d)) {
        out += "nan";
        return;
    }
    if (std::isinf(d)) {
        out += d < 0 ? "-inf" : "inf";
        return;
    }
    if (d == 0) {
        out += std::signbit(d) ? "-0.0" : "0.0";
        return;
    }
    if (d < 0) {
        out += '-';
        d = -d;
    }
    // Shortest correctly rounded digits that read back as d (what Python's
    // repr gives): try %.<p>e for growing precision. Digits and exponent are
    // picked out of the text, so the locale's decimal point does not matter.
    char digits[32];
    int len = 0, exp10 = 0;
    for (int precision = 0; precision <= 17; ++precision) {
        char text[40];
        std::snprintf(text, sizeof text, "%.*e", precision, d);
        if (std::strtod(text, nullptr) != d && precision < 17) continue;
        len = 0;
        const char* c = text;
        for (; *c && *c != 'e'; ++c) {
            if (*c >= '0' && *c <= '9') digits[len++] = *c;
        }
        exp10 = std::atoi(c + 1);
        break;
    }
    // Drop trailing zeros ("1.0e+16" has the single digit 1); d = digits * 10^k.
    while (len > 1 && digits[len - 1] == '0')
        --len;
    int k = exp10 - len + 1;
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out += "0.";
            out.append(static_cast<std::size_t>(-exp10 - 1), '0');
            out.append(digits, static_cast<std::size_t>(len));
        } else if (k >= 0) {
            out.append(digits, static_cast<std::size_t>(len));
            out.append(static_cast<std::size_t>(k), '0');
            out += ".0";
        } else {
            out.append(digits, static_cast<std::size_t>(exp10 + 1));
            out += '.';
            out.append(digits + exp10 + 1, static_cast<std::size_t>(len - exp10 - 1));
        }
        return;
    }
    out += digits[0];
    if (len > 1) {
        out += '.';
        out.append(digits + 1, static_cast<std::size_t>(len - 1));
    }
    char exp[8];
    int e = exp10 < 0 ? -exp10 : exp10;
    int pos = 0;
    exp[pos++] = 'e';
    exp[pos++] = exp10 < 0 ? '-' : '+';
    if (e >= 100) exp[pos++] = static_cast<char>('0' + e / 100);
    exp[pos++] = static_cast<char>('0' + (e / 10) % 10);
    exp[pos++] = static_cast<char>('0' + e % 10);
    out.append(exp, static_cast<std::size_t>(pos));
}

void append_str(const LooseValue& v, std::string& out) {
    switch (v.kind) {
        case LooseValue::Kind::kMissing:
        case LooseValue::Kind::kNull:
            out += "None";
            return;
        case LooseValue::Kind::kBool:
            out += v.i ? "True" : "False";
            return;
        case LooseValue::Kind::kInt:
            out += std::to_string(v.i);
            return;
        case LooseValue::Kind::kDouble:
            append_float_repr(v.d, out);
            return;
        case LooseValue::Kind::kString:
            out.append(v.str.data(), v.str.size());
            return;
        case LooseValue::Kind::kOther:
            out += v.str == "{}" ? "{...}" : "[...]";
            return;
    }
}

std::size_t upper_ascii(std::string_view s, char* out, std::size_t cap) {
    std::size_t n = 0;
    auto put = [&](const char* text) {
        for (; *text; ++text) {
            if (n == cap) return false;
            out[n++] = *text;
        }
        return true;
    };
    CodePoints it{s};
    std::uint32_t cp;
    while (it.next(&cp)) {
        char one[2] = {0, 0};
        const char* text = one;
        if (cp < 0x80) {
            one[0] = static_cast<char>(cp >= 'a' && cp <= 'z' ? cp - 32 : cp);
        } else {
            switch (cp) {
                case 0xDF:
                    text = "SS";
                    break;  // ß
                case 0x131:
                    text = "I";
                    break;  // dotless i
                case 0x17F:
                    text = "S";
                    break;  // long s
                case 0xFB00:
                    text = "FF";
                    break;  // ligatures
                case 0xFB01:
                    text = "FI";
                    break;
                case 0xFB02:
                    text = "FL";
                    break;
                case 0xFB03:
                    text = "FFI";
                    break;
                case 0xFB04:
                    text = "FFL";
                    break;
                case 0xFB05:
                    text = "ST";
                    break;
                case 0xFB06:
                    text = "ST";
                    break;
                default:
                    return 0;
            }
        }
        if (cp == 0) {
            if (n == cap) return 0;
            out[n++] = '\0';
        } else if (!put(text)) {
            return 0;
        }
    }
    return n;
}

bool is_blank(std::string_view bytes) {
    for (char c : bytes) {
        if (!is_ascii_space(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

}  // namespace p2p::py
