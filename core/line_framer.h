// Resumable line framer (picohttpparser-style): bytes go in as they arrive,
// complete lines come out, a line split across any number of reads is joined.
//
// Memory: the caller reads into one shared buffer and calls feed() on it.
// Complete lines inside that buffer are handed out in place (no copy); only
// the unfinished tail is copied into this link's own fixed partial buffer
// (kMaxLineBytes + 1, provided by the caller, e.g. a slot of an arena).
//
// Rules (docs/protocol.md §2): '\n' ends a line, one '\r' before it is stripped;
// a line longer than kMaxLineBytes yields one kTooLong event and everything up
// to the next '\n' is discarded; nothing beyond the limit is ever buffered.
#pragma once
#include <cstddef>

#include "core/limits.h"

namespace p2p {

class LineFramer {
  public:
    // The partial buffer needs kPartialBytes; its memory stays the caller's.
    static constexpr std::size_t kPartialBytes = kMaxLineBytes + 1;

    enum class Event { kLine, kTooLong };

    // Sink is called as sink(Event, char* line, size_t len). For kLine, line is
    // writable and line[len] is writable too (set to '\0' for in-situ JSON).
    // For kTooLong, line is nullptr and len is 0.
    explicit LineFramer(char* partial_buffer, std::size_t limit = kMaxLineBytes)
        : partial_(partial_buffer), limit_(limit) {}

    template <class Sink>
    void feed(char* data, std::size_t len, Sink&& sink);

    // Backpressure (docs/architecture.md "Backpressure"): like feed(), but
    // asks ready() before handing out each complete line. When it says no,
    // that line and every byte after it are kept in the partial buffer
    // (holding() is then true) and nothing more is handed out until
    // release_held() is called with ready() true again. Holding needs room:
    // a host that reads at most room() bytes per call never loses a byte; if
    // the bytes do not fit, ready() is ignored and everything is handed out.
    template <class Ready, class Sink>
    void feed_gated(char* data, std::size_t len, Ready&& ready, Sink&& sink);
    // Hands out held lines, in order, while ready() says yes.
    template <class Ready, class Sink>
    void release_held(Ready&& ready, Sink&& sink);

    // Bytes of an unfinished line (or of held lines) kept right now.
    std::size_t buffered() const { return partial_len_; }
    // Bytes a host may read for the next feed_gated() without risk of loss.
    std::size_t room() const { return limit_ + 1 - partial_len_; }
    bool holding() const { return held_; }
    bool discarding() const { return discarding_; }
    void reset() {
        partial_len_ = 0;
        discarding_ = false;
        held_ = false;
    }

  private:
    char* partial_;
    std::size_t limit_;
    std::size_t partial_len_ = 0;
    bool discarding_ = false;  // inside an oversized line, dropping to '\n'
    bool held_ = false;        // partial_ holds complete lines not handed out yet
};

}  // namespace p2p

#include "core/line_framer_impl.h"
