// The program's version: CMake's project(VERSION), plus `git describe
// --always --dirty` when built from a checkout (shell/app/version.cmake).
#pragma once
#include <string>

namespace p2p::shell {

// "0.1.0" or "0.1.0 (git d16fda9-dirty)".
std::string version_text();

// "p2pchat 0.1.0 (git ...)\n" for `--version`; `program` names the binary
// ("p2pchat" or "p2pchat rendezvous").
std::string version_banner(const char* program);

}  // namespace p2p::shell
