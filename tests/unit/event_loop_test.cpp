// The reactor through its public interface: real pipes and loopback sockets,
// real signals (kill(getpid(), ...)), the real monotonic clock.
#include "platform/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "tests/support/alloc_counter.h"
#include "tests/support/loop_wait.h"

namespace p2p::platform {
namespace {

using test::run_until;

struct Pipe {
    int r = -1;
    int w = -1;
    Pipe() {
        int fds[2];
        EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        if (r >= 0) close(r);
        if (w >= 0) close(w);
    }
    void put(const char* s) { ASSERT_EQ(write(w, s, strlen(s)), static_cast<ssize_t>(strlen(s))); }
};

struct FnIo final : IoHandler {
    std::function<void(int, std::uint32_t)> fn;
    int calls = 0;
    void on_io(int fd, std::uint32_t ev) override {
        ++calls;
        if (fn) fn(fd, ev);
    }
};

struct Recorder final : TimerHandler {
    std::vector<std::uint64_t> fired;
    std::function<void(std::uint64_t)> fn;
    void on_timer(std::uint64_t tag) override {
        fired.push_back(tag);
        if (fn) fn(tag);
    }
};

TEST(SystemClock, MonotonicAndWall) {
    SystemClock c;
    MonoMs a = c.mono_ms();
    MonoMs b = c.mono_ms();
    EXPECT_LE(a, b);
    WallMs wall = c.wall_ms();
    WallMs expect = static_cast<WallMs>(std::time(nullptr)) * 1000;
    EXPECT_LT(std::llabs(wall - expect), 2000);
}

TEST(EventLoop, UsesTheBuildsBackend) {
    EventLoop loop;
    EXPECT_STREQ(loop.backend(), "epoll");
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
    EventLoop loop;
    Recorder r;
    loop.schedule_in(60, &r, 3);
    loop.schedule_in(20, &r, 1);
    loop.schedule_in(40, &r, 2);
    MonoMs start = loop.now();
    ASSERT_TRUE(run_until(loop, [&] { return r.fired.size() == 3; }));
    EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_GE(loop.now() - start, 60);
}

TEST(EventLoop, TimerIdsAreNonZeroAndCancelWorks) {
    EventLoop loop;
    Recorder r;
    TimerId a = loop.schedule_in(10, &r, 1);
    TimerId b = loop.schedule_in(10, &r, 2);
    EXPECT_NE(a, 0u);
    EXPECT_NE(a, b);
    loop.cancel(b);
    loop.cancel(b);  // twice is harmless
    loop.cancel(0);  // and so is the invalid id
    ASSERT_TRUE(run_until(loop, [&] { return !r.fired.empty(); }));
    loop.run_once(40);
    EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{1}));
}

TEST(EventLoop, TimerCancelsAnotherFromItsHandler) {
    EventLoop loop;
    Recorder r;
    TimerId victim = 0;
    MonoMs at = loop.now() + 10;
    r.fn = [&](std::uint64_t tag) {
        if (tag == 1) loop.cancel(victim);
    };
    loop.schedule_at(at, &r, 1);
    victim = loop.schedule_at(at, &r, 2);  // same deadline, scheduled later: fires after 1
    ASSERT_TRUE(run_until(loop, [&] { return !r.fired.empty(); }));
    loop.run_once(30);
    EXPECT_EQ(r.fired, (std::vector<std::uint64_t>{1}));
}

TEST(EventLoop, TimerRescheduledForNowWaitsOneIterationSoIoIsNotStarved) {
    EventLoop loop;
    Pipe p;
    FnIo io;
    ASSERT_TRUE(loop.watch(p.r, kIoRead, &io));
    p.put("x");
    Recorder r;
    r.fn = [&](std::uint64_t) { loop.schedule_in(0, &r, 0); };  // a busy re-arming timer
    loop.schedule_in(0, &r, 0);
    int iterations = 0;
    while (io.calls == 0 && iterations < 50) {
        loop.run_once(10);
        ++iterations;
    }
    EXPECT_GE(io.calls, 1);
    EXPECT_LE(r.fired.size(), static_cast<std::size_t>(iterations));
    loop.unwatch(p.r);
}

