// Template bodies of LineFramer (included by line_framer.h only).
#pragma once
#include <cstring>

namespace p2p {

template <class Sink>
void LineFramer::feed(char* data, std::size_t len, Sink&& sink) {
    feed_gated(
        data, len, [] { return true; }, sink);
}

template <class Ready, class Sink>
void LineFramer::feed_gated(char* data, std::size_t len, Ready&& ready, Sink&& sink) {
    if (held_) {
        // Lines held from an earlier read go first, so order is kept.
        if (partial_len_ + len <= limit_ + 1) {
            std::memcpy(partial_ + partial_len_, data, len);
            partial_len_ += len;
            release_held(ready, sink);
            return;
        }
        release_held([] { return true; }, sink);  // no room to hold more: hand all out
    }
    std::size_t pos = 0;
    while (pos < len) {
        char* start = data + pos;
        std::size_t remaining = len - pos;
        char* nl = static_cast<char*>(std::memchr(start, '\n', remaining));
        std::size_t chunk = nl ? static_cast<std::size_t>(nl - start) : remaining;

        if (discarding_) {
            // Still inside an oversized line: drop bytes until its newline.
            pos += nl ? chunk + 1 : chunk;
            if (nl) discarding_ = false;
            continue;
        }
        // A complete line the caller cannot take now: keep it and the rest,
        // untouched, after the partial line it completes.
        if (nl && partial_len_ + remaining <= limit_ + 1 && !ready()) {
            std::memcpy(partial_ + partial_len_, start, remaining);
            partial_len_ += remaining;
            held_ = true;
            return;
        }
        pos += nl ? chunk + 1 : chunk;

        // A line's '\r' may sit in the partial buffer while its '\n' arrives
        // later, so the limit is checked on the stripped length at the end;
        // while unfinished we allow one extra byte for a possible '\r'.
        std::size_t total = partial_len_ + chunk;
        if (!nl) {
            if (total > limit_ + 1) {
                partial_len_ = 0;
                discarding_ = true;
                sink(Event::kTooLong, nullptr, std::size_t{0});
            } else {
                std::memcpy(partial_ + partial_len_, start, chunk);
                partial_len_ = total;
            }
            continue;
        }

        char* line;
        std::size_t line_len;
        if (partial_len_ == 0) {
            line = start;  // whole line inside the caller's buffer: no copy
            line_len = chunk;
        } else if (total > limit_ + 1) {
            partial_len_ = 0;
            sink(Event::kTooLong, nullptr, std::size_t{0});
            continue;
        } else {
            std::memcpy(partial_ + partial_len_, start, chunk);
            line = partial_;
            line_len = total;
            partial_len_ = 0;
        }
        if (line_len > 0 && line[line_len - 1] == '\r') --line_len;
        if (line_len > limit_) {
            sink(Event::kTooLong, nullptr, std::size_t{0});
            continue;
        }
        line[line_len] = '\0';  // '\n' or '\r' slot, or the partial buffer's spare byte
        sink(Event::kLine, line, line_len);
    }
}

template <class Ready, class Sink>
void LineFramer::release_held(Ready&& ready, Sink&& sink) {
    if (!held_) return;
    std::size_t n = partial_len_;
    std::size_t pos = 0;
    bool done = true;
    while (pos < n) {
        char* start = partial_ + pos;
        char* nl = static_cast<char*>(std::memchr(start, '\n', n - pos));
        if (!nl) break;  // the unfinished line after the held ones
        if (!ready()) {
            done = false;
            break;
        }
        std::size_t line_len = static_cast<std::size_t>(nl - start);
        pos += line_len + 1;
        if (line_len > 0 && start[line_len - 1] == '\r') --line_len;
        if (line_len > limit_) {
            sink(Event::kTooLong, nullptr, std::size_t{0});
        } else {
            start[line_len] = '\0';
            sink(Event::kLine, start, line_len);
        }
        if (!held_) return;  // reset by the sink (the link closed)
    }
    std::memmove(partial_, partial_ + pos, n - pos);
    partial_len_ = n - pos;
    held_ = !done;
}

}  // namespace p2p
