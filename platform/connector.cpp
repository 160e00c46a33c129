#include "platform/connector.h"

#include <errno.h>

#include <cstring>
#include <utility>

namespace p2p::platform {

std::string_view connect_error_cause(std::string_view error) {
    if (error.substr(0, 8) != "connect ") return error;
    std::size_t colon = error.find(": ");
    return colon == std::string_view::npos ? error : error.substr(colon + 2);
}

TcpConnector::TcpConnector(EventLoop& loop, Resolver& resolver)
    : loop_(loop), resolver_(resolver) {}

TcpConnector::~TcpConnector() {
    if (destroyed_) *destroyed_ = true;
    reset();
}

bool TcpConnector::connect(const std::string& host, std::uint16_t port, MonoMs timeout_ms,
                           Callback done) {
    if (busy()) return false;
    state_ = State::kResolving;
    done_ = std::move(done);
    target_ = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    target_ += ":" + std::to_string(port);
    timeout_ms_ = timeout_ms;
    deadline_ = loop_.schedule_in(timeout_ms, this, 0);
    // Numeric hosts are answered by the resolver without its thread, but
    // still later on the loop, so both paths look the same from here.
    lookup_ = resolver_.start(host, port,
                              [this](bool ok, const SockAddr& addr, const std::string& error) {
                                  lookup_ = 0;
                                  on_resolved(ok, addr, error);
                              });
    return true;
}

bool TcpConnector::connect(const SockAddr& addr, MonoMs timeout_ms, Callback done) {
    if (busy()) return false;
    state_ = State::kConnecting;
    done_ = std::move(done);
    target_ = addr.to_string();
    timeout_ms_ = timeout_ms;
    deadline_ = loop_.schedule_in(timeout_ms, this, 0);
    start_connect(addr);
    return true;
}

void TcpConnector::cancel() {
    reset();
}

void TcpConnector::reset() {
    if (lookup_) resolver_.cancel(lookup_);
    lookup_ = 0;
    if (deadline_) loop_.cancel(deadline_);
    deadline_ = 0;
    if (fd_ >= 0) {
        loop_.unwatch(fd_);
        close_fd(fd_);
    }
    fd_ = -1;
    state_ = State::kIdle;
    done_ = nullptr;
    pending_error_.clear();
}

void TcpConnector::on_resolved(bool ok, const SockAddr& addr, const std::string& error) {
    if (!ok) {
        finish(-1, error);
        return;
    }
    state_ = State::kConnecting;
    start_connect(addr);
}

void TcpConnector::start_connect(const SockAddr& addr) {
    std::string err;
    int fd = tcp_connect_start(addr, &err);
    if (fd < 0) {
        fail_soon(err);
        return;
    }
    if (!loop_.watch(fd, kIoWrite, this)) {
        close_fd(fd);
        fail_soon("connect " + target_ + ": cannot watch the socket");
        return;
    }
    fd_ = fd;
}

// A failure found while connect() may still be on the stack is reported
// from a zero-delay timer, so the callback never runs inside connect().
void TcpConnector::fail_soon(std::string error) {
    pending_error_ = std::move(error);
    if (deadline_) loop_.cancel(deadline_);
    deadline_ = loop_.schedule_in(0, this, 0);
}

void TcpConnector::on_io(int fd, std::uint32_t) {
    int e = tcp_connect_error(fd);
    if (e == EINPROGRESS) return;  // woken early; wait for the real outcome
    loop_.unwatch(fd);
    fd_ = -1;
    if (e == 0) {
        finish(fd, std::string());
        return;
    }
    close_fd(fd);
    finish(-1, "connect " + target_ + ": " + std::strerror(e));
}

void TcpConnector::on_timer(std::uint64_t) {
    deadline_ = 0;
    if (!pending_error_.empty()) {
        std::string e = std::move(pending_error_);
        finish(-1, std::move(e));
        return;
    }
    finish(-1, "connect " + target_ + ": timed out after " + std::to_string(timeout_ms_) + " ms");
}

void TcpConnector::finish(int fd, std::string error) {
    Callback done = std::move(done_);
    reset();  // idle before the callback, which may connect() again
    if (!done) {
        close_fd(fd);
        return;
    }
    // The callback may destroy this connector: then touch nothing after it.
    bool destroyed = false;
    destroyed_ = &destroyed;
    done(fd, error);
    if (!destroyed) destroyed_ = nullptr;
}

}  // namespace p2p::platform
