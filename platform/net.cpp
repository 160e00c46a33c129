#include "platform/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/number.h"

namespace p2p::platform {
namespace {

void set_err(std::string* err, const char* what, int e) {
    if (!err) return;
    *err = what;
    *err += ": ";
    *err += std::strerror(e);
}

[[maybe_unused]] bool set_nonblock_cloexec(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
    return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

int new_socket(int family) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    int fd = ::socket(family, SOCK_STREAM, 0);
    if (fd >= 0 && !set_nonblock_cloexec(fd)) {
        ::close(fd);
        return -1;
    }
    return fd;
#endif
}

void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

#if defined(__APPLE__)
void set_nosigpipe(int fd) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
}
#else
void set_nosigpipe(int) {}
#endif

}  // namespace

std::uint16_t SockAddr::port() const {
    if (storage.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    }
    if (storage.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    }
    return 0;
}

const char* SockAddr::ip(char* buf, std::size_t cap) const {
    if (cap == 0) return buf;
    buf[0] = '\0';
    if (storage.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
        if (!inet_ntop(AF_INET, &a->sin_addr, buf, static_cast<socklen_t>(cap))) buf[0] = '\0';
    } else if (storage.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
        if (!inet_ntop(AF_INET6, &a->sin6_addr, buf, static_cast<socklen_t>(cap))) buf[0] = '\0';
    }
    return buf;
}

std::string SockAddr::to_string() const {
    char ipbuf[INET6_ADDRSTRLEN];
    ip(ipbuf, sizeof ipbuf);
    char out[INET6_ADDRSTRLEN + 10];
    if (storage.ss_family == AF_INET6) {
        std::snprintf(out, sizeof out, "[%s]:%u", ipbuf, static_cast<unsigned>(port()));
    } else {
        std::snprintf(out, sizeof out, "%s:%u", ipbuf, static_cast<unsigned>(port()));
    }
    return out;
}

bool parse_numeric_addr(std::string_view host, std::uint16_t port, SockAddr& out) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    char text[INET6_ADDRSTRLEN];
    if (host.empty() || host.size() >= sizeof text) return false;
    std::memcpy(text, host.data(), host.size());
    text[host.size()] = '\0';

    SockAddr a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len = sizeof(sockaddr_in);
        out = a;
        return true;
    }
    a = SockAddr{};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len = sizeof(sockaddr_in6);
        out = a;
        return true;
    }
    return false;
}

std::string HostPort::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

bool split_host_port(std::string_view text, HostPort& out, bool allow_zero) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_host_port(text, host, port, allow_zero)) return false;
    out.host = std::move(host);
    out.port = port;
    return true;
}

bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port,
                     bool allow_zero) {
    std::string_view h;
    std::string_view p;
    if (!text.empty() && text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return false;
        h = text.substr(1, close - 1);
        p = text.substr(close + 2);
    } else {
        std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return false;
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
        // A bare IPv6 address is ambiguous with its port: require brackets.
        if (h.find(':') != std::string_view::npos) return false;
    }
    std::uint16_t value = 0;
    if (h.empty() || !parse_port(p, value, allow_zero)) return false;
    host.assign(h.data(), h.size());
    port = value;
    return true;
}

int tcp_listen(const SockAddr& addr, int backlog, std::string* err) {
    int fd = new_socket(addr.storage.ss_family);
    if (fd < 0) {
        set_err(err, "socket", errno);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) < 0) {
        int e = errno;
        ::close(fd);
        set_err(err, ("bind " + addr.to_string()).c_str(), e);
        return -1;
    }
    if (::listen(fd, backlog) < 0) {
        int e = errno;
        ::close(fd);
        set_err(err, "listen", e);
        return -1;
    }
    return fd;
}

