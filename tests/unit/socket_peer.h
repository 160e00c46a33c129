// The far end of a connection under test (platform/connection.h, listener.h): a plain
// socket the test writes and reads directly, closed with the test.
#pragma once
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace p2p::platform {

struct SocketPeer {
    int fd = -1;
    ~SocketPeer() {
        if (fd >= 0) ::close(fd);
    }
    void send(const std::string& s) {
        ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
    }
    // What has arrived so far; sets *eof when the connection closed its end.
    std::string drain(bool* eof = nullptr) {
        std::string got;
        char buf[65536];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                got.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 && eof) *eof = true;
            return got;
        }
    }
};

}  // namespace p2p::platform
