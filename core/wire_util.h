// Small helpers for what the engine writes on the wire: uuid4-style msg_ids,
// and peer_id / scope checks (PROTOCOL.md §1). Timestamps: core/civil_time.h.
// Pure functions over caller buffers: no system calls, no allocation.
#pragma once
#include <cstddef>
#include <string_view>

#include "core/clock.h"
#include "core/rng.h"

namespace p2p {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (36 chars + NUL), like Python's uuid4.
inline constexpr std::size_t kMsgIdBytes = 37;
std::string_view make_msg_id(Rng& rng, char* out /* kMsgIdBytes */);

// A remote name or namespace we can address: 1..64 bytes, none of '@', '#',
// '*', whitespace or control characters.
bool is_addressable_name(std::string_view part);
// name@namespace, both parts addressable.
bool is_valid_peer_id(std::string_view peer_id);
// The namespace part of a valid peer_id ("" if none).
std::string_view peer_id_namespace(std::string_view peer_id);

}  // namespace p2p
