// Escaping of untrusted text for a terminal or a plain line: what a peer
// sends must never reach the terminal as a control sequence, a line break, or
// a bidi override that reorders what is shown.
#pragma once
#include <cstddef>
#include <string_view>

namespace p2p::shell {

// One displayable unit of escaped text: either a slice of the input or an
// escape sequence held in `tmp`. `cols` is its width in columns.
struct EscapedUnit {
    const char* data;
    std::size_t len;
    std::size_t consumed;  // input bytes this unit stands for
    int cols;
    char tmp[12];
};

// How the terminal shows text, from the platform at start (the shell's
// ui code makes no locale calls of its own).
struct TextRules {
    // The terminal's character set is not UTF-8 (LANG=C, a serial console):
    // every non-ASCII code point is written as \uXXXX (\UXXXXXXXX beyond
    // the BMP) so nothing shows as mojibake and widths stay exact.
    bool ascii_only = false;
    // Columns a printable code point takes (wcwidth: 2 for wide CJK and
    // emoji, 0 for combining marks); null: 1 each.
    int (*columns)(char32_t) = nullptr;
};

// The unit starting at in[pos] (pos < in.size()).
void next_escaped_unit(std::string_view in, std::size_t pos, EscapedUnit& u,
                       const TextRules& rules = {});

// Columns of already-escaped text: one per code point.
int escaped_columns(std::string_view escaped);

// Control bytes become \n \r \t \xNN, C1 controls and bidi controls \uXXXX,
// invalid UTF-8 bytes \xNN. Returns bytes written (at most cap; the output is
// cut at a unit boundary when it does not fit).
std::size_t escape_text(std::string_view in, char* out, std::size_t cap);

}  // namespace p2p::shell
