// Small whole-file helpers. Used at start-up and on (rare) state changes.
#pragma once
#include <string>
#include <string_view>

namespace p2p::platform {

// Writes temp file beside `path`, fsyncs, renames over `path`, fsyncs the dir.
bool write_file_atomic(const std::string& path, std::string_view data, std::string* err);
// Reads a whole file. False with *err (errno text) on failure; *missing set if ENOENT.
bool read_file(const std::string& path, std::string& out, std::string* err,
               bool* missing = nullptr);
// Renames `path` to `path.bad-<stamp>` and returns the new name ("" on failure).
std::string move_aside(const std::string& path, std::string* err);

}  // namespace p2p::platform
