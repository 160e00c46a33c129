// Template body of LineFramer::feed (included by line_framer.h only).
#pragma once
#include <cstring>

namespace p2p {

template <class Sink>
void LineFramer::feed(char* data, std::size_t len, Sink&& sink) {
    std::size_t pos = 0;
    while (pos < len) {
        char* start = data + pos;
        std::size_t remaining = len - pos;
        char* nl = static_cast<char*>(std::memchr(start, '\n', remaining));
        std::size_t chunk = nl ? static_cast<std::size_t>(nl - start) : remaining;
        pos += nl ? chunk + 1 : chunk;

        if (discarding_) {
            // Still inside an oversized line: drop bytes until its newline.
            if (nl) discarding_ = false;
            continue;
        }

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

}  // namespace p2p
