// Waiting for a condition that nothing announces (a file's contents, a tmux
// screen, a kernel queue, /proc): check it, and again every `step`, until it
// holds or `timeout` has passed. Never a fixed sleep standing in for the
// condition itself.
#pragma once
#include <chrono>
#include <functional>
#include <thread>

namespace p2p::test {

// True as soon as `done()` holds; false if it still does not at `timeout`.
inline bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(step);
    }
}

}  // namespace p2p::test
