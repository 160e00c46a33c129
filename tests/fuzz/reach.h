// Reach counters for the libFuzzer targets: how many inputs got past decoding
// into a target's handler or round-trip check, per known message type. A
// fuzzer that never builds a valid message still "passes" (nothing crashes)
// while testing nothing; tests/fuzz/check_reach.sh reads the line printed at
// exit and fails such a run.
//
// The line is printed from an atexit handler because libFuzzer ends a
// -max_total_time or -runs session with exit(0) and its own final stats say
// nothing about what the target reached. Counters are plain arrays so they
// are still valid while exit handlers run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace p2p::fuzz {

template <std::size_t N>
class Reach {
  public:
    // names[i] labels type i in the exit line; target names the fuzzer.
    Reach(const char* target, const std::array<std::string_view, N>& names)
        : target_(target), names_(names) {
        self() = this;
        std::atexit([] { self()->print(); });
    }

    void handled(std::size_t type) {
        if (type < N) ++handled_[type];
    }
    void roundtrip() { ++roundtrips_; }

  private:
    static Reach*& self() {
        static Reach* instance = nullptr;
        return instance;
    }

    void print() const {
        std::size_t types = 0;
        unsigned long long total = 0;
        for (unsigned long long n : handled_) {
            types += n > 0 ? 1 : 0;
            total += n;
        }
        // Written to stderr like libFuzzer's own stats, so it lands in the same log.
        std::fprintf(stderr, "reach: %s types=%zu/%zu handled=%llu roundtrips=%llu\n", target_,
                     types, N, total, roundtrips_);
        std::fprintf(stderr, "reach: %s by type:", target_);
        for (std::size_t i = 0; i < N; ++i)
            std::fprintf(stderr, " %.*s=%llu", static_cast<int>(names_[i].size()), names_[i].data(),
                         handled_[i]);
        std::fprintf(stderr, "\n");
    }

    const char* target_;
    std::array<std::string_view, N> names_;
    std::array<unsigned long long, N> handled_{};
    unsigned long long roundtrips_ = 0;
};

}  // namespace p2p::fuzz
