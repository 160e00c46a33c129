#include "shell/ui/line_builder.h"

#include <cstdio>
#include <cstring>

#include "shell/ui/text_escape.h"

namespace p2p::shell {

void LineBuilder::reset() {
    len_ = 0;
    start_line();
    wrap_width_ = 0;
}

void LineBuilder::wrap(int width, int indent, int max_lines) {
    // A width that leaves almost nothing after the indent is not worth
    // wrapping for; the terminal will fold such lines itself.
    wrap_width_ = width > indent + 10 ? width : 0;
    indent_ = indent;
    max_lines_ = max_lines > 0 ? max_lines : 1;
}

void LineBuilder::raw(std::string_view s) {
    if (cut_ || s.empty()) return;
    if (len_ + s.size() + kSlack > cap_) return;
    std::memcpy(buf_ + len_, s.data(), s.size());
    len_ += s.size();
}

void LineBuilder::text(std::string_view s) {
    EscapedUnit u;
    std::size_t pos = 0;
    while (pos < s.size()) {
        if (wrap_width_ == 0 && !cut_) {
            // Without wrapping, a run of printable ASCII (most chat text) needs
            // no escaping and no per-character bookkeeping: copy it whole.
            std::size_t end = pos;
            while (end < s.size() && static_cast<unsigned char>(s[end]) >= 0x20 &&
                   static_cast<unsigned char>(s[end]) < 0x7f)
                ++end;
            std::size_t run = end - pos;
            if (run > 0 && len_ + run + kSlack <= cap_) {
                std::memcpy(buf_ + len_, s.data() + pos, run);
                len_ += run;
                col_ += static_cast<int>(run);
                pos = end;
                continue;
            }
        }
        next_escaped_unit(s, pos, u, rules_);
        put(u.data, u.len, u.cols, u.consumed);
        pos += u.consumed;
    }
}

void LineBuilder::label(std::string_view s) {
    for (char c : s)
        put(&c, 1, 1, 1);
}

void LineBuilder::number(long long v) {
    char tmp[24];
    int n = std::snprintf(tmp, sizeof tmp, "%lld", v);
    label(std::string_view(tmp, static_cast<std::size_t>(n)));
}

void LineBuilder::end_line(std::string_view reset_colour, bool trim) {
    if (cut_) {
        char note[64];
        int n =
            std::snprintf(note, sizeof note, "\n%*s[... %zu more bytes]", indent_, "", dropped_);
        append_unchecked(note, static_cast<std::size_t>(n));
    }
    if (trim)
        while (len_ > line_start_ && buf_[len_ - 1] == ' ')
            --len_;
    append_unchecked(reset_colour.data(), reset_colour.size());
    append_unchecked("\n", 1);
    start_line();
    wrap_width_ = 0;
}

void LineBuilder::cell(std::string_view s, int width, bool right) {
    // Escaped units while they fit `width` columns; `cut` marks how much of
    // that fits width-1 columns, for the '~' that says the rest is missing.
    char tmp[256];
    std::size_t n = 0;
    std::size_t cut = 0;
    int cols = 0;
    int cut_cols = 0;
    bool whole = true;
    EscapedUnit u;
    for (std::size_t pos = 0; pos < s.size(); pos += u.consumed) {
        next_escaped_unit(s, pos, u, rules_);
        if (cols + u.cols > width || n + u.len > sizeof tmp) {
            whole = false;
            break;
        }
        std::memcpy(tmp + n, u.data, u.len);
        n += u.len;
        cols += u.cols;
        if (cols <= width - 1) {
            cut = n;
            cut_cols = cols;
        }
    }
    if (!whole) {
        append_cell(std::string_view(tmp, cut));
        append_cell("~");
        pad(width - 1 - cut_cols);  // a wide character may leave a column over
        return;
    }
    if (right) pad(width - cols);
    append_cell(std::string_view(tmp, n));
    if (!right) pad(width - cols);
}

void LineBuilder::pad(int n) {
    for (int i = 0; i < n; ++i)
        append_cell(" ");
}

void LineBuilder::start_line() {
    line_start_ = len_;
    col_ = 0;
    lines_ = 1;
    last_space_ = kNone;
    cut_ = false;
    dropped_ = 0;
}

void LineBuilder::append_cell(std::string_view s) {
    if (s.empty() || len_ + s.size() + kSlack > cap_) return;
    std::memcpy(buf_ + len_, s.data(), s.size());
    len_ += s.size();
}

void LineBuilder::append_unchecked(const char* s, std::size_t n) {
    if (n == 0) return;  // s may be null (an empty string_view)
    if (len_ + n > cap_) n = cap_ - len_;
    std::memcpy(buf_ + len_, s, n);
    len_ += n;
}

void LineBuilder::put(const char* data, std::size_t len, int cols, std::size_t consumed) {
    if (cut_) {
        dropped_ += consumed;
        return;
    }
    if (wrap_width_ > 0 && col_ + cols > wrap_width_) {
        if (lines_ >= max_lines_) {
            cut_ = true;
            dropped_ += consumed;
            return;
        }
        break_line();
    }
    if (len_ + len + static_cast<std::size_t>(indent_) + kSlack > cap_) {
        cut_ = true;
        dropped_ += consumed;
        return;
    }
    std::memcpy(buf_ + len_, data, len);
    len_ += len;
    col_ += cols;
    if (len == 1 && data[0] == ' ' && col_ > indent_ + 1) {
        last_space_ = len_ - 1;
        col_after_space_ = col_;
    }
}

void LineBuilder::break_line() {
    std::size_t indent = static_cast<std::size_t>(indent_);
    if (last_space_ != kNone && last_space_ >= line_start_) {
        // Turn the last space into the break and move the word after it down,
        // behind the indent.
        std::size_t tail_from = last_space_ + 1;
        std::memmove(buf_ + tail_from + indent, buf_ + tail_from, len_ - tail_from);
        buf_[last_space_] = '\n';
        std::memset(buf_ + tail_from, ' ', indent);
        len_ += indent;
        line_start_ = tail_from;
        col_ = indent_ + (col_ - col_after_space_);
    } else {
        buf_[len_++] = '\n';
        line_start_ = len_;
        std::memset(buf_ + len_, ' ', indent);
        len_ += indent;
        col_ = indent_;
    }
    last_space_ = kNone;
    ++lines_;
}

}  // namespace p2p::shell
