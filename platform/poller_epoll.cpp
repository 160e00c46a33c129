// Epoll backend (Linux). Level-triggered, like the kqueue backend, so a
// handler that leaves bytes unread is simply woken again.
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "platform/poller.h"

namespace p2p::platform {
namespace {

std::uint32_t to_epoll(std::uint32_t interest) {
    std::uint32_t ev = 0;
    // RDHUP only with read interest: a link that paused reading must not be
    // woken over and over by a half-close it is not ready to consume.
    if (interest & kIoRead) ev |= EPOLLIN | EPOLLRDHUP;
    if (interest & kIoWrite) ev |= EPOLLOUT;
    return ev;
}

std::uint32_t from_epoll(std::uint32_t ev) {
    std::uint32_t out = 0;
    if (ev & EPOLLIN) out |= kIoRead;
    if (ev & EPOLLOUT) out |= kIoWrite;
    // The handler learns EOF or the socket error by reading.
    if (ev & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) out |= kIoHangup | kIoRead;
    return out;
}

class EpollPoller final : public Poller {
  public:
    EpollPoller() : epfd_(epoll_create1(EPOLL_CLOEXEC)) { events_.resize(kInitialEvents); }
    ~EpollPoller() override {
        if (epfd_ >= 0) ::close(epfd_);
    }

    bool ok() const { return epfd_ >= 0; }

    bool add(int fd, std::uint32_t interest, void* data) override {
        return ctl(EPOLL_CTL_ADD, fd, interest, data);
    }
    bool modify(int fd, std::uint32_t interest, void* data) override {
        return ctl(EPOLL_CTL_MOD, fd, interest, data);
    }
    void remove(int fd) override {
        epoll_event ev{};  // non-null for kernels before 2.6.9
        epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
    }

    int wait(Ready* out, int max, int timeout_ms) override {
        if (max <= 0) return 0;
        // Grows only when a caller asks for a bigger batch than ever before.
        if (static_cast<std::size_t>(max) > events_.size()) events_.resize(max);
        int n = epoll_wait(epfd_, events_.data(), max, timeout_ms);
        if (n < 0) return 0;  // EINTR (a signal): the caller loops
        for (int i = 0; i < n; ++i) {
            out[i].data = events_[i].data.ptr;
            out[i].events = from_epoll(events_[i].events);
        }
        return n;
    }

    const char* name() const override { return "epoll"; }

  private:
    static constexpr std::size_t kInitialEvents = 256;

    bool ctl(int op, int fd, std::uint32_t interest, void* data) {
        epoll_event ev{};
        ev.events = to_epoll(interest);
        ev.data.ptr = data;
        return epoll_ctl(epfd_, op, fd, &ev) == 0;
    }

    int epfd_;
    std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<Poller> make_epoll_poller() {
    auto poller = std::make_unique<EpollPoller>();
    if (!poller->ok()) return nullptr;
    return poller;
}

#if defined(P2P_POLLER_epoll)
std::unique_ptr<Poller> make_default_poller() {
    return make_epoll_poller();
}
#endif

}  // namespace p2p::platform
