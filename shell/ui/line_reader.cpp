#include "shell/ui/line_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "platform/terminal.h"

namespace p2p::shell {

LineReader::LineReader(LineHandler& handler, std::size_t max_line)
    : handler_(handler),
      max_line_(max_line),
      partial_(new char[max_line + 1]),
      read_buf_(new char[kReadBytes]),
      framer_(partial_.get(), max_line) {}

// What the framer hands out: a line goes to the handler (not once input has ended), an
// over-long one is refused with one message.
auto LineReader::sink() {
    return [this](LineFramer::Event ev, char* line, std::size_t len) {
        if (finished_) return;
        if (ev == LineFramer::Event::kTooLong)
            refuse_long_line();
        else
            handler_.on_line(std::string_view(line, len));
    };
}

// Never more than the framer can hold: a line handler may pause() at any line, and the
// lines after it must then stay in the partial buffer, not be handed out regardless.
// A full buffer without a newline still takes one byte, which either ends the line or
// makes the framer refuse it.
std::size_t LineReader::next_read_size() const {
    return std::min(kReadBytes, std::max<std::size_t>(framer_.room(), 1));
}

bool LineReader::feed(int fd) {
    if (finished_) return false;
    if (paused_) return true;
    std::size_t got = 0;
    switch (platform::read_some(fd, read_buf_.get(), next_read_size(), &got)) {
        case platform::ReadStatus::kData:
            deliver(read_buf_.get(), got);
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
        if (paused_ && framer_.room() == 0) break;  // no room until resume(): the rest is dropped
        std::size_t n = std::min(bytes.size(), next_read_size());
        std::memcpy(read_buf_.get(), bytes.data(), n);
        bytes.remove_prefix(n);
        deliver(read_buf_.get(), n);
    }
}

void LineReader::resume() {
    paused_ = false;
    framer_.release_held([this] { return !paused_; }, sink());
    if (!paused_ && eof_pending_) finish();
}

void LineReader::finish() {
    if (finished_) return;
    if (paused_) {
        eof_pending_ = true;  // the lines still buffered go first
        return;
    }
    std::size_t len = framer_.discarding() ? 0 : framer_.buffered();
    framer_.reset();
    if (len > 0) {
        std::string_view line(partial_.get(), len);
        if (line.back() == '\r') line.remove_suffix(1);
        if (line.size() > max_line_)
            refuse_long_line();
        else
            handler_.on_line(line);
    }
    finished_ = true;
    handler_.on_eof();
}

void LineReader::deliver(char* data, std::size_t len) {
    framer_.feed_gated(
        data, len, [this] { return !paused_; }, sink());
}

void LineReader::refuse_long_line() {
    char msg[96];
    int n = std::snprintf(msg, sizeof msg, "input line longer than %zu bytes ignored", max_line_);
    handler_.on_input_error(std::string_view(msg, static_cast<std::size_t>(n)));
}

}  // namespace p2p::shell
