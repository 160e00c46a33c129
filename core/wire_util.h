// uuid4-style msg_ids for what the engine writes on the wire (docs/protocol.md
// §4). Timestamps live in core/civil_time.h, name and peer_id checks in
// core/text.h. Pure functions over caller buffers: no system calls, no allocation.
#pragma once
#include <cstddef>
#include <string_view>

#include "core/rng.h"

namespace p2p {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (36 chars + NUL), like Python's uuid4.
inline constexpr std::size_t kMsgIdBytes = 37;
std::string_view make_msg_id(Rng& rng, char* out /* kMsgIdBytes */);

}  // namespace p2p
