// What an attacker did with the msg_ids of the old engine (issue 14, item 6):
// they came from one splitmix64 generator, two outputs per id, so one
// observed id gives the generator's state and with it every later id. The
// tests re-create that prediction: it must work on ids made the old way (so
// the predictor is right) and fail on the ids the engine makes now.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace p2p::test {

inline constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

inline std::uint64_t splitmix_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

inline std::uint64_t inverse_odd(std::uint64_t c) {  // c * x == 1 mod 2^64 (Newton)
    std::uint64_t x = c;
    for (int i = 0; i < 6; ++i)
        x *= 2 - c * x;
    return x;
}

inline std::uint64_t undo_xorshift(std::uint64_t y, int k) {
    std::uint64_t x = y;
    for (int i = 0; i < 64 / k + 1; ++i)
        x = y ^ (x >> k);
    return x;
}

inline std::uint64_t splitmix_unmix(std::uint64_t z) {
    z = undo_xorshift(z, 31);
    z = undo_xorshift(z * inverse_odd(0x94D049BB133111EBull), 27);
    return undo_xorshift(z * inverse_odd(0xBF58476D1CE4E5B9ull), 30);
}

// The old make_msg_id: outputs a and b, version nibble and variant bits set.
inline std::string old_style_msg_id(std::uint64_t a, std::uint64_t b) {
    static const char kHex[] = "0123456789abcdef";
    a = (a & ~0x000000000000F000ull) | 0x0000000000004000ull;
    b = (b & ~0xC000000000000000ull) | 0x8000000000000000ull;
    std::string hex;
    for (int i = 0; i < 16; ++i)
        hex += kHex[(a >> (60 - 4 * i)) & 0xF];
    for (int i = 0; i < 16; ++i)
        hex += kHex[(b >> (60 - 4 * i)) & 0xF];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

// The generator state right after `id` was made (the old way), if any
// state explains it.
inline std::optional<std::uint64_t> state_after(std::string_view id) {
    std::string hex;
    for (char c : id)
        if (c != '-') hex += c;
    if (hex.size() != 32) return std::nullopt;
    std::uint64_t a = std::stoull(hex.substr(0, 16), nullptr, 16);
    std::uint64_t b = std::stoull(hex.substr(16), nullptr, 16);
    for (std::uint64_t nibble = 0; nibble < 16; ++nibble) {  // the bits the version hid
        std::uint64_t s1 = splitmix_unmix((a & ~0xF000ull) | (nibble << 12));
        std::uint64_t s2 = s1 + kGolden;
        if ((splitmix_mix(s2) & ~0xC000000000000000ull) == (b & ~0xC000000000000000ull)) return s2;
    }
    return std::nullopt;
}

// The ids the old generator would make after `id` if up to `skip` other
// draws (jitter, GREASE) came in between.
inline std::set<std::string> predicted_after(std::string_view id, int skip = 64) {
    std::set<std::string> out;
    std::optional<std::uint64_t> s = state_after(id);
    if (!s) return out;
    for (int k = 1; k <= skip + 1; ++k) {
        std::uint64_t sa = *s + static_cast<std::uint64_t>(k) * kGolden;
        out.insert(old_style_msg_id(splitmix_mix(sa), splitmix_mix(sa + kGolden)));
    }
    return out;
}

}  // namespace p2p::test
