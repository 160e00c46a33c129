// One turn of the loop (run_once), in this order, as Redis' aeProcessEvents does:
//   1. hooks    every before-sleep hook (queued writes are flushed here, coalesced:
//               PeerLinks gathers each marked link's queue into one writev);
//   2. wait     Poller::wait, at most until the earliest timer (0 when stopping);
//   3. I/O      each ready fd's handler, looked up afresh per event (an earlier
//               handler may have closed it) and given only the interest it still has;
//   4. timers   those due now and scheduled before this phase began: one that a timer
//               callback of this phase sets "for now" waits for the next turn, so a
//               re-arming timer cannot starve I/O.
#include "platform/event_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/timer_queue.h"

namespace p2p::platform {

MonoMs SystemClock::mono_ms() const {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<MonoMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

WallMs SystemClock::wall_ms() const {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<WallMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {

// The signals a loop takes over: stop (INT, TERM), hangup (HUP: the terminal
// went away, or a service's "reopen and reload") and USR1 (a stats line).
// Without a handler SIGHUP and SIGUSR1 would kill the process (exit 129/138).
constexpr int kLoopSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};

// Write end of the self-pipe of the loop that owns the signals (the one
// that most recently called on_signal), or -1. Read from the handler.
std::atomic<int> g_signal_write_fd{-1};

extern "C" void on_process_signal(int signo) {
    int saved = errno;
    int fd = g_signal_write_fd.load(std::memory_order_relaxed);
    if (fd >= 0) {
        unsigned char b = static_cast<unsigned char>(signo);
        // Non-blocking: if the pipe is full, enough signals are pending already.
        ssize_t r = ::write(fd, &b, 1);
        (void)r;
    }
    errno = saved;
}

void ignore_sigpipe() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, nullptr);
}

void set_handler(int signo, void (*fn)(int)) {
    struct sigaction sa {};
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(signo, &sa, nullptr);
}

bool make_pipe(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0;
#else
    if (pipe(fds) != 0) return false;
    for (int i = 0; i < 2; ++i) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return true;
#endif
}

constexpr int kMaxReadyPerWait = 256;
constexpr std::size_t kTimerReserve = 1024;

}  // namespace

struct EventLoop::Impl final : IoHandler {
    struct FdEntry {
        IoHandler* handler = nullptr;
        std::uint32_t interest = 0;
        // Iteration in which watch() registered this fd. Events gathered by
        // that iteration's wait() predate the registration and belong to a
        // previous owner of the fd number, so they are dropped.
        std::uint64_t watched_in = 0;
    };

    explicit Impl(std::unique_ptr<Poller> p) : poller(std::move(p)), timers(kTimerReserve) {
        ready.resize(kMaxReadyPerWait);
    }

    // The self-pipe's read end.
    void on_io(int fd, std::uint32_t) override {
        unsigned char buf[64];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) break;
            for (ssize_t i = 0; i < n; ++i) {
                if (signal_handler) signal_handler(buf[i]);
            }
        }
    }

    FdEntry* entry(int fd) {
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds.size()) return nullptr;
        FdEntry* e = &fds[fd];
        return e->handler ? e : nullptr;
    }
    const FdEntry* entry(int fd) const { return const_cast<Impl*>(this)->entry(fd); }

    std::unique_ptr<Poller> poller;
    TimerQueue timers;
    std::vector<FdEntry> fds;
    std::vector<Poller::Ready> ready;
    std::vector<std::function<void()>> before_sleep;
    std::function<void(int)> signal_handler;
    int signal_pipe[2] = {-1, -1};
    std::uint64_t iteration = 0;
    bool stopping = false;
};

EventLoop::EventLoop(std::unique_ptr<Poller> poller) {
    if (!poller) {
        throw std::runtime_error(std::string("cannot create the poller: ") + std::strerror(errno));
    }
    impl_ = std::make_unique<Impl>(std::move(poller));
    ignore_sigpipe();
}

EventLoop::~EventLoop() {
    if (impl_->signal_pipe[1] >= 0) {
        int mine = impl_->signal_pipe[1];
        // Give the signals back to the default only if no newer loop took them.
        if (g_signal_write_fd.compare_exchange_strong(mine, -1)) {
            for (int signo : kLoopSignals)
                set_handler(signo, SIG_DFL);
        }
        unwatch(impl_->signal_pipe[0]);
        ::close(impl_->signal_pipe[0]);
        ::close(impl_->signal_pipe[1]);
    }
}