TEST(EventLoop, DispatchesReadinessWithTheFd) {
    EventLoop loop;
    Pipe p;
    FnIo io;
    int got_fd = -1;
    std::uint32_t got_ev = 0;
    io.fn = [&](int fd, std::uint32_t ev) {
        got_fd = fd;
        got_ev = ev;
        char buf[8];
        ASSERT_EQ(read(fd, buf, sizeof buf), 2);
    };
    ASSERT_TRUE(loop.watch(p.r, kIoRead, &io));
    EXPECT_FALSE(loop.watch(p.r, kIoRead, &io)) << "second watch of one fd must fail";
    loop.run_once(0);
    EXPECT_EQ(io.calls, 0);
    p.put("hi");
    ASSERT_TRUE(run_until(loop, [&] { return io.calls == 1; }));
    EXPECT_EQ(got_fd, p.r);
    EXPECT_EQ(got_ev, static_cast<std::uint32_t>(kIoRead));
    loop.unwatch(p.r);
}

TEST(EventLoop, RewatchChangesInterestAndHandler) {
    EventLoop loop;
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    FnIo first, second;
    std::uint32_t seen = 0;
    second.fn = [&](int, std::uint32_t ev) { seen |= ev; };
    ASSERT_TRUE(loop.watch(sv[0], kIoRead, &first));
    loop.run_once(20);
    EXPECT_EQ(first.calls, 0);  // writable, but not asked
    ASSERT_TRUE(loop.rewatch(sv[0], kIoWrite, &second));
    ASSERT_TRUE(run_until(loop, [&] { return second.calls > 0; }));
    EXPECT_EQ(first.calls, 0);
    EXPECT_EQ(seen, static_cast<std::uint32_t>(kIoWrite));
    EXPECT_FALSE(loop.rewatch(sv[1], kIoRead, &second)) << "rewatch needs a watched fd";
    loop.unwatch(sv[0]);
    close(sv[0]);
    close(sv[1]);
}

TEST(EventLoop, HangupIsDeliveredAsHangupAndRead) {
    EventLoop loop;
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    FnIo io;
    std::uint32_t seen = 0;
    io.fn = [&](int fd, std::uint32_t ev) {
        seen = ev;
        loop.unwatch(fd);
    };
    ASSERT_TRUE(loop.watch(sv[0], kIoRead, &io));
    close(sv[1]);
    ASSERT_TRUE(run_until(loop, [&] { return io.calls > 0; }));
    EXPECT_TRUE(seen & kIoHangup);
    EXPECT_TRUE(seen & kIoRead);
    close(sv[0]);
}

// Two ready fds; whichever handler runs first unwatches and closes the other.
// The other's event from the same wait must not be delivered.
TEST(EventLoop, UnwatchFromAHandlerDropsTheOthersPendingEvent) {
    EventLoop loop;
    Pipe a, b;
    FnIo ha, hb;
    bool closed_a = false, closed_b = false;
    ha.fn = [&](int, std::uint32_t) {
        loop.unwatch(b.r);
        close(b.r);
        b.r = -1;
        closed_b = true;
    };
    hb.fn = [&](int, std::uint32_t) {
        loop.unwatch(a.r);
        close(a.r);
        a.r = -1;
        closed_a = true;
    };
    ASSERT_TRUE(loop.watch(a.r, kIoRead, &ha));
    ASSERT_TRUE(loop.watch(b.r, kIoRead, &hb));
    a.put("1");
    b.put("2");
    // Both pipes are ready before the loop looks, so one wait sees both.
    loop.run_once(1000);
    EXPECT_EQ(ha.calls + hb.calls, 1);
    EXPECT_TRUE(closed_a != closed_b);
    if (a.r >= 0) loop.unwatch(a.r);
    if (b.r >= 0) loop.unwatch(b.r);
}

