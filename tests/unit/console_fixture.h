// What the console tests share: a sink that captures what the console writes, a
// fixture that makes consoles on a pinned clock and time zone, and checks that
// output is safe to put on a terminal.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "shell/ui/console.h"

namespace p2p::shell {

class CaptureSink final : public ConsoleSink {
  public:
    void write_lines(std::string_view lines) override {
        text.append(lines);
        ++writes;
    }
    int columns() const override { return width; }
    std::string take() {
        std::string out;
        out.swap(text);
        return out;
    }
    std::string text;
    int writes = 0;
    int width = 80;
};

inline std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t nl = s.find('\n', start);
        if (nl == std::string::npos) nl = s.size();
        lines.push_back(s.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

// Columns as a terminal shows them: code points, colour sequences excluded.
inline std::size_t display_columns(const std::string& line) {
    std::size_t cols = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\x1b') {
            while (i < line.size() && line[i] != 'm')
                ++i;
            continue;
        }
        if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++cols;
    }
    return cols;
}

// No byte that a terminal acts on, except the line ends and (when colour is
// on) the SGR sequences we wrote ourselves.
inline void expect_terminal_safe(const std::string& out, bool allow_sgr) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(out[i]);
        if (c == '\n') continue;
        if (c == 0x1b && allow_sgr) {
            ASSERT_LT(i + 1, out.size());
            ASSERT_EQ(out[i + 1], '[') << "non-CSI escape at " << i;
            std::size_t j = i + 2;
            while (j < out.size() && ((out[j] >= '0' && out[j] <= '9') || out[j] == ';'))
                ++j;
            ASSERT_LT(j, out.size());
            ASSERT_EQ(out[j], 'm') << "escape other than SGR at " << i;
            i = j;
            continue;
        }
        ASSERT_GE(c, 0x20) << "control byte " << int(c) << " at " << i;
        ASSERT_NE(c, 0x7f) << "DEL at " << i;
        if (c == 0xC2 && i + 1 < out.size()) {
            unsigned char d = static_cast<unsigned char>(out[i + 1]);
            ASSERT_FALSE(d >= 0x80 && d <= 0x9F) << "C1 control at " << i;
        }
        if (c == 0xE2 && i + 2 < out.size() && static_cast<unsigned char>(out[i + 1]) == 0x80) {
            unsigned char d = static_cast<unsigned char>(out[i + 2]);
            ASSERT_FALSE(d >= 0xAA && d <= 0xAE) << "bidi override at " << i;
        }
    }
}

inline NodeEvent msg(std::string_view from, std::string_view text, std::string_view id = "m1") {
    NodeEvent ev;
    ev.kind = EventKind::kMsg;
    ev.peer_id = from;
    ev.text = text;
    ev.msg_id = id;
    return ev;
}

// A payload a hostile peer might send: clear screen, move the cursor, set the
// window title, ring the bell, CSI as a C1 byte, a bidi override, a newline
// that would forge a second event line, and bytes that are not UTF-8.
inline const std::string kHostile =
    "a\x1b[2J\x1b[H\x1b]0;pwned\x07"
    "b\r\nmsg evil@X: fake\x7f\xc2\x9b"
    "31mc\xe2\x80\xae"
    "d\xff\xfe\xc3";

class ConsoleTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        // The tty form shows local time; pin it so the strings are exact.
        setenv("TZ", "UTC", 1);
        tzset();
    }
    std::unique_ptr<Console> make(ConsoleMode mode, bool colour = false, int width = 80) {
        ConsoleOptions o;
        o.mode = mode;
        o.colour = colour;
        sink_.width = width;
        return std::make_unique<Console>(o, sink_, clock_);
    }
    std::string render(Console& c, const NodeEvent& ev) {
        c.event(ev);
        return sink_.take();
    }

    // 1'760'000'000'000 ms = 2025-10-09 08:53:20 UTC.
    ManualClock clock_{1'000'000, 1'760'000'000'000};
    CaptureSink sink_;
};

}  // namespace p2p::shell
