// The readiness backend, Redis-ae style: a handful of calls, one file per OS.
// epoll on Linux (poller_epoll.cpp), kqueue on BSD/macOS (poller_kqueue.cpp).
#pragma once
#include <cstdint>
#include <memory>

namespace p2p::platform {

enum IoEvent : std::uint32_t {
    kIoRead = 1u << 0,
    kIoWrite = 1u << 1,
    kIoHangup = 1u << 2,  // reported only: peer closed or error; read to learn which
};

class Poller {
  public:
    struct Ready {
        void* data;
        std::uint32_t events;
    };
    virtual ~Poller() = default;
    // interest is kIoRead|kIoWrite. `data` comes back in Ready.
    virtual bool add(int fd, std::uint32_t interest, void* data) = 0;
    virtual bool modify(int fd, std::uint32_t interest, void* data) = 0;
    virtual void remove(int fd) = 0;
    // Waits up to timeout_ms (-1 forever). Returns ready count, 0 on timeout or EINTR.
    virtual int wait(Ready* out, int max, int timeout_ms) = 0;
    virtual const char* name() const = 0;
};

std::unique_ptr<Poller> make_epoll_poller();    // Linux only
std::unique_ptr<Poller> make_kqueue_poller();   // BSD/macOS, or Linux tests with the kqueue double
std::unique_ptr<Poller> make_default_poller();  // the backend CMake selected

}  // namespace p2p::platform