// As above, but the closed fd's number is immediately reused for a new,
// empty pipe with another handler: the stale event must not reach it.
TEST(EventLoop, StaleEventNeverReachesANewOwnerOfTheFdNumber) {
    EventLoop loop;
    Pipe a, b;
    Pipe fresh;
    FnIo ha, hb, newcomer;
    auto replace = [&](Pipe& victim) {
        int number = victim.r;
        loop.unwatch(number);
        ASSERT_EQ(dup2(fresh.r, number), number);  // closes the victim, reuses its number
        ASSERT_TRUE(loop.watch(number, kIoRead, &newcomer));
    };
    auto drain = [](int fd) {
        char buf[8];
        while (read(fd, buf, sizeof buf) > 0) {
        }
    };
    ha.fn = [&](int fd, std::uint32_t) {
        drain(fd);
        if (hb.calls == 0) replace(b);
    };
    hb.fn = [&](int fd, std::uint32_t) {
        drain(fd);
        if (ha.calls == 0) replace(a);
    };
    ASSERT_TRUE(loop.watch(a.r, kIoRead, &ha));
    ASSERT_TRUE(loop.watch(b.r, kIoRead, &hb));
    a.put("1");
    b.put("2");
    loop.run_once(1000);
    EXPECT_EQ(ha.calls + hb.calls, 1);
    EXPECT_EQ(newcomer.calls, 0);
    // The newcomer does get real events afterwards.
    fresh.put("3");
    ASSERT_TRUE(run_until(loop, [&] { return newcomer.calls > 0; }));
    loop.unwatch(a.r);
    loop.unwatch(b.r);
}

TEST(EventLoop, HandlerMayUnwatchItselfAndCancelTimers) {
    EventLoop loop;
    Pipe p;
    Recorder r;
    TimerId t = loop.schedule_in(30, &r, 9);
    FnIo io;
    io.fn = [&](int fd, std::uint32_t) {
        loop.unwatch(fd);
        loop.cancel(t);
    };
    ASSERT_TRUE(loop.watch(p.r, kIoRead, &io));
    p.put("x");
    ASSERT_TRUE(run_until(loop, [&] { return io.calls == 1; }));
    loop.run_once(60);
    loop.run_once(0);
    EXPECT_EQ(io.calls, 1);  // unwatched: the unread byte no longer wakes it
    EXPECT_TRUE(r.fired.empty());
}

TEST(EventLoop, BeforeSleepHooksRunEveryIteration) {
    EventLoop loop;
    int hook_runs = 0;
    std::vector<std::string> order;
    loop.add_before_sleep([&] {
        ++hook_runs;
        order.push_back("hook");
    });
    Recorder r;
    r.fn = [&](std::uint64_t) { order.push_back("timer"); };
    loop.schedule_in(0, &r, 1);
    loop.run_once(0);
    loop.run_once(0);
    EXPECT_EQ(hook_runs, 2);
    ASSERT_GE(order.size(), 2u);
    EXPECT_EQ(order[0], "hook");  // the hook runs before the loop may sleep
}

TEST(EventLoop, RunOnceWaitsAtMostMaxWait) {
    EventLoop loop;
    MonoMs start = loop.now();
    loop.run_once(50);
    MonoMs took = loop.now() - start;
    EXPECT_GE(took, 45);
    EXPECT_LT(took, 3000);
}

TEST(EventLoop, RunOnceWakesEarlyForTheNextTimer) {
    EventLoop loop;
    Recorder r;
    loop.schedule_in(30, &r, 1);
    MonoMs start = loop.now();
    loop.run_once(10000);
    if (r.fired.empty()) loop.run_once(10000);  // woke a millisecond early
    EXPECT_EQ(r.fired.size(), 1u);
    EXPECT_LT(loop.now() - start, 3000);
}

TEST(EventLoop, StopFromATimerEndsRunAndRunCanBeCalledAgain) {
    EventLoop loop;
    Recorder r;
    r.fn = [&](std::uint64_t) { loop.stop(); };
    loop.schedule_in(10, &r, 1);
    loop.run();
    EXPECT_EQ(r.fired.size(), 1u);
    loop.schedule_in(10, &r, 2);
    loop.run();
    EXPECT_EQ(r.fired.size(), 2u);
}

