// Time as the protocol engine sees it. core/ never reads the OS clock: the
// platform passes a real Clock, tests and simulations pass a ManualClock.
#pragma once
#include <cstdint>

namespace p2p {

using MonoMs = std::int64_t;  // monotonic milliseconds, arbitrary epoch
using WallMs = std::int64_t;  // milliseconds since the Unix epoch (UTC)

class Clock {
  public:
    virtual ~Clock() = default;
    virtual MonoMs mono_ms() const = 0;
    virtual WallMs wall_ms() const = 0;
};

// Deterministic clock for tests and simulations: time moves only when told.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(MonoMs start = 1'000'000, WallMs wall_start = 1'760'000'000'000)
        : mono_(start), wall_offset_(wall_start - start) {}
    MonoMs mono_ms() const override { return mono_; }
    WallMs wall_ms() const override { return mono_ + wall_offset_; }
    void advance(MonoMs ms) { mono_ += ms; }
    void set(MonoMs ms) { mono_ = ms; }

  private:
    MonoMs mono_;
    WallMs wall_offset_;
};

}  // namespace p2p
