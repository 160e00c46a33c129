// Kqueue backend (BSD, macOS). Each fd has a read and a write filter; both are
// registered on add and toggled with EV_ENABLE/EV_DISABLE, so modify never
// has to know the previous interest. Level-triggered (no EV_CLEAR), matching
// the epoll backend. On Linux this file is built only into the poller tests,
// against the kqueue()/kevent() double in tests/kqueue_double.
#include <errno.h>
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "core/invariant.h"
#include "platform/poller.h"

namespace p2p::platform {
namespace {

class KqueuePoller final : public Poller {
  public:
    KqueuePoller() : kq_(kqueue()) {
        // Not inherited across fork on BSD anyway; close-on-exec for the rest.
        if (kq_ >= 0) fcntl(kq_, F_SETFD, FD_CLOEXEC);
        events_.resize(kInitialEvents);
    }
    ~KqueuePoller() override {
        if (kq_ >= 0) ::close(kq_);
    }

    bool ok() const { return kq_ >= 0; }

    bool add(int fd, std::uint32_t interest, void* data) override {
        if (!apply(fd, interest, data)) return false;
        track(fd);
        return true;
    }
    bool modify(int fd, std::uint32_t interest, void* data) override {
        return apply(fd, interest, data);
    }
    void remove(int fd) override {
        // One change per call: with no room for receipts, kevent stops at
        // the first failing change, and a filter may already be gone.
        struct kevent ch;
        EV_SET(&ch, fd, EVFILT_READ, EV_DELETE, 0, 0, nullptr);
        kevent(kq_, &ch, 1, nullptr, 0, nullptr);
        EV_SET(&ch, fd, EVFILT_WRITE, EV_DELETE, 0, 0, nullptr);
        kevent(kq_, &ch, 1, nullptr, 0, nullptr);
    }

    int wait(Ready* out, int max, int timeout_ms) override {
        if (max <= 0) return 0;
        // Up to two kevents (read + write) per fd; they are merged below.
        std::size_t want = static_cast<std::size_t>(max) * 2;
        if (want > events_.size()) events_.resize(want);
        timespec ts{};
        timespec* tsp = nullptr;
        if (timeout_ms >= 0) {
            ts.tv_sec = timeout_ms / 1000;
            ts.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
            tsp = &ts;
        }
        int n = kevent(kq_, nullptr, 0, events_.data(), static_cast<int>(want), tsp);
        if (n < 0) return 0;  // EINTR (a signal): the caller loops
        ++stamp_;
        int count = 0;
        for (int i = 0; i < n; ++i) {
            const struct kevent& ev = events_[i];
            if (ev.flags & EV_ERROR) continue;  // a failed change, not readiness
            std::uint32_t bits = 0;
            if (ev.filter == EVFILT_READ) bits |= kIoRead;
            if (ev.filter == EVFILT_WRITE) bits |= kIoWrite;
            // The handler learns EOF or the socket error by reading.
            if (ev.flags & EV_EOF) bits |= kIoHangup | kIoRead;
            int fd = static_cast<int>(ev.ident);
            int slot = slot_for(fd);
            if (slot >= 0) {
                P2P_ASSERT(slot < count);
                out[slot].events |= bits;
                continue;
            }
            if (count == max) continue;  // level-triggered: reported again next wait
            out[count].data = ev.udata;
            out[count].events = bits;
            remember(fd, count);
            ++count;
        }
        return count;
    }

    const char* name() const override { return "kqueue"; }

  private:
    static constexpr std::size_t kInitialEvents = 512;

    struct Seen {
        std::uint64_t stamp = 0;
        int slot = -1;
    };

    bool apply(int fd, std::uint32_t interest, void* data) {
        struct kevent ch[2];
        unsigned short rd = EV_ADD | ((interest & kIoRead) ? EV_ENABLE : EV_DISABLE);
        unsigned short wr = EV_ADD | ((interest & kIoWrite) ? EV_ENABLE : EV_DISABLE);
        EV_SET(&ch[0], fd, EVFILT_READ, rd, 0, 0, data);
        EV_SET(&ch[1], fd, EVFILT_WRITE, wr, 0, 0, data);
        return kevent(kq_, ch, 2, nullptr, 0, nullptr) == 0;
    }

    // Merging read and write kevents of one fd into one Ready entry uses a
    // per-fd stamp, sized when fds are added, so wait() never allocates.
    void track(int fd) {
        if (fd >= 0 && static_cast<std::size_t>(fd) >= seen_.size()) seen_.resize(fd + 1);
    }
    int slot_for(int fd) const {
        if (fd < 0 || static_cast<std::size_t>(fd) >= seen_.size()) return -1;
        return seen_[fd].stamp == stamp_ ? seen_[fd].slot : -1;
    }
    void remember(int fd, int slot) {
        if (fd < 0 || static_cast<std::size_t>(fd) >= seen_.size()) return;
        seen_[fd].stamp = stamp_;
        seen_[fd].slot = slot;
    }

    int kq_;
    std::vector<struct kevent> events_;
    std::vector<Seen> seen_;
    std::uint64_t stamp_ = 0;
};

}  // namespace

std::unique_ptr<Poller> make_kqueue_poller() {
    auto poller = std::make_unique<KqueuePoller>();
    if (!poller->ok()) return nullptr;
    return poller;
}

#if defined(P2P_POLLER_kqueue)
std::unique_ptr<Poller> make_default_poller() {
    return make_kqueue_poller();
}
#endif

}  // namespace p2p::platform
