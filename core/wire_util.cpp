#include "core/wire_util.h"

#include "core/limits.h"

namespace p2p {

namespace {

// Days since 1970-01-01 to civil date (Howard Hinnant's algorithm).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int>(yy + (m <= 2));
}

void put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10 % 10);
    p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string_view format_iso8601(WallMs wall, char (&out)[kIsoTimeBytes]) {
    std::int64_t secs = wall >= 0 ? wall / 1000 : (wall - 999) / 1000;
    std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    std::int64_t rem = secs - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    unsigned uy = static_cast<unsigned>(y);
    out[0] = static_cast<char>('0' + uy / 1000);
    out[1] = static_cast<char>('0' + uy / 100 % 10);
    put2(out + 2, uy % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, static_cast<unsigned>(rem / 3600));
    out[13] = ':';
    put2(out + 14, static_cast<unsigned>(rem / 60 % 60));
    out[16] = ':';
    put2(out + 17, static_cast<unsigned>(rem % 60));
    out[19] = 'Z';
    out[20] = '\0';
    return std::string_view(out, 20);
}

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

bool is_addressable_name(std::string_view part) {
    if (part.empty() || part.size() > kMaxNameBytes) return false;
    for (unsigned char c : part) {
        if (c == '@' || c == '#' || c == '*' || c <= ' ' || c == 0x7f) return false;
    }
    return true;
}

bool is_valid_peer_id(std::string_view peer_id) {
    std::size_t at = peer_id.find('@');
    if (at == std::string_view::npos) return false;
    return is_addressable_name(peer_id.substr(0, at)) &&
           is_addressable_name(peer_id.substr(at + 1));
}

std::string_view peer_id_namespace(std::string_view peer_id) {
    std::size_t at = peer_id.find('@');
    return at == std::string_view::npos ? std::string_view() : peer_id.substr(at + 1);
}

}  // namespace p2p