bool EventLoop::watch(int fd, std::uint32_t interest, IoHandler* handler) {
    if (fd < 0 || !handler) return false;
    if (static_cast<std::size_t>(fd) >= impl_->fds.size()) impl_->fds.resize(fd + 1);
    Impl::FdEntry& e = impl_->fds[fd];
    if (e.handler) return false;  // already watched: use rewatch
    void* data = reinterpret_cast<void*>(static_cast<std::intptr_t>(fd));
    if (!impl_->poller->add(fd, interest & (kIoRead | kIoWrite), data)) return false;
    e.handler = handler;
    e.interest = interest;
    e.watched_in = impl_->iteration;
    return true;
}

bool EventLoop::rewatch(int fd, std::uint32_t interest, IoHandler* handler) {
    Impl::FdEntry* e = impl_->entry(fd);
    if (!e || !handler) return false;
    if (e->interest != interest) {
        void* data = reinterpret_cast<void*>(static_cast<std::intptr_t>(fd));
        if (!impl_->poller->modify(fd, interest & (kIoRead | kIoWrite), data)) return false;
        e->interest = interest;
    }
    e->handler = handler;
    return true;
}

void EventLoop::unwatch(int fd) {
    Impl::FdEntry* e = impl_->entry(fd);
    if (!e) return;
    impl_->poller->remove(fd);
    *e = Impl::FdEntry{};
}

std::uint32_t EventLoop::watched_interest(int fd) const {
    const Impl::FdEntry* e = impl_->entry(fd);
    return e ? e->interest : 0;
}

TimerId EventLoop::schedule_at(MonoMs deadline, TimerHandler* handler, std::uint64_t tag) {
    return impl_->timers.push(deadline, handler, tag);
}

TimerId EventLoop::schedule_in(MonoMs delay, TimerHandler* handler, std::uint64_t tag) {
    return schedule_at(now() + (delay > 0 ? delay : 0), handler, tag);
}

void EventLoop::cancel(TimerId id) {
    impl_->timers.cancel(id);
}

void EventLoop::add_before_sleep(std::function<void()> hook) {
    impl_->before_sleep.push_back(std::move(hook));
}

void EventLoop::on_signal(std::function<void(int signo)> handler) {
    impl_->signal_handler = std::move(handler);
    if (impl_->signal_pipe[0] < 0) {
        if (!make_pipe(impl_->signal_pipe)) {
            throw std::runtime_error(std::string("cannot create the signal pipe: ") +
                                     std::strerror(errno));
        }
        watch(impl_->signal_pipe[0], kIoRead, impl_.get());
    }
    g_signal_write_fd.store(impl_->signal_pipe[1]);
    for (int signo : kLoopSignals)
        set_handler(signo, on_process_signal);
}

void EventLoop::run() {
    while (!impl_->stopping)
        run_once(-1);
    impl_->stopping = false;  // so the loop can be run again
}

void EventLoop::stop() {
    impl_->stopping = true;
}

void EventLoop::run_once(int max_wait_ms) {
    Impl& im = *impl_;
    // Hooks may add hooks; those run from the next iteration.
    for (std::size_t i = 0, n = im.before_sleep.size(); i < n; ++i)
        im.before_sleep[i]();

    int timeout = max_wait_ms;
    MonoMs next;
    if (im.stopping) {
        timeout = 0;
    } else if (im.timers.next_deadline(next)) {
        MonoMs until = next - now();
        int t = until <= 0 ? 0 : (until > 0x7fffffff ? 0x7fffffff : static_cast<int>(until));
        if (timeout < 0 || t < timeout) timeout = t;
    }

    int n = im.poller->wait(im.ready.data(), static_cast<int>(im.ready.size()), timeout);
    ++im.iteration;
    for (int i = 0; i < n; ++i) {
        int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(im.ready[i].data));
        // Looked up afresh for every event: an earlier handler in this batch
        // may have unwatched (and closed) this fd, or a new one reused its number.
        Impl::FdEntry* e = im.entry(fd);
        if (!e || e->watched_in == im.iteration) continue;
        std::uint32_t events = im.ready[i].events;
        // Only what the handler still asks for (plus hangup), in case an
        // earlier handler changed the interest.
        std::uint32_t keep = e->interest | kIoHangup;
        if (events & kIoHangup) keep |= kIoRead;  // hangup is learned by reading
        events &= keep;
        if (events) e->handler->on_io(fd, events);
    }

    // Fire what is due now, but not timers scheduled by these very handlers
    // for "now": those wait for the next iteration so I/O is not starved.
    MonoMs t = now();
    std::uint64_t limit = im.timers.next_seq();
    TimerQueue::Entry due;
    while (im.timers.pop_due(t, due, limit)) {
        static_cast<TimerHandler*>(due.handler)->on_timer(due.tag);
    }
}

const char* EventLoop::backend() const {
    return impl_->poller->name();
}

}  // namespace p2p::platform
