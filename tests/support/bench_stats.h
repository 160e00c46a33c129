// Small statistics shared by the benchmark programs in tests/bench.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace p2p::test {

using BenchClock = std::chrono::steady_clock;

// The p-th percentile (0..100) of `v`, nearest rank; 0 for no samples.
inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

// Milliseconds elapsed since `t`.
inline double ms_since(BenchClock::time_point t) {
    return std::chrono::duration<double, std::milli>(BenchClock::now() - t).count();
}

}  // namespace p2p::test
