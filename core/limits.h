// Protocol-wide constants (docs/protocol.md §2, §6).
#pragma once
#include <cstddef>

namespace p2p {

// Longest line, in bytes, before its '\n' (docs/protocol.md §2).
inline constexpr std::size_t kMaxLineBytes = 32768;
// Names and namespaces: 1..64 bytes (the rendezvous server's limit).
inline constexpr std::size_t kMaxNameBytes = 64;

}  // namespace p2p
