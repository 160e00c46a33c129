#include "core/number.h"

#include <limits>

namespace p2p {

bool parse_decimal(std::string_view text, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    bool negative = !text.empty() && text.front() == '-' && lo < 0;
    if (negative) text.remove_prefix(1);
    if (text.empty()) return false;
    // Accumulate towards the sign so that INT64_MIN is representable.
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        int digit = c - '0';
        if (negative) {
            if (value < (kMin + digit) / 10) return false;
            value = value * 10 - digit;
        } else {
            if (value > (kMax - digit) / 10) return false;
            value = value * 10 + digit;
        }
    }
    if (value < lo || value > hi) return false;
    out = value;
    return true;
}

bool parse_port(std::string_view text, std::uint16_t& port, bool allow_zero) {
    std::int64_t value = 0;
    if (!parse_decimal(text, allow_zero ? 0 : 1, 65535, value)) return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace p2p
