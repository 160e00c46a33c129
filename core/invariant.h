// P2P_ASSERT(cond): an invariant check for the index-based accessors of the
// engine's fixed tables (peer records, link slots, pending SENDs, caches,
// timer heaps, the chunk pool). Active in builds without NDEBUG (the dev and
// asan presets), where a bad index stops the program at the accessor instead
// of corrupting a neighbouring slot; compiled out of release builds, where
// the condition is not evaluated at all.
#pragma once

#ifndef NDEBUG
namespace p2p::detail {
// Logs the failed condition through the log sink (core/ makes no system
// calls of its own) and stops with a trap instruction.
[[noreturn]] void invariant_failed(const char* cond, const char* file, int line);
}  // namespace p2p::detail

#define P2P_ASSERT(cond) \
    ((cond) ? static_cast<void>(0) : ::p2p::detail::invariant_failed(#cond, __FILE__, __LINE__))
#else
#define P2P_ASSERT(cond) static_cast<void>(0)
#endif
