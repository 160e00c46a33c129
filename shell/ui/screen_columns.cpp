#include "shell/ui/screen_columns.h"

#include "core/text.h"
#include "platform/terminal.h"

namespace p2p::shell {

std::size_t cursor_row(std::string_view prompt, std::string_view line_to_cursor, std::size_t cols) {
    if (cols == 0) return 0;
    std::size_t row = 0;
    std::size_t col = 0;
    for (std::string_view text : {prompt, line_to_cursor}) {
        while (!text.empty()) {
            Utf8Char c = decode_utf8_char(text);
            text.remove_prefix(c.len);
            auto width = static_cast<std::size_t>(c.valid ? platform::code_point_columns(c.cp) : 1);
            if (col + width > cols) {
                ++row;
                col = 0;
            }
            col += width;
        }
    }
    return col >= cols ? row + 1 : row;
}

std::size_t byte_offset_of(std::string_view s, std::size_t index) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (seen == index) return i;
            ++seen;
        }
    }
    return s.size();
}

}  // namespace p2p::shell
