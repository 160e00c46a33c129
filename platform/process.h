// Process-wide facts and knobs from the OS, for start-up and for benchmarks.
#pragma once
#include <cstdint>

#include "platform/terminal.h"  // is_tty lives there

namespace p2p::platform {

// Raises the soft RLIMIT_NOFILE to the hard limit (a node or rendezvous with
// thousands of links needs more than the usual 1024). Returns the soft limit
// in force afterwards, or -1 if it cannot be read.
long raise_fd_limit();
// The soft limit on open descriptors now (-1 if unknown).
long current_fd_limit();
// A seed for core's Rng: getrandom() where available, else time ^ pid.
std::uint64_t random_seed();
// Resident set size in KiB from /proc/self/statm; -1 where there is no /proc.
long rss_kib();

}  // namespace p2p::platform
