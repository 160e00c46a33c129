#include "core/invariant.h"

#include "core/log.h"

#ifndef NDEBUG
namespace p2p::detail {

void invariant_failed(const char* cond, const char* file, int line) {
    P2P_ERROR("Invariant", "%s:%d: %s", file, line, cond);
    __builtin_trap();
}

}  // namespace p2p::detail
#endif
