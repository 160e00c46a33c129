#include "shell/ui/text_escape.h"

#include <cstdio>
#include <cstring>

namespace p2p::shell {
namespace {

// Code points a terminal may act on even though they are not C0 controls:
// C1 controls (U+0080..U+009F; some terminals take U+009B as CSI), line and
// paragraph separators, and the bidi embeddings/overrides/isolates that can
// make text display in an order other than the one it was sent in.
bool is_dangerous_code_point(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C;
}

}  // namespace

std::size_t utf8_sequence(const unsigned char* s, std::size_t n, std::uint32_t& cp) {
    unsigned char b = s[0];
    if (b < 0x80) {
        cp = b;
        return 1;
    }
    std::size_t len;
    std::uint32_t min;
    if ((b & 0xE0) == 0xC0) {
        len = 2, cp = b & 0x1Fu, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        len = 3, cp = b & 0x0Fu, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        len = 4, cp = b & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (std::size_t i = 1; i < len; ++i) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void next_escaped_unit(std::string_view in, std::size_t pos, EscapedUnit& u) {
    const auto* s = reinterpret_cast<const unsigned char*>(in.data()) + pos;
    std::size_t n = in.size() - pos;
    unsigned char b = s[0];
    auto escape = [&](const char* text, std::size_t consumed) {
        std::size_t len = std::strlen(text);
        std::memcpy(u.tmp, text, len);
        u.data = u.tmp;
        u.len = len;
        u.consumed = consumed;
        u.cols = static_cast<int>(len);
    };
    if (b < 0x20 || b == 0x7F) {
        if (b == '\n') return escape("\\n", 1);
        if (b == '\r') return escape("\\r", 1);
        if (b == '\t') return escape("\\t", 1);
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", b);
        return escape(hex, 1);
    }
    std::uint32_t cp = 0;
    std::size_t len = utf8_sequence(s, n, cp);
    if (len == 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", b);
        return escape(hex, 1);
    }
    if (is_dangerous_code_point(cp)) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(cp));
        return escape(esc, len);
    }
    u.data = in.data() + pos;
    u.len = len;
    u.consumed = len;
    u.cols = 1;
}

int escaped_columns(std::string_view escaped) {
    int cols = 0;
    for (char c : escaped)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++cols;
    return cols;
}

std::size_t escape_text(std::string_view in, char* out, std::size_t cap) {
    std::size_t len = 0;
    EscapedUnit u;
    for (std::size_t pos = 0; pos < in.size(); pos += u.consumed) {
        next_escaped_unit(in, pos, u);
        if (len + u.len > cap) break;
        std::memcpy(out + len, u.data, u.len);
        len += u.len;
    }
    return len;
}

}  // namespace p2p::shell
