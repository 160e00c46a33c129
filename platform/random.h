// The OS's source of unpredictable bytes, for what must not be guessable
// (msg_ids, docs/protocol.md §4). Never blocks the event loop.
#pragma once
#include <cstddef>
#include <cstdint>

namespace p2p::platform {

// Fills out[0..n) and returns true, or false when the OS gave nothing usable.
//
// Linux: getrandom(GRND_NONBLOCK). Early at boot, before the kernel's pool is
// initialized (a Pi without a hardware RNG driver, started by systemd before
// the pool is seeded), it fails with EAGAIN instead of blocking; we then read
// /dev/urandom, which never blocks and gives what the pool has: the decision
// is that a node starting at boot keeps running (its ids are then as strong
// as the kernel's early pool) rather than hanging its event loop. The same
// fallback serves kernels older than 3.17 (ENOSYS). Other systems:
// arc4random_buf, which never fails. The caller (the engine's msg_id pool)
// asks 4 KiB at a time, so this is one system call per 256 msg_ids.
bool random_bytes(std::uint8_t* out, std::size_t n);

}  // namespace p2p::platform
