// Rate-limited, aggregated log lines for events a remote party can repeat at
// will (a dropped message, a refused connection): one line per (kind,
// subject) per window, then one summary with the count —
//   "[Link] control message dropped (queue full): 127.0.0.1:5000: 6656 in
//    the last 10 s (1 logged)"
// — so a flood costs two lines per window, not one per message.
//
// Bounded and allocation-free: a fixed set-associative table (a key looks at
// kWays entries of one bucket, never the whole table). When every way of a
// bucket is busy, the event is counted in one overflow line instead. Clock
// driven: without a clock every event is logged (nothing to window against).
// Summaries go out when the window of their key ends: at the next event of
// any key, or from flush_due(), which the runtime calls at next_due().
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/log.h"

namespace p2p {

class LogThrottle {
  public:
    static constexpr MonoMs kDefaultWindowMs = 10'000;
    static constexpr std::size_t kBuckets = 32;
    static constexpr std::size_t kWays = 4;
    static constexpr std::size_t kSubjectBytes = 64;

    explicit LogThrottle(MonoMs window_ms = kDefaultWindowMs) : window_ms_(window_ms) {}

    void set_clock(const Clock* clock) { clock_ = clock; }
    const Clock* clock() const { return clock_; }
    MonoMs window() const { return window_ms_; }

    // One event of `kind` about `subject` (a peer_id, an address). True: log
    // it in full now. False: it was counted for the summary. `module` and
    // `kind` must be string literals (kept by pointer until the summary).
    bool admit(LogLevel level, const char* module, const char* kind, std::string_view subject);

    // Emits the summaries of windows that ended by now. Cheap when none did.
    void flush_due();
    // When flush_due() next has work (Clock-less or idle: kNever).
    static constexpr MonoMs kNever = INT64_MAX;
    MonoMs next_due() const { return next_due_; }

    // Drops every entry without a summary (tests).
    void reset();

  private:
    struct Entry {
        std::uint64_t key = 0;  // 0: free
        const char* module = nullptr;
        const char* kind = nullptr;
        LogLevel level = LogLevel::kWarn;
        MonoMs window_start = 0;
        std::uint32_t logged = 0;
        std::uint32_t suppressed = 0;
        char subject[kSubjectBytes] = {};
        std::uint8_t subject_len = 0;
    };

    void summarize(Entry& e, MonoMs now);
    void schedule(MonoMs due) {
        if (due < next_due_) next_due_ = due;
    }

    const Clock* clock_ = nullptr;
    MonoMs window_ms_;
    MonoMs next_due_ = kNever;
    Entry table_[kBuckets * kWays];
    // Events that found their bucket full, summarized in one line.
    std::uint64_t overflow_ = 0;
    MonoMs overflow_start_ = 0;
    LogLevel overflow_level_ = LogLevel::kWarn;
};

// The process-wide throttle the P2P_*_LIMITED macros use. The runtime gives it
// the loop's clock and calls flush_due() (single-threaded, like logger()).
LogThrottle& log_throttle();

}  // namespace p2p

// P2P_WARN_LIMITED("Link", "control message dropped (queue full)", l.remote_view(),
//                  "%s: outgoing queue full, control message dropped", l.remote);
#define P2P_LOG_LIMITED(level, module, kind, subject, ...)             \
    do {                                                               \
        if (::p2p::logger().enabled(level) &&                          \
            ::p2p::log_throttle().admit(level, module, kind, subject)) \
            ::p2p::logger().logf(level, module, __VA_ARGS__);          \
    } while (0)
#define P2P_INFO_LIMITED(module, kind, subject, ...) \
    P2P_LOG_LIMITED(::p2p::LogLevel::kInfo, module, kind, subject, __VA_ARGS__)
#define P2P_WARN_LIMITED(module, kind, subject, ...) \
    P2P_LOG_LIMITED(::p2p::LogLevel::kWarn, module, kind, subject, __VA_ARGS__)
