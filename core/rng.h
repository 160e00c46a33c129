// Small seeded PRNG (splitmix64). Deterministic so simulations replay exactly;
// the platform seeds it from the OS at start.
#pragma once
#include <cstdint>

namespace p2p {

class Rng {
  public:
    explicit Rng(std::uint64_t seed = 0x9E3779B97F4A7C15ull) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, bound); bound 0 gives 0.
    std::uint64_t below(std::uint64_t bound) { return bound ? next() % bound : 0; }

  private:
    std::uint64_t state_;
};

}  // namespace p2p
