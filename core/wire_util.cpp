#include "core/wire_util.h"

namespace p2p {

std::string_view make_msg_id(Rng& rng, char* out) {
    static const char kHex[] = "0123456789abcdef";
    std::uint64_t a = rng.next(), b = rng.next();
    a = (a & ~0x000000000000F000ull) | 0x0000000000004000ull;  // version 4
    b = (b & ~0xC000000000000000ull) | 0x8000000000000000ull;  // variant 10
    char hex[32];
    for (int i = 0; i < 16; ++i) {
        hex[i] = kHex[(a >> (60 - 4 * i)) & 0xF];
        hex[16 + i] = kHex[(b >> (60 - 4 * i)) & 0xF];
    }
    std::size_t o = 0;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) out[o++] = '-';
        out[o++] = hex[i];
    }
    out[o] = '\0';
    return std::string_view(out, o);
}

}  // namespace p2p
