// Connections from a chosen 127.0.0.x source address, for attack tests that
// play many hosts at once: Linux routes all of 127.0.0.0/8 to loopback, so a
// socket bound to 127.0.0.42 reaches a node on 127.0.0.1 as "another host".
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace p2p::test {

// "127.0.0.<n>" for n in 2..254 (wraps), never 127.0.0.1 (the legit peers').
inline std::string loopback_source(int n) {
    return "127.0.0." + std::to_string(2 + (n % 253));
}

// A blocking TCP connection from `source` to 127.0.0.1:port; -1 on failure.
// Loopback connects complete at once (or are refused at once). `rcvbuf` > 0:
// a small receive buffer, for a peer that is meant to stop reading.
inline int connect_from(const std::string& source, std::uint16_t port, int rcvbuf = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace p2p::test