// Timers scheduled, fired and cancelled, fds becoming ready, hooks running:
// after a warm-up, none of it allocates.
TEST(EventLoop, SteadyStateDoesNotAllocate) {
    EventLoop loop;
    Pipe p;
    struct Echo final : IoHandler {
        int calls = 0;
        void on_io(int fd, std::uint32_t) override {
            char buf[16];
            while (read(fd, buf, sizeof buf) > 0) {
            }
            ++calls;
        }
    } io;
    struct Count final : TimerHandler {
        int fired = 0;
        void on_timer(std::uint64_t) override { ++fired; }
    } timers;
    int hooks = 0;
    loop.add_before_sleep([&] { ++hooks; });
    ASSERT_TRUE(loop.watch(p.r, kIoRead, &io));
    auto round = [&] {
        for (int i = 0; i < 50; ++i)
            loop.cancel(loop.schedule_in(1000, &timers, 1));
        for (int i = 0; i < 50; ++i)
            loop.schedule_in(0, &timers, 2);
        ASSERT_EQ(write(p.w, "x", 1), 1);
        loop.run_once(100);
        loop.run_once(0);
    };
    for (int i = 0; i < 20; ++i)
        round();  // warm-up: containers reach working size
    long before = p2p::test::allocations();
    int fired_before = timers.fired;
    for (int i = 0; i < 200; ++i)
        round();
    EXPECT_EQ(p2p::test::allocations() - before, 0);
    EXPECT_EQ(timers.fired - fired_before, 200 * 50);
    EXPECT_GE(io.calls, 200);
    loop.unwatch(p.r);
}

void expect_disposition(int signo, void (*want)(int)) {
    struct sigaction cur {};
    ASSERT_EQ(sigaction(signo, nullptr, &cur), 0);
    EXPECT_EQ(cur.sa_handler, want) << "signal " << signo;
}

TEST(EventLoop, SigtermAndSigintArriveInsideTheLoop) {
    std::vector<int> got;
    {
        EventLoop loop;
        loop.on_signal([&](int signo) { got.push_back(signo); });
        ASSERT_EQ(kill(getpid(), SIGTERM), 0);
        ASSERT_TRUE(run_until(loop, [&] { return got.size() == 1; }));
        ASSERT_EQ(kill(getpid(), SIGINT), 0);
        ASSERT_TRUE(run_until(loop, [&] { return got.size() == 2; }));
        EXPECT_EQ(got, (std::vector<int>{SIGTERM, SIGINT}));
    }
    // The loop gives the signals back when it goes away.
    expect_disposition(SIGTERM, SIG_DFL);
    expect_disposition(SIGINT, SIG_DFL);
}

// SIGHUP (the terminal closed, or a service's reload) and SIGUSR1 (a stats
// line) would kill the process by default; the loop delivers them instead.
TEST(EventLoop, SighupAndSigusr1ArriveInsideTheLoop) {
    std::vector<int> got;
    {
        EventLoop loop;
        loop.on_signal([&](int signo) { got.push_back(signo); });
        ASSERT_EQ(kill(getpid(), SIGHUP), 0);
        ASSERT_TRUE(run_until(loop, [&] { return got.size() == 1; }));
        ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
        ASSERT_TRUE(run_until(loop, [&] { return got.size() == 2; }));
        EXPECT_EQ(got, (std::vector<int>{SIGHUP, SIGUSR1}));
    }
    expect_disposition(SIGHUP, SIG_DFL);
    expect_disposition(SIGUSR1, SIG_DFL);
}

TEST(EventLoop, SignalStopsRun) {
    EventLoop loop;
    loop.on_signal([&](int) { loop.stop(); });
    Recorder r;
    r.fn = [&](std::uint64_t) { kill(getpid(), SIGTERM); };
    loop.schedule_in(5, &r, 1);
    loop.run();  // returns only through the signal handler
    EXPECT_EQ(r.fired.size(), 1u);
}

TEST(EventLoop, SigpipeIsIgnored) {
    EventLoop loop;
    expect_disposition(SIGPIPE, SIG_IGN);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    // With SIGPIPE at its default this write would kill the test process.
    EXPECT_EQ(write(sv[0], "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
    close(sv[0]);
}

}  // namespace
}  // namespace p2p::platform
