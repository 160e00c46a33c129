// Python semantics the reference rendezvous server (Python) applies to request
// fields, so our answers match it for every input a client may send:
//   - int(x) for `port` and `ttl`: numbers truncate toward zero, bools are
//     0/1, strings may carry surrounding (Unicode) whitespace, a sign, single
//     underscores between digits and any Unicode decimal digits; anything
//     else is a ValueError/TypeError;
//   - str(x) for the "bad_port (<x>)" message;
//   - str.upper() as applied to `type`, restricted to what can turn into an
//     ASCII command name;
//   - bytes.decode("utf-8", errors="replace") of the request line is
//     core/text.h's repair_utf8.
// Pure functions over text; no allocation except into caller-owned strings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/codec.h"

namespace p2p::py {

enum class IntStatus : std::uint8_t {
    kOk,
    kValueError,  // e.g. int("abc"), int(float("nan"))
    kTypeError,   // e.g. int(None), int([1])
    kOverflow,    // int(float("inf"))
};

struct IntResult {
    IntStatus status = IntStatus::kOk;
    // The integer, saturated to the int64 range (Python's is unbounded; every
    // caller only compares it with small bounds, so saturation is exact enough).
    std::int64_t value = 0;
    bool ok() const { return status == IntStatus::kOk; }
};

// Python's int(v). A missing value behaves as None (TypeError).
IntResult to_int(const LooseValue& v);
// int(s) for a str.
IntResult parse_int(std::string_view text);

// Appends Python's str(v). Arrays and objects, whose text the loose view does
// not keep, render as "[...]" / "{...}".
void append_str(const LooseValue& v, std::string& out);
// Appends repr(d) for a float: shortest round-trip digits, ".0" for integral
// values, exponent form outside 1e-4 <= |d| < 1e16 ("1e+16", "1.5e-05").
void append_float_repr(double d, std::string& out);

// s.upper() if that is pure ASCII and fits in cap bytes (written to out,
// length returned); 0 otherwise. Only ASCII letters and the few non-ASCII
// letters whose upper case is ASCII (ß ı ſ and the Latin ligatures) matter,
// since the result is compared with ASCII command names.
std::size_t upper_ascii(std::string_view s, char* out, std::size_t cap);

// True if every byte is ASCII whitespace as bytes.strip() sees it.
bool is_blank(std::string_view bytes);

}  // namespace p2p::py
