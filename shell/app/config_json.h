// The config file's JSON parse, bounded (issue 14.1): RapidJSON's default
// parse recurses once per nesting level, so a file holding an array nested
// 200 000 deep overflowed the stack at start and at a headless SIGHUP. Here
// nesting beyond kMaxConfigDepth and files beyond kMaxConfigBytes are refused
// before the parse, and the parse itself is iterative (its stack is on the
// heap), so any file gives an error message, never a crash.
#pragma once
#include <rapidjson/document.h>

#include <cstddef>
#include <string>

namespace p2p::shell {

// A config file is one object of scalars and arrays of strings: two levels.
// The margin leaves room for hand-written notes kept as nested objects.
inline constexpr std::size_t kMaxConfigDepth = 16;
// Far above any real config (a few hundred bytes), far below a board's memory.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Parses `text` into `doc`; false with `why` ("not valid JSON at byte 12:
// ...", "nested deeper than 16 levels at byte 30", "larger than ...").
bool parse_config_json(const std::string& text, rapidjson::Document& doc, std::string& why);

}  // namespace p2p::shell
