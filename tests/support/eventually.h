// Polls a condition until it holds or the (generous) timeout passes, for
// tests that watch another process: false on timeout, never a fixed sleep
// the condition could have ended sooner.
#pragma once
#include <chrono>
#include <functional>
#include <thread>

#include "tests/support/node_process.h"

namespace p2p::test {

inline bool eventually(const std::function<bool()>& done, milliseconds timeout = kEventTimeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
}

}  // namespace p2p::test
