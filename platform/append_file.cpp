#include "platform/append_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p2p::platform {

BatchedAppendFile::BatchedAppendFile(std::size_t capacity)
    : buf_(new char[capacity]), capacity_(capacity) {}

BatchedAppendFile::~BatchedAppendFile() {
    if (fd_ >= 0) ::close(fd_);
}

bool BatchedAppendFile::open(const std::string& path, std::string* err) {
    path_ = path;
    return reopen(err);
}

bool BatchedAppendFile::reopen(std::string* err) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(),
                 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW,
                 0600);
    if (fd_ >= 0) return true;
    if (err) *err = std::strerror(errno);
    return false;
}

bool BatchedAppendFile::append(std::string_view line) {
    if (line.size() > capacity_ - used_) {
        ++dropped_;
        return false;
    }
    std::memcpy(buf_.get() + used_, line.data(), line.size());
    used_ += line.size();
    return true;
}

BatchedAppendFile::Flush BatchedAppendFile::flush(std::string* err) {
    if (used_ == 0) return Flush::kNothing;
    if (fd_ < 0) {
        if (err) *err = "not open";
        return Flush::kFailed;
    }
    ssize_t n;
    do {
        n = ::write(fd_, buf_.get(), used_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Flush::kPending;
        if (err) *err = std::strerror(errno);
        return Flush::kFailed;
    }
    auto written = static_cast<std::size_t>(n);
    std::memmove(buf_.get(), buf_.get() + written, used_ - written);
    used_ -= written;
    return used_ == 0 ? Flush::kWritten : Flush::kPending;
}

bool BatchedAppendFile::removed() const {
    struct stat st {};
    return fd_ >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
}

std::uint64_t BatchedAppendFile::take_dropped() {
    std::uint64_t n = dropped_;
    dropped_ = 0;
    return n;
}

}  // namespace p2p::platform
