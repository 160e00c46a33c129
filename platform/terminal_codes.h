// The terminal's vocabulary: every escape sequence the program writes, named
// once. Nothing else in core/, platform/ or shell/ spells an escape sequence
// (tests/unit/terminal_codes_test.cpp greps the tree for one). All of them are
// ECMA-48 / VT100 sequences every terminal emulator and serial console we
// meet understands; ESC is 0x1b and CSI ("Control Sequence Introducer") is
// ESC '['.
//
// Select Graphic Rendition (colour), ending in 'm':
//   kReset         CSI 0 m     back to the default colours and weight
//   kBold          CSI 1 m     bold (/help's headings)
//   kDim           CSI 2 m     faint (timestamps, our own sends, wire lines)
//   kRed           CSI 31 m    ERROR log lines, error events
//   kGreen         CSI 32 m    INFO log lines, delivered
//   kYellow        CSI 33 m    WARN log lines, ACK timeouts
//   kBlue          CSI 34 m    peer and link events
//   kMagenta       CSI 35 m    published (#ns, *) messages
//   kCyan          CSI 36 m    a peer's colour
//   kBoldRed       CSI 1;31 m  undelivered
//   kBrightRed     CSI 91 m    the bright colours: with the six above, the
//   kBrightGreen   CSI 92 m    colours of peers' names
//   kBrightYellow  CSI 93 m
//   kBrightBlue    CSI 94 m
//   kBrightMagenta CSI 95 m
//   kBrightCyan    CSI 96 m
//   kPeerPalette               those twelve, readable on dark and light screens
//
// Cursor and erasing (the line editor and the chat echo redraw in place):
//   kCursorUp      CSI A       cursor one row up, same column
//   cursor_up(n)   CSI n A     cursor n rows up (n > 0), same column
//   kEraseBelow    CSI J       erase from the cursor to the end of the screen
//   kEraseRow      CSI 2 K     erase the whole row the cursor is on
//
// Not escape sequences, but bytes with an effect, named here for the same
// reason:
//   kBell          BEL (0x07)  ring the terminal bell
//   kRowStart      CR (0x0d)   cursor to the first column of its row
#pragma once
#include <charconv>
#include <cstddef>
#include <string_view>

namespace p2p::platform::term {

inline constexpr std::string_view kReset = "\x1b[0m";
inline constexpr std::string_view kBold = "\x1b[1m";
inline constexpr std::string_view kDim = "\x1b[2m";
inline constexpr std::string_view kRed = "\x1b[31m";
inline constexpr std::string_view kGreen = "\x1b[32m";
inline constexpr std::string_view kYellow = "\x1b[33m";
inline constexpr std::string_view kBlue = "\x1b[34m";
inline constexpr std::string_view kMagenta = "\x1b[35m";
inline constexpr std::string_view kCyan = "\x1b[36m";
inline constexpr std::string_view kBoldRed = "\x1b[1;31m";
inline constexpr std::string_view kBrightRed = "\x1b[91m";
inline constexpr std::string_view kBrightGreen = "\x1b[92m";
inline constexpr std::string_view kBrightYellow = "\x1b[93m";
inline constexpr std::string_view kBrightBlue = "\x1b[94m";
inline constexpr std::string_view kBrightMagenta = "\x1b[95m";
inline constexpr std::string_view kBrightCyan = "\x1b[96m";

inline constexpr std::string_view kPeerPalette[] = {
    kRed,       kGreen,       kYellow,       kBlue,       kMagenta,       kCyan,
    kBrightRed, kBrightGreen, kBrightYellow, kBrightBlue, kBrightMagenta, kBrightCyan};

inline constexpr std::string_view kCursorUp = "\x1b[A";
inline constexpr std::string_view kEraseBelow = "\x1b[J";
inline constexpr std::string_view kEraseRow = "\x1b[2K";

inline constexpr std::string_view kBell = "\a";
inline constexpr std::string_view kRowStart = "\r";

// Room for cursor_up() of any std::size_t.
inline constexpr std::size_t kCursorUpBytes = 32;

// CSI n A written into `out`: the cursor n rows up (n > 0).
inline std::string_view cursor_up(std::size_t rows, char (&out)[kCursorUpBytes]) {
    constexpr std::string_view kCsi = "\x1b[";
    kCsi.copy(out, kCsi.size());
    char* end = std::to_chars(out + kCsi.size(), out + sizeof out - 1, rows).ptr;
    *end++ = 'A';
    return {out, static_cast<std::size_t>(end - out)};
}

}  // namespace p2p::platform::term
