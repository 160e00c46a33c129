#include "shell/ui/line_reader.h"

#include <cstdio>
#include <cstring>

#include "platform/terminal.h"

namespace p2p::shell {

LineReader::LineReader(LineHandler& handler, std::size_t max_line)
    : handler_(handler), max_line_(max_line), cap_(max_line + 1), buf_(new char[cap_]) {}

bool LineReader::feed(int fd) {
    if (finished_) return false;
    if (paused_) return true;
    std::size_t got = 0;
    switch (platform::read_some(fd, buf_.get() + len_, cap_ - len_, &got)) {
        case platform::ReadStatus::kData:
            len_ += got;
            deliver_complete_lines();
            return !finished_;
        case platform::ReadStatus::kWouldBlock:
            return true;
        case platform::ReadStatus::kEof:
        case platform::ReadStatus::kError:
            finish();
            return !finished_ && !eof_pending_;
    }
    return true;
}

void LineReader::push(std::string_view bytes) {
    while (!bytes.empty() && !finished_) {
        std::size_t n = std::min(bytes.size(), cap_ - len_);
        std::memcpy(buf_.get() + len_, bytes.data(), n);
        len_ += n;
        bytes.remove_prefix(n);
        deliver_complete_lines();
        if (paused_ && len_ == cap_) break;  // no room until resume(): the rest is dropped
    }
}

void LineReader::resume() {
    paused_ = false;
    deliver_complete_lines();
    if (!paused_ && eof_pending_) finish();
}

void LineReader::finish() {
    if (finished_) return;
    if (paused_) {
        eof_pending_ = true;  // the lines still buffered go first
        return;
    }
    if (len_ > 0 && !discarding_) {
        std::string_view line(buf_.get(), len_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        len_ = 0;
        handler_.on_line(line);
    }
    len_ = 0;
    finished_ = true;
    handler_.on_eof();
}

void LineReader::deliver_complete_lines() {
    std::size_t start = 0;
    for (;;) {
        const char* base = buf_.get() + start;
        const void* nl = std::memchr(base, '\n', len_ - start);
        if (!nl) break;
        std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get());
        if (discarding_) {
            // The tail of a refused line: drop it, resume after its newline.
            discarding_ = false;
        } else {
            std::string_view line(base, end - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            handler_.on_line(line);
        }
        start = end + 1;
        if (finished_) return;
        if (paused_) break;
    }
    // Keep only the unfinished last line, at the front of the buffer.
    if (start > 0) {
        std::memmove(buf_.get(), buf_.get() + start, len_ - start);
        len_ -= start;
    }
    if (len_ == cap_ && !paused_) {
        if (!discarding_) refuse_long_line();
        len_ = 0;  // what we have is part of the refused line
    }
}

void LineReader::refuse_long_line() {
    discarding_ = true;
    char msg[96];
    int n = std::snprintf(msg, sizeof msg, "input line longer than %zu bytes ignored", max_line_);
    handler_.on_input_error(std::string_view(msg, static_cast<std::size_t>(n)));
}

}  // namespace p2p::shell
