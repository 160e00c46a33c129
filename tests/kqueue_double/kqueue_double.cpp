// kqueue()/kevent() over epoll, so the kqueue poller backend compiles and runs
// on Linux. Models what the backend relies on:
//  - a change list applied in order; an error in a change goes to the event
//    list as EV_ERROR when there is room, else kevent() fails with that errno
//    and stops (as on FreeBSD);
//  - read and write filters per fd, each added, deleted, enabled, disabled;
//  - level-triggered readiness, one kevent per ready filter;
//  - EV_EOF on the read filter when the peer shut down writing (RDHUP), on
//    both filters on HUP/ERR; for reads, the bytes available in data.
//    fflags stays 0: BSD puts the pending socket error there, but reading it
//    on Linux (SO_ERROR) would clear it before the caller's read sees it.
// Not modelled: EV_CLEAR, EV_ONESHOT, other filters, automatic removal when
// an fd is closed (the double recovers when a closed fd's number is reused).
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/event.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace {

struct Filter {
    bool added = false;
    bool enabled = false;
    void* udata = nullptr;
};

struct Knote {
    Filter read;
    Filter write;
    bool in_epoll = false;
};

struct Queue {
    std::map<int, Knote> fds;
};

std::mutex g_mu;
std::map<int, Queue> g_queues;  // keyed by the epoll fd that plays the kqueue

std::uint32_t epoll_mask(const Knote& k) {
    std::uint32_t ev = 0;
    if (k.read.added && k.read.enabled) ev |= EPOLLIN | EPOLLRDHUP;
    if (k.write.added && k.write.enabled) ev |= EPOLLOUT;
    return ev;
}

// Brings the epoll registration in line with the knote. An fd with no enabled
// filter leaves epoll entirely, since epoll would still report HUP/ERR for it
// while kqueue reports nothing for disabled filters.
int sync_epoll(int epfd, int fd, Knote& k) {
    std::uint32_t mask = epoll_mask(k);
    epoll_event ev{};
    ev.events = mask;
    ev.data.fd = fd;
    if (mask == 0) {
        if (k.in_epoll) epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
        k.in_epoll = false;
        return 0;
    }
    int op = k.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(epfd, op, fd, &ev);
    // The fd was closed and its number reused since we last saw it: epoll
    // dropped it on close (as kqueue would), so start over.
    if (rc < 0 && errno == ENOENT && op == EPOLL_CTL_MOD) {
        rc = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    }
    if (rc < 0 && errno == EEXIST && op == EPOLL_CTL_ADD) {
        rc = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    if (rc < 0) return errno;
    k.in_epoll = true;
    return 0;
}

int apply_change(int epfd, Queue& q, const struct kevent& ch) {
    int fd = static_cast<int>(ch.ident);
    if (ch.filter != EVFILT_READ && ch.filter != EVFILT_WRITE) return EINVAL;
    if (fcntl(fd, F_GETFD) < 0) return EBADF;
    auto it = q.fds.find(fd);
    if (ch.flags & EV_DELETE) {
        if (it == q.fds.end()) return ENOENT;
        Filter& f = ch.filter == EVFILT_READ ? it->second.read : it->second.write;
        if (!f.added) return ENOENT;
        f = Filter{};
        int err = sync_epoll(epfd, fd, it->second);
        if (!it->second.read.added && !it->second.write.added) q.fds.erase(it);
        return err;
    }
    if (it == q.fds.end()) {
        if (!(ch.flags & EV_ADD)) return ENOENT;
        it = q.fds.emplace(fd, Knote{}).first;
    }
    Filter& f = ch.filter == EVFILT_READ ? it->second.read : it->second.write;
    if (!f.added && !(ch.flags & EV_ADD)) return ENOENT;
    if (ch.flags & EV_ADD) {
        if (!f.added) f.enabled = true;  // a new filter starts enabled
        f.added = true;
        f.udata = ch.udata;
    }
    if (ch.flags & EV_ENABLE) f.enabled = true;
    if (ch.flags & EV_DISABLE) f.enabled = false;
    return sync_epoll(epfd, fd, it->second);
}

}  // namespace

namespace {

int timeout_ms(const struct timespec* ts) {
    if (!ts) return -1;
    // Round up so a sub-millisecond timeout still sleeps instead of spinning.
    std::int64_t ms =
        static_cast<std::int64_t>(ts->tv_sec) * 1000 + (ts->tv_nsec + 999999) / 1000000;
    return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

intptr_t bytes_available(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0) return 0;
    return n;
}

}  // namespace

extern "C" int kqueue(void) {
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return -1;
    std::lock_guard<std::mutex> lock(g_mu);
    g_queues[epfd] = Queue{};  // a closed kqueue's number may be handed out again
    return epfd;
}

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout) {
    int placed = 0;
    {
        std::lock_guard<std::mutex> lock(g_mu);
        auto qit = g_queues.find(kq);
        if (qit == g_queues.end()) {
            errno = EBADF;
            return -1;
        }
        for (int i = 0; i < nchanges; ++i) {
            int err = apply_change(kq, qit->second, changelist[i]);
            if (err == 0) continue;
            if (placed < nevents) {
                eventlist[placed] = changelist[i];
                eventlist[placed].flags = EV_ERROR;
                eventlist[placed].data = err;
                ++placed;
                continue;
            }
            errno = err;
            return -1;
        }
    }
    // Errors reported in the event list make kevent return at once.
    if (placed > 0 || nevents <= 0) return placed;

    int max_epoll = nevents / 2 > 0 ? nevents / 2 : 1;
    std::vector<epoll_event> ready(static_cast<std::size_t>(max_epoll));
    int n = epoll_wait(kq, ready.data(), max_epoll, timeout_ms(timeout));
    if (n < 0) return -1;  // errno (EINTR) as the caller expects from kevent

    std::lock_guard<std::mutex> lock(g_mu);
    auto qit = g_queues.find(kq);
    if (qit == g_queues.end()) return 0;
    int out = 0;
    for (int i = 0; i < n && out < nevents; ++i) {
        int fd = ready[i].data.fd;
        std::uint32_t ev = ready[i].events;
        auto it = qit->second.fds.find(fd);
        if (it == qit->second.fds.end()) continue;
        const Knote& k = it->second;
        bool hup = ev & (EPOLLHUP | EPOLLERR);
        if (k.read.added && k.read.enabled && ((ev & (EPOLLIN | EPOLLRDHUP)) || hup)) {
            struct kevent& o = eventlist[out++];
            EV_SET(&o, fd, EVFILT_READ, 0, 0, bytes_available(fd), k.read.udata);
            if (hup || (ev & EPOLLRDHUP)) {
                o.flags |= EV_EOF;
            }
        }
        if (out < nevents && k.write.added && k.write.enabled && ((ev & EPOLLOUT) || hup)) {
            struct kevent& o = eventlist[out++];
            EV_SET(&o, fd, EVFILT_WRITE, 0, 0, 0, k.write.udata);
            if (hup) {
                o.flags |= EV_EOF;
            }
        }
    }
    return out;
}