bool accept_error_is_exhaustion(int error) {
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

int tcp_accept(int listen_fd, SockAddr* peer, int* error) {
    if (error) *error = 0;
    SockAddr tmp;
    tmp.len = sizeof tmp.storage;
    for (;;) {
#if defined(__linux__)
        int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&tmp.storage), &tmp.len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        int fd = ::accept(listen_fd, reinterpret_cast<sockaddr*>(&tmp.storage), &tmp.len);
        if (fd >= 0 && !set_nonblock_cloexec(fd)) {
            if (error) *error = errno;
            ::close(fd);
            return -1;
        }
#endif
        if (fd < 0) {
            // A connection reset while queued is not the listener's problem.
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (error && errno != EAGAIN && errno != EWOULDBLOCK) *error = errno;
            return -1;
        }
        set_nodelay(fd);
        set_nosigpipe(fd);
        if (peer) *peer = tmp;
        return fd;
    }
}

int tcp_connect_start(const SockAddr& addr, std::string* err) {
    int fd = new_socket(addr.storage.ss_family);
    if (fd < 0) {
        set_err(err, "socket", errno);
        return -1;
    }
    set_nodelay(fd);
    set_nosigpipe(fd);
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno != EINPROGRESS) {
        int e = errno;
        ::close(fd);
        set_err(err, ("connect " + addr.to_string()).c_str(), e);
        return -1;
    }
    return fd;
}

int tcp_connect_error(int fd) {
    // A connected socket has a peer: success.
    sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &sl) == 0) return 0;
    if (errno != ENOTCONN) return errno;
    // Failed or still in progress. A read hands back the pending socket
    // error as errno (and clears it). Preferred over SO_ERROR because
    // qemu-user passes SO_ERROR's value through untranslated, so on a
    // mips target under qemu ECONNREFUSED came back as the host's number.
    char c;
    ssize_t r = ::recv(fd, &c, 1, MSG_PEEK);
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN && errno != EINTR) {
        return errno;
    }
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) return errno;
    return e != 0 ? e : EINPROGRESS;
}

void set_send_buffer(int fd, int bytes) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

SockAddr local_addr(int fd) {
    SockAddr a;
    a.len = sizeof a.storage;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.len) < 0) return SockAddr{};
    return a;
}

SockAddr peer_addr(int fd) {
    SockAddr a;
    a.len = sizeof a.storage;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.len) < 0) return SockAddr{};
    return a;
}

namespace {
// One read (recv or read) as an IoResult, retried on EINTR.
template <class Call>
IoResult read_loop(Call call, std::size_t cap, std::size_t* n) {
    for (;;) {
        ssize_t r = call();
        if (r > 0) {
            if (n) *n = static_cast<std::size_t>(r);
            return IoResult::kOk;
        }
        if (r == 0) return cap == 0 ? IoResult::kOk : IoResult::kClosed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kAgain;
        return IoResult::kError;
    }
}
}  // namespace

IoResult sock_read(int fd, char* buf, std::size_t cap, std::size_t* n) {
    return read_loop([&] { return ::recv(fd, buf, cap, 0); }, cap, n);
}

IoResult sock_writev(int fd, const iovec* iov, int iovcnt, std::size_t* n) {
    if (n) *n = 0;
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(iovcnt);
#if defined(MSG_NOSIGNAL)
    const int flags = MSG_NOSIGNAL;
#else
    const int flags = 0;  // SO_NOSIGPIPE on the socket instead (macOS)
#endif
    for (;;) {
        ssize_t r = ::sendmsg(fd, &msg, flags);
        if (r >= 0) {
            if (n) *n = static_cast<std::size_t>(r);
            return IoResult::kOk;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kAgain;
        if (errno == EPIPE || errno == ECONNRESET) return IoResult::kClosed;
        return IoResult::kError;
    }
}

IoResult fd_read(int fd, char* buf, std::size_t cap, std::size_t* n) {
    return read_loop([&] { return ::read(fd, buf, cap); }, cap, n);
}

IoResult fd_writev(int fd, const iovec* iov, int iovcnt, std::size_t* n) {
    if (n) *n = 0;
    for (;;) {
        ssize_t r = ::writev(fd, iov, iovcnt);
        if (r >= 0) {
            if (n) *n = static_cast<std::size_t>(r);
            return IoResult::kOk;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kAgain;
        if (errno == EPIPE) return IoResult::kClosed;
        return IoResult::kError;
    }
}

bool is_socket(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

void close_fd(int fd) {
    // Never retry close on EINTR: on Linux the fd is already gone.
    if (fd >= 0) ::close(fd);
}

}  // namespace p2p::platform
