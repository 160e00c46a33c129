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
