#include "tests/support/tcp_client.h"
#include "tests/support/deadline.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline, short* revents) {
    for (;;) {
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        if (revents) *revents = p.revents;
        return true;
    }
}

}  // namespace

TcpClient::TcpClient(TcpClient&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
    other.fd_ = -1;
}

TcpClient& TcpClient::operator=(TcpClient&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = other.fd_;
        buffer_ = std::move(other.buffer_);
        other.fd_ = -1;
    }
    return *this;
}

bool TcpClient::connect(std::uint16_t port, milliseconds timeout, const std::string& host,
                        std::string* err) {
    close();
    buffer_.clear();
    auto deadline = Clock::now() + timeout;
    sockaddr_storage ss{};
    socklen_t len;
    int family;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        family = v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof *v4;
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        family = v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof *v6;
    } else {
        if (err) *err = "not a numeric address: " + host;
        return false;
    }
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (err) *err = std::strerror(errno);
        return false;
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
        if (err) *err = std::strerror(errno);
        ::close(fd);
        return false;
    }
    short revents = 0;
    if (!wait_fd(fd, POLLOUT, deadline, &revents)) {
        if (err) *err = "connect timed out";
        ::close(fd);
        return false;
    }
    int so_error = 0;
    socklen_t so_len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    if (so_error != 0) {
        if (err) *err = std::strerror(so_error);
        ::close(fd);
        return false;
    }
    fd_ = fd;
    return true;
}

bool TcpClient::send(std::string_view bytes, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!bytes.empty()) {
        if (fd_ < 0) return false;
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return false;
        if (!wait_fd(fd_, POLLOUT, deadline, nullptr)) return false;
    }
    return true;
}

bool TcpClient::send_line(std::string_view line, milliseconds timeout) {
    std::string framed(line);
    framed.push_back('\n');
    return send(framed, timeout);
}

TcpClient::Read TcpClient::fill(Clock::time_point deadline) {
    if (fd_ < 0) return Read::kError;
    for (;;) {
        char buf[16384];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
            buffer_.append(buf, static_cast<std::size_t>(n));
            return Read::kLine;
        }
        if (n == 0) return Read::kClosed;
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) return Read::kClosed;
        if (errno != EAGAIN) return Read::kError;
        if (!wait_fd(fd_, POLLIN, deadline, nullptr)) return Read::kTimeout;
    }
}

TcpClient::Read TcpClient::read_line(std::string* line, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::size_t end = nl;
            if (end > 0 && buffer_[end - 1] == '\r') --end;
            if (line) *line = buffer_.substr(0, end);
            buffer_.erase(0, nl + 1);
            return Read::kLine;
        }
        Read r = fill(deadline);
        if (r != Read::kLine) return r;
    }
}

std::optional<std::string> TcpClient::read_line(milliseconds timeout) {
    std::string line;
    if (read_line(&line, timeout) != Read::kLine) return std::nullopt;
    return line;
}

bool TcpClient::wait_closed(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        Read r = fill(deadline);
        if (r == Read::kClosed) return true;
        if (r != Read::kLine) return false;
    }
}

void TcpClient::shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void TcpClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::optional<std::string> request_line(std::uint16_t port, std::string_view line,
                                        milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    TcpClient client;
    if (!client.connect(port, timeout)) return std::nullopt;
    if (!client.send_line(line, milliseconds(remaining_ms(deadline)))) return std::nullopt;
    return client.read_line(milliseconds(remaining_ms(deadline)));
}

}  // namespace p2p::test
