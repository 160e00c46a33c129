// Builds console output lines in a caller-provided fixed buffer, so rendering
// an event never allocates. Visible text counts columns; in wrapping mode a
// line that would pass the width breaks at its last space (mid-word if it has
// none) and continues after an indent, up to a maximum number of lines, after
// which the rest is dropped and counted ("[... N more bytes]").
#pragma once
#include <cstddef>
#include <string_view>

#include "shell/ui/text_escape.h"

namespace p2p::shell {

class LineBuilder {
  public:
    // Room always kept free for the endings of a line (colour reset, cut
    // note, newline), so that a full buffer still yields whole lines.
    static constexpr std::size_t kSlack = 96;

    LineBuilder(char* buf, std::size_t cap) : buf_(buf), cap_(cap) {}

    // How text() and cell() escape and count code points (the terminal's
    // character set and widths); kept across reset().
    void set_rules(const TextRules& rules) { rules_ = rules; }

    void reset();
    std::string_view view() const { return {buf_, len_}; }
    int column() const { return col_; }  // of the line being built
    bool nearly_full(std::size_t want) const { return len_ + want + kSlack > cap_; }

    // Wrapping applies to the line being built, until end_line().
    void wrap(int width, int indent, int max_lines);

    // Bytes that take no columns (colour sequences), never escaped.
    void raw(std::string_view s);
    // Text from anywhere (the network included): escaped, counted, wrapped.
    void text(std::string_view s);
    // Our own ASCII (labels): counted and wrapped, not escaped.
    void label(std::string_view s);
    void number(long long v);

    // Ends the line: a note of what was cut, `reset_colour`, then '\n'.
    // `trim` drops trailing padding (tables); message text is never trimmed.
    void end_line(std::string_view reset_colour = {}, bool trim = false);

    // A table cell: escaped, cut with '~' when wider than `width`, padded.
    void cell(std::string_view s, int width, bool right = false);
    void pad(int n);

  private:
    void start_line();
    void append_cell(std::string_view s);
    void append_unchecked(const char* s, std::size_t n);
    void put(const char* data, std::size_t len, int cols, std::size_t consumed);
    void break_line();

    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    char* buf_;
    std::size_t cap_;
    TextRules rules_;
    std::size_t len_ = 0;
    std::size_t line_start_ = 0;
    int col_ = 0;
    int wrap_width_ = 0;
    int indent_ = 0;
    int max_lines_ = 1;
    int lines_ = 1;
    std::size_t last_space_ = kNone;
    int col_after_space_ = 0;
    bool cut_ = false;
    std::size_t dropped_ = 0;
};

}  // namespace p2p::shell
