// The one decimal integer syntax of command lines, config files, ports and
// flags: an optional '-' (only where the range admits negatives), then one or
// more ASCII digits, nothing else: no '+', no spaces, no hex. Python's int()
// rules for the rendezvous server are a different rule (core/python_compat.h).
#pragma once
#include <cstdint>
#include <string_view>

namespace p2p {

// Parses all of `text` as a decimal integer within [lo, hi] into out. False
// (out untouched) for anything else, including a value beyond int64.
bool parse_decimal(std::string_view text, std::int64_t lo, std::int64_t hi, std::int64_t& out);

// A TCP/UDP port: 1..65535, or 0..65535 when allow_zero.
bool parse_port(std::string_view text, std::uint16_t& port, bool allow_zero = false);

}  // namespace p2p
