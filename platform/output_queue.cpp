#include "platform/output_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace p2p::platform {

namespace {

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: SO_NOSIGPIPE on the socket, SIGPIPE ignored anyway
#endif

int reopen_nonblocking(int fd) {
#if defined(__linux__)
    char path[32];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return ::open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
#else
    (void)fd;
    return -1;
#endif
}

}  // namespace

OutputQueue::OutputQueue(int fd, std::size_t capacity)
    : fd_(fd),
      ring_(new char[std::max<std::size_t>(capacity, 1)]),
      capacity_(std::max<std::size_t>(capacity, 1)) {
    out_fd_ = fd;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        method_ = Method::kFile;
        return;
    }
    if (::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
        method_ = Method::kSend;
        return;
    }
    int reopened = reopen_nonblocking(fd);
    if (reopened >= 0) {
        out_fd_ = reopened;
        method_ = Method::kReopened;
        return;
    }
    method_ = Method::kFlag;
    saved_flags_ = ::fcntl(fd, F_GETFL);
    if (saved_flags_ >= 0) ::fcntl(fd, F_SETFL, saved_flags_ | O_NONBLOCK);
}

OutputQueue::~OutputQueue() {
    detach();
    if (method_ == Method::kReopened) ::close(out_fd_);
    if (method_ == Method::kFlag && saved_flags_ >= 0) ::fcntl(fd_, F_SETFL, saved_flags_);
}

const char* OutputQueue::method() const {
    switch (method_) {
        case Method::kReopened:
            return "reopened";
        case Method::kSend:
            return "send";
        case Method::kFile:
            return "file";
        case Method::kFlag:
            return "flag";
    }
    return "?";
}

void OutputQueue::attach(EventLoop& loop) {
    loop_ = &loop;
    update_watch();
}

void OutputQueue::detach() {
    if (loop_ && watching_) loop_->unwatch(out_fd_);
    watching_ = false;
    loop_ = nullptr;
}

long OutputQueue::write_now(const char* p, std::size_t n) {
    for (;;) {
        ssize_t w = method_ == Method::kSend ? ::send(out_fd_, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                                             : ::write(out_fd_, p, n);
        if (w >= 0) return static_cast<long>(w);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;  // EPIPE, EBADF, EIO: nobody will read this any more
    }
}

bool OutputQueue::write(std::string_view data) {
    if (broken_) {
        ++dropped_;
        ++dropped_total_;
        return false;
    }
    flush();
    std::size_t off = 0;
    if (used_ == 0 && !broken_) {  // nothing queued ahead of it: straight out
        long w = write_now(data.data(), data.size());
        if (w < 0) {
            broken_ = true;
            update_watch();
            ++dropped_;
            ++dropped_total_;
            return false;
        }
        off = static_cast<std::size_t>(w);
        if (off == data.size()) return true;
    }
    std::size_t rest = data.size() - off;
    // A write already partly out must be finished, or the next line would be glued to
    // half of this one: it may use the whole buffer. A new one goes whole or not at all.
    if (rest > capacity_ - used_) {
        if (off == 0) {
            ++dropped_;
            ++dropped_total_;
            return false;
        }
        rest = capacity_ - used_;  // cannot happen with capacity >= the longest line
    }
    std::size_t tail = (head_ + used_) % capacity_;
    std::size_t first = std::min(rest, capacity_ - tail);
    std::memcpy(ring_.get() + tail, data.data() + off, first);
    std::memcpy(ring_.get(), data.data() + off + first, rest - first);
    used_ += rest;
    update_watch();
    return true;
}

void OutputQueue::flush() {
    while (used_ > 0 && !broken_) {
        std::size_t chunk = std::min(used_, capacity_ - head_);
        long w = write_now(ring_.get() + head_, chunk);
        if (w < 0) {
            broken_ = true;
            used_ = 0;
            break;
        }
        if (w == 0) break;
        head_ = (head_ + static_cast<std::size_t>(w)) % capacity_;
        used_ -= static_cast<std::size_t>(w);
    }
    if (used_ == 0) head_ = 0;
    update_watch();
}

bool OutputQueue::drain(int timeout_ms) {
    flush();
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    while (used_ > 0 && !broken_) {
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms) break;
        pollfd p{out_fd_, POLLOUT, 0};
        ::poll(&p, 1, static_cast<int>(timeout_ms - elapsed));
        flush();
    }
    return used_ == 0;
}

std::uint64_t OutputQueue::take_dropped_report() {
    if (used_ > 0 || dropped_ == 0) return 0;
    std::uint64_t n = dropped_;
    dropped_ = 0;
    return n;
}

void OutputQueue::update_watch() {
    if (!loop_) return;
    bool want = used_ > 0 && !broken_;
    if (want == watching_) return;
    if (want) {
        watching_ = loop_->watch(out_fd_, kIoWrite, this);
    } else {
        loop_->unwatch(out_fd_);
        watching_ = false;
    }
}

void OutputQueue::on_io(int, std::uint32_t) {
    flush();
}

}  // namespace p2p::platform
