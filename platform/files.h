// Small whole-file helpers. Used at start-up and on (rare) state changes.
#pragma once
#include <string>
#include <string_view>

namespace p2p::platform {

// Writes a new temp file beside `path` (a fresh random name created with O_EXCL, so a
// file or symlink planted there is never followed or overwritten; mode 0600), fsyncs,
// renames over `path` (which replaces a symlink at `path`, never its target), fsyncs the
// directory. The result is private to us: 0600.
bool write_file_atomic(const std::string& path, std::string_view data, std::string* err);
// Refuses a state file that someone else could swap under us: false with *err when the
// directory of `path` is writable by group or others and is not sticky, or is sticky
// (like /tmp) and `path` exists but is not a regular file owned by us. A missing file in
// a safe directory is fine (it is created by write_file_atomic).
bool check_private_file_path(const std::string& path, std::string* err);
// Reads a whole file. False with *err (errno text) on failure; *missing set if ENOENT.
bool read_file(const std::string& path, std::string& out, std::string* err,
               bool* missing = nullptr);
// Renames `path` to `path.bad-<stamp>` and returns the new name ("" on failure).
std::string move_aside(const std::string& path, std::string* err);
// True when `fd` is a pipe, a FIFO, a socket or a regular file: input that
// ends when its writer is done (not a terminal, not /dev/null).
bool is_finite_input(int fd);

}  // namespace p2p::platform
