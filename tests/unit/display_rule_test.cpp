// The display rule of core/text.h (is_dangerous_code_point) is the one the
// terminal's escaping (shell/ui/text_escape) and the log lines
// (platform/log_sinks) follow: each code point is written as it came exactly
// when the rule lets it through, in both outputs.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/text.h"
#include "platform/log_sinks.h"
#include "shell/ui/text_escape.h"

namespace p2p {
namespace {

std::string utf8(char32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

bool terminal_keeps(const std::string& text) {
    char out[64];
    std::size_t n = shell::escape_text(text, out, sizeof out);
    return std::string_view(out, n) == text;
}

bool log_keeps(const std::string& text) {
    char line[256];
    std::size_t n =
        platform::format_log_line(line, sizeof line, 0, LogLevel::kInfo, "", text, false);
    return std::string_view(line, n).find(" " + text + "\n") != std::string_view::npos;
}

TEST(DisplayRule, TerminalAndLogEscapeExactlyTheDangerousCodePoints) {
    int dangerous = 0;
    // Every code point of the first planes where controls, separators and
    // bidi controls live, then samples up to the end of Unicode.
    for (char32_t cp = 0x80; cp <= 0x10FFFF; cp += cp < 0x3100 ? 1 : 0x1F1) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // surrogates are not UTF-8
        std::string text = utf8(cp);
        bool shown_as_is = !is_dangerous_code_point(cp);
        dangerous += shown_as_is ? 0 : 1;
        EXPECT_EQ(terminal_keeps(text), shown_as_is) << std::hex << static_cast<unsigned>(cp);
        EXPECT_EQ(log_keeps(text), shown_as_is) << std::hex << static_cast<unsigned>(cp);
    }
    EXPECT_EQ(dangerous, 32 + 2 + 12);  // C1, U+2028/U+2029, the bidi controls
}

}  // namespace
}  // namespace p2p
