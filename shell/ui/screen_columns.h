// Where typed UTF-8 text lands on a terminal, for the line editor that erases
// and redraws the prompt and the half-typed line around every event: the row
// the cursor is on (display columns: wcwidth through platform::
// code_point_columns, so two for CJK and most emoji, none for combining
// marks) and the byte offset of a character (libedit counts characters).
#pragma once
#include <cstddef>
#include <string_view>

namespace p2p::shell {

// Rows the cursor is below the prompt's first row once the prompt and the
// line up to the cursor are drawn from column 0 of a screen `cols` wide, as
// libedit draws them: a wide character that does not fit a row's end starts
// the next row, and a row filled to its end puts the cursor on the next one.
// Invalid UTF-8 counts one column a byte.
std::size_t cursor_row(std::string_view prompt, std::string_view line_to_cursor, std::size_t cols);

// Byte offset of the code point number `index` in s (s.size() if past it).
std::size_t byte_offset_of(std::string_view s, std::size_t index);

}  // namespace p2p::shell
