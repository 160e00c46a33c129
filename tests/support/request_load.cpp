#include "tests/support/request_load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;

struct Slot {
    int fd = -1;
    bool sent = false;
    bool newline = false;
};

}  // namespace

LoadResult run_request_load(const std::string& host, const std::vector<std::uint16_t>& ports,
                            int concurrency, double seconds, const std::string& request) {
    std::vector<sockaddr_in> addrs(ports.size());
    for (std::size_t i = 0; i < ports.size(); ++i) {
        addrs[i].sin_family = AF_INET;
        addrs[i].sin_port = htons(ports[i]);
        ::inet_pton(AF_INET, host.c_str(), &addrs[i].sin_addr);
    }
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<Slot> slots(static_cast<std::size_t>(concurrency));
    LoadResult r;
    std::size_t next_port = 0;
    auto open_slot = [&](std::size_t i) {
        Slot& s = slots[i];
        s = Slot{};
        s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const sockaddr_in& addr = addrs[next_port++ % addrs.size()];
        if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
            errno != EINPROGRESS) {
            ++r.failed;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
    };
    auto finish = [&](std::size_t i, bool ok) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, slots[i].fd, nullptr);
        ::close(slots[i].fd);
        (ok ? r.done : r.failed)++;
    };
    auto start = Clock::now();
    auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (std::size_t i = 0; i < slots.size(); ++i)
        open_slot(i);
    std::vector<epoll_event> events(static_cast<std::size_t>(concurrency));
    char buf[65536];
    bool stopping = false;
    std::size_t open = slots.size();
    auto again = [&](std::size_t i, bool ok) {
        finish(i, ok);
        if (stopping)
            --open;
        else
            open_slot(i);
    };
    while (open > 0) {
        if (!stopping && Clock::now() >= end) stopping = true;
        int n = ::epoll_wait(ep, events.data(), concurrency, 100);
        for (int k = 0; k < n; ++k) {
            std::size_t i = events[static_cast<std::size_t>(k)].data.u64;
            Slot& s = slots[i];
            std::uint32_t e = events[static_cast<std::size_t>(k)].events;
            if (!s.sent && (e & EPOLLOUT)) {
                ssize_t w = ::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL);
                if (w != static_cast<ssize_t>(request.size())) {
                    again(i, false);
                    continue;
                }
                s.sent = true;
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u64 = i;
                ::epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev);
            }
            if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                bool closed = false;
                for (;;) {
                    ssize_t got = ::recv(s.fd, buf, sizeof buf, 0);
                    if (got > 0) {
                        if (std::memchr(buf, '\n', static_cast<std::size_t>(got))) s.newline = true;
                        continue;
                    }
                    if (got < 0 && errno == EAGAIN) break;
                    closed = true;
                    break;
                }
                if (closed) again(i, s.newline);
            }
        }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(ep);
    return r;
}

}  // namespace p2p::test
