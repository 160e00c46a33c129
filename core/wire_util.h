// Where msg_ids come from (docs/protocol.md §4 "msg_id"). A msg_id is 122
// random bits formatted as a UUIDv4; anyone who could predict the next one
// could pre-send it (poisoning every seen cache on the way) or forge the ACK
// of a SEND not yet written. So the bits come from the host's source of
// unpredictable bytes (the runtime: the OS's getrandom, platform/random.h),
// never from the engine's seeded Rng, which only drives jitter.
//
// The engine is sans-I/O: it asks its host for bytes through NodeHost::
// random_bytes, and in batches of kPoolBytes (256 ids per call), so sending
// a message costs no system call. A host that has no such source (the
// simulator, unit tests) returns false and the pool is refilled from a
// seeded Rng instead: deterministic, so simulations replay exactly.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/rng.h"

namespace p2p {

class NodeHost;

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (36 chars + NUL), like Python's uuid4.
inline constexpr std::size_t kMsgIdBytes = 37;
inline constexpr std::size_t kMsgIdRandomBytes = 16;

// A fresh msg_id from `ids` into `out`.
class MsgIdPool;
std::string_view make_msg_id(MsgIdPool& ids, char* out /* kMsgIdBytes */);

// The UUIDv4 text of 16 random bytes: version 4, variant 10, the other 122
// bits as given.
std::string_view format_uuid4(const std::uint8_t* bytes /* 16 */, char* out /* kMsgIdBytes */);

class MsgIdPool {
  public:
    static constexpr std::size_t kPoolBytes = 4096;

    // `fallback_seed`: seeds the Rng used when the host has no random source.
    MsgIdPool(NodeHost& host, std::uint64_t fallback_seed)
        : host_(host), fallback_(fallback_seed) {}

    std::string_view next(char* out /* kMsgIdBytes */);

    // Host calls made so far (one per kPoolBytes / 16 ids).
    std::uint64_t refills() const { return refills_; }
    // Refills the host could not serve (filled from the seeded Rng instead).
    std::uint64_t fallback_refills() const { return fallback_refills_; }

  private:
    void refill();

    NodeHost& host_;
    Rng fallback_;
    std::array<std::uint8_t, kPoolBytes> pool_{};
    std::size_t used_ = kPoolBytes;  // empty: the first id refills
    std::uint64_t refills_ = 0;
    std::uint64_t fallback_refills_ = 0;
};

}  // namespace p2p
