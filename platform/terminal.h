// The few terminal and stdio calls the shell needs, kept here so that only
// platform/ talks to the OS.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace p2p::platform {

// True if fd is a terminal.
bool is_tty(int fd);
// Columns of the terminal on fd; `fallback` when it is not a terminal or
// reports 0 (serial consoles often do).
int terminal_columns(int fd, int fallback = 80);
// --color: colour on a terminal only (auto), always, or never.
enum class ColourChoice : unsigned char { kAuto, kAlways, kNever };
// Whether output on fd gets colour. kAlways and kNever are what they say;
// kAuto colours only a terminal, and not when NO_COLOR is set to anything
// non-empty (no-color.org) or TERM is "dumb". `no_color` and `term` are the
// environment's values (null when unset), passed in so tests need no
// process environment.
bool colour_enabled(ColourChoice choice, bool fd_is_tty, const char* no_color, const char* term);
// The same with the process's fd and environment.
bool colour_enabled(ColourChoice choice, int fd);

// Adopts the environment's character type locale (setlocale(LC_CTYPE, ""))
// and says whether it is UTF-8 (nl_langinfo(CODESET)). Under LANG=C or on a
// serial console set so, non-ASCII text must be shown as escapes.
bool adopt_locale_is_utf8();
// Columns the code point takes on a terminal (wcwidth): 2 for East Asian
// wide characters and most emoji, 0 for combining marks, 1 when the locale
// cannot say.
int code_point_columns(char32_t cp);

// How much output may wait for the terminal on fd: `normal`, or on a line
// slower than 38400 bit/s (a 9600-baud serial console: 960 bytes/s) what the
// line's speed (cfgetospeed) carries in kBacklogSeconds, so a slow line shows
// messages at most that late and drops the rest (said once it catches up)
// instead of minutes late. 38400 is what every pseudo-terminal reports unless
// set otherwise, and at it and above `normal` (256 KiB) is soon sent anyway.
// Not a terminal, or a speed it cannot tell: `normal`.
inline constexpr int kBacklogSeconds = 20;
std::size_t terminal_backlog_bytes(int fd, std::size_t normal);

// Bytes that can be read from fd without blocking (FIONREAD); 0 on error.
std::size_t bytes_readable(int fd);

// "HH:MM:SS" of `wall` in local time, NUL-terminated.
void format_local_hms(WallMs wall, char (&out)[9]);

// Writes all of `data` to fd, retrying on EINTR and waiting (poll) while a
// non-blocking fd is full. False on an error (EPIPE, EBADF, ...).
bool write_all(int fd, std::string_view data);

// Stops this process's job as Ctrl-Z does in cooked mode (SIGTSTP to our
// process group); returns after the shell continues it (fg).
void suspend_job();
// Makes the terminal on fd pass the suspend key (Ctrl-Z) and the interrupt
// key (Ctrl-C) to the program as keys instead of signals: an editor restores
// the terminal before stopping and redraws after, and Ctrl-C clears the line
// being typed instead of killing the program (a SIGINT from kill(1) still
// arrives). For raw (editing) mode only: the editor's cooked mode keeps both.
bool pass_control_keys(int fd);

// One character typed on the terminal on fd, in the locale's encoding
// (LC_CTYPE, see adopt_locale_is_utf8): every byte of a multibyte character
// (UTF-8 "ã", "世", "👋") is read and decoded into one code point, as a line
// editor that stores wide characters needs it. Bytes the locale cannot decode
// (UTF-8 typed under LANG=C) are skipped. Waits at most timeout_ms per byte.
enum class KeyRead : unsigned char {
    kChar,     // *out holds the character
    kTimeout,  // nothing (more) came in time
    kEnd,      // end of input or a read error (EIO: the terminal hung up)
};
KeyRead read_locale_char(int fd, int timeout_ms, char32_t* out);

// `text` in the locale's encoding (a line editor's line under a non-UTF-8
// locale such as ISO-8859-1) as UTF-8, appended to *out; characters the
// locale cannot decode are left out and counted in the return value.
std::size_t locale_text_to_utf8(std::string_view text, std::string* out);

// The locale's character set name ("UTF-8", "ANSI_X3.4-1968", "ISO-8859-1").
std::string locale_codeset();

// chmod 0600: for files holding what the user typed (history).
bool restrict_to_owner(const std::string& path);

enum class ReadStatus { kData, kWouldBlock, kEof, kError };
// One read(2) into buf; never blocks longer than read(2) itself does on a fd
// that the caller knows is readable. *got is set for kData.
ReadStatus read_some(int fd, char* buf, std::size_t cap, std::size_t* got);

}  // namespace p2p::platform
