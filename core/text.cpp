#include "core/text.h"

#include <cstring>

#include "core/limits.h"

namespace p2p {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t kReplacementBytes = sizeof kReplacement - 1;

bool is_forbidden_in_name(char32_t cp) {
    return cp == '@' || cp == '#' || cp == '*' || cp <= 0x20 || cp == 0x7F || is_c1_control(cp) ||
           is_unicode_space(cp) || is_bidi_control(cp);
}

bool is_local_name_byte(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

}  // namespace

Utf8Char decode_utf8_char(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    unsigned char lead = s[0];
    if (lead < 0x80) return {lead, 1, true};
    // The lead byte fixes the length and the range of the first continuation
    // byte, which excludes overlong forms, surrogates and beyond U+10FFFF.
    std::size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp;
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 1;
        cp = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 2;
        cp = lead & 0x0Fu;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 3;
        cp = lead & 0x07u;
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F;
    } else {
        return {0xFFFD, 1, false};
    }
    // On a failure the bytes before byte i are the maximal subpart.
    for (std::size_t i = 1; i <= need; ++i) {
        if (i >= text.size()) return {0xFFFD, i, false};  // cut short
        unsigned char c = s[i];
        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xBF)) return {0xFFFD, i, false};
        cp = (cp << 6) | (c & 0x3Fu);
    }
    return {cp, need + 1, true};
}

bool is_valid_utf8(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        if (static_cast<unsigned char>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        Utf8Char c = decode_utf8_char(text.substr(pos));
        if (!c.valid) return false;
        pos += c.len;
    }
    return true;
}

RepairedUtf8 repair_utf8(std::string_view text, char* out, std::size_t cap) {
    RepairedUtf8 r;
    for (std::size_t pos = 0; pos < text.size();) {
        Utf8Char c = decode_utf8_char(text.substr(pos));
        const char* src = c.valid ? text.data() + pos : kReplacement;
        std::size_t src_len = c.valid ? c.len : kReplacementBytes;
        if (r.len + src_len > cap) return r;
        std::memcpy(out + r.len, src, src_len);
        r.len += src_len;
        pos += c.len;
    }
    r.complete = true;
    return r;
}

bool is_c1_control(char32_t cp) {
    return cp >= 0x80 && cp <= 0x9F;
}

bool is_unicode_space(char32_t cp) {
    switch (cp) {
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool is_bidi_control(char32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

bool is_dangerous_code_point(char32_t cp) {
    return is_c1_control(cp) || cp == 0x2028 || cp == 0x2029 || is_bidi_control(cp);
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes) return false;
    for (std::size_t pos = 0; pos < name.size();) {
        // An ASCII byte is its own code point (what decode_utf8_char would
        // return): names are checked on every message received, most are ASCII.
        auto byte = static_cast<unsigned char>(name[pos]);
        if (byte < 0x80) {
            if (is_forbidden_in_name(byte)) return false;
            ++pos;
            continue;
        }
        Utf8Char c = decode_utf8_char(name.substr(pos));
        if (!c.valid || is_forbidden_in_name(c.cp)) return false;
        pos += c.len;
    }
    return true;
}

bool is_valid_local_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes) return false;
    for (char c : name)
        if (!is_local_name_byte(c)) return false;
    return true;
}

bool split_peer_id(std::string_view peer_id, PeerIdParts& parts) {
    std::size_t at = peer_id.find('@');
    if (at == std::string_view::npos) return false;
    std::string_view name = peer_id.substr(0, at), ns = peer_id.substr(at + 1);
    // A second '@' lands in ns, which the name rule refuses.
    if (!is_valid_name(name) || !is_valid_name(ns)) return false;
    parts = {name, ns};
    return true;
}

bool is_valid_peer_id(std::string_view peer_id) {
    PeerIdParts parts;
    return split_peer_id(peer_id, parts);
}

std::string_view peer_id_namespace(std::string_view peer_id) {
    std::size_t at = peer_id.find('@');
    return at == std::string_view::npos ? std::string_view() : peer_id.substr(at + 1);
}

}  // namespace p2p
