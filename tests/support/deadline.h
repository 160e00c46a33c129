// Deadlines of the blocking-with-timeout test helpers (processes, raw peers, TCP
// clients): what is left of one, as poll() wants it.
#pragma once
#include <chrono>

namespace p2p::test {

// Milliseconds until `deadline`, 0 once it has passed.
inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace p2p::test
