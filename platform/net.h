// Non-blocking TCP sockets. Every fd returned here is O_NONBLOCK|O_CLOEXEC.
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2p::platform {

struct SockAddr {
    sockaddr_storage storage{};
    socklen_t len = 0;
    std::uint16_t port() const;
    // Numeric host ("127.0.0.1", "::1"), into buf; returns buf.
    const char* ip(char* buf, std::size_t cap) const;
    std::string to_string() const;  // "ip:port" or "[ip]:port"
};

// Numeric address only (no DNS): "1.2.3.4", "::1", "0.0.0.0", "localhost" is not numeric.
bool parse_numeric_addr(std::string_view host, std::uint16_t port, SockAddr& out);

// A host (name or numeric address, v6 without brackets) and a port, as the
// user wrote it: resolved later, off the loop (resolver.h).
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
    std::string to_string() const;  // "host:port" / "[v6]:port"
};

// Splits "host:port" / "[v6]:port". False on bad syntax or port outside 1..65535
// (port 0 allowed when allow_zero, for "pick an ephemeral port").
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port,
                     bool allow_zero = false);
bool split_host_port(std::string_view text, HostPort& out, bool allow_zero = false);

// Listening socket with SO_REUSEADDR. Returns fd or -1 with *err set.
int tcp_listen(const SockAddr& addr, int backlog, std::string* err);
// Accepts one connection; -1 when none pending (*error = 0) or on error (*error = errno).
int tcp_accept(int listen_fd, SockAddr* peer, int* error = nullptr);
// accept() failed for want of descriptors or kernel memory: the connection stays queued
// and the listener stays readable, so a level-triggered loop would spin on it.
bool accept_error_is_exhaustion(int error);
// Starts a non-blocking connect. Returns fd (connect may still be in progress:
// wait for kIoWrite then call tcp_connect_error) or -1 with *err set.
int tcp_connect_start(const SockAddr& addr, std::string* err);
// 0 if the connect finished successfully, else the errno it failed with.
int tcp_connect_error(int fd);
// Caps the kernel's send buffer of a socket (the kernel may double it), so a peer
// that stops reading holds at most that much of our output in the kernel; the rest
// stays wherever the owner keeps it, uncopied. Best effort.
void set_send_buffer(int fd, int bytes);
SockAddr local_addr(int fd);
SockAddr peer_addr(int fd);

enum class IoResult { kOk, kAgain, kClosed, kError };
// Reads up to cap bytes; *n is set on kOk. kClosed on EOF.
IoResult sock_read(int fd, char* buf, std::size_t cap, std::size_t* n);
// Writes as much as the kernel takes; *n is set on kOk/kAgain (may be partial).
IoResult sock_writev(int fd, const iovec* iov, int iovcnt, std::size_t* n);
// The same two for a descriptor that is not a socket (a pipe, a terminal):
// read(2) and writev(2) (SIGPIPE is ignored once an EventLoop exists).
IoResult fd_read(int fd, char* buf, std::size_t cap, std::size_t* n);
IoResult fd_writev(int fd, const iovec* iov, int iovcnt, std::size_t* n);
bool is_socket(int fd);
void close_fd(int fd);

}  // namespace p2p::platform
