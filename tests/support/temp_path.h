// Scratch files for tests live under $TMPDIR (std::filesystem::temp_directory_path
// reads it; /tmp only when it is unset), never under a fixed path: CI and
// developers point TMPDIR at a private or larger disk.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace p2p::test {

// "<TMPDIR>/<prefix>_XXXXXX": a template for mkstemp/mkdtemp, which fill in
// the X's through .data().
inline std::string temp_template(std::string_view prefix) {
    return (std::filesystem::temp_directory_path() / (std::string(prefix) + "_XXXXXX")).string();
}

}  // namespace p2p::test
