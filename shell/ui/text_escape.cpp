#include "shell/ui/text_escape.h"

#include <cstdio>
#include <cstring>

#include "core/text.h"

namespace p2p::shell {

void next_escaped_unit(std::string_view in, std::size_t pos, EscapedUnit& u,
                       const TextRules& rules) {
    auto b = static_cast<unsigned char>(in[pos]);
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
    Utf8Char c = decode_utf8_char(in.substr(pos));
    if (!c.valid) {  // one byte at a time, so every bad byte shows
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", b);
        return escape(hex, 1);
    }
    std::size_t len = c.len;
    if (is_dangerous_code_point(c.cp) || (rules.ascii_only && c.cp >= 0x80)) {
        char esc[12];
        if (c.cp > 0xFFFF)
            std::snprintf(esc, sizeof esc, "\\U%08x", static_cast<unsigned>(c.cp));
        else
            std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c.cp));
        return escape(esc, len);
    }
    u.data = in.data() + pos;
    u.len = len;
    u.consumed = len;
    u.cols = rules.columns && c.cp >= 0x80 ? rules.columns(c.cp) : 1;
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
