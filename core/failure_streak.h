// A failure that repeats until it ends (a rendezvous that cannot be reached, a
// known peer that will not answer): said once when it starts and again only
// when its cause changes, counted quietly in between, and said once more when
// it ends ("reachable again after N failed attempts"). So a console or a log
// carries one line per change of state, not one per retry, and the line says
// why (docs/node.md "Failures").
//
// Fixed size, no allocation: the cause is kept as a bounded copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace p2p {

class FailureStreak {
  public:
    // Longer causes are compared and kept by this prefix.
    static constexpr std::size_t kCauseBytes = 160;

    // One more failure because of `cause`. True when it is to be said: the
    // first failure of a streak, or a cause other than the one last said.
    bool fail(std::string_view cause);
    // A success. The failures it ends: 0 when there was no streak (nothing to
    // say), else the count for "... again after N failed attempts".
    std::uint32_t recover();

    bool failing() const { return failures_ > 0; }
    std::uint32_t failures() const { return failures_; }
    std::string_view cause() const { return {cause_, cause_len_}; }

  private:
    char cause_[kCauseBytes] = {};
    std::size_t cause_len_ = 0;
    std::uint32_t failures_ = 0;
};

}  // namespace p2p
