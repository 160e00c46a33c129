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
// Makes the terminal on fd pass the suspend key (Ctrl-Z) to the program as
// a key instead of stopping it, so an editor can restore the terminal
// before stopping and redraw after. For raw (editing) mode only.
bool pass_suspend_key(int fd);

// One byte from fd, waiting at most timeout_ms for it; -1 on timeout, EOF or
// error. For a line editor's key reads after the first key of a sequence.
int read_byte(int fd, int timeout_ms);

// chmod 0600: for files holding what the user typed (history).
bool restrict_to_owner(const std::string& path);

enum class ReadStatus { kData, kWouldBlock, kEof, kError };
// One read(2) into buf; never blocks longer than read(2) itself does on a fd
// that the caller knows is readable. *got is set for kData.
ReadStatus read_some(int fd, char* buf, std::size_t cap, std::size_t* got);

}  // namespace p2p::platform
