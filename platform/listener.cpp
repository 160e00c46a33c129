#include "platform/listener.h"

#include <sys/uio.h>

namespace p2p::platform {

void refuse_connection(int fd, std::string_view line, std::size_t drain_bytes) {
    if (!line.empty()) {
        iovec iov{const_cast<char*>(line.data()), line.size()};
        std::size_t n = 0;
        sock_writev(fd, &iov, 1, &n);
    }
    char buf[4096];
    std::size_t got = 0, n = 0;
    while (got < drain_bytes && sock_read(fd, buf, sizeof buf, &n) == IoResult::kOk)
        got += n;
    close_fd(fd);
}

Listener::Listener(EventLoop& loop, ListenerOwner& owner, ListenerConfig config)
    : loop_(loop), owner_(owner), config_(std::move(config)), pause_(loop, config_.module) {}

Listener::~Listener() {
    stop();
}

bool Listener::listen_tcp(const SockAddr& addr, int backlog, std::string* err) {
    int fd = tcp_listen(addr, backlog, err);
    return fd >= 0 && adopt(fd, err);
}

bool Listener::adopt(int listen_fd, std::string* err) {
    if (fd_ >= 0 || !loop_.watch(listen_fd, kIoRead, this)) {
        if (err) *err = fd_ >= 0 ? "already listening" : "cannot watch the listening socket";
        close_fd(listen_fd);
        return false;
    }
    fd_ = listen_fd;
    return true;
}

void Listener::stop() {
    if (fd_ < 0) return;
    if (!pause_.paused()) loop_.unwatch(fd_);
    pause_.cancel();
    close_fd(fd_);
    fd_ = -1;
}

SockAddr Listener::address() const {
    return local_addr(fd_);
}

void Listener::on_io(int, std::uint32_t) {
    for (int i = 0; i < config_.accepts_per_event && fd_ >= 0; ++i) {
        SockAddr peer;
        int error = 0;
        int fd = tcp_accept(fd_, &peer, &error);
        if (fd < 0) {
            // Out of descriptors: stop watching the listener for a moment rather than
            // spin on it at full CPU (the open connections must keep being served).
            pause_.on_accept_failed(fd_, this, error);
            return;
        }
        pause_.on_accepted();
        if (owner_.open_connections() >= config_.max_connections && !owner_.on_full(peer)) {
            refuse_connection(fd, config_.refusal);
            continue;
        }
        owner_.on_accept(fd, peer);
    }
}

}  // namespace p2p::platform
