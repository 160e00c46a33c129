// The poller contract, built twice: against the epoll backend and against the
// kqueue backend (on Linux, over the kqueue()/kevent() double). Every test
// goes through the Poller interface only, over real loopback TCP sockets.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <vector>

#include "platform/poller.h"

namespace p2p::platform {
namespace {

std::unique_ptr<Poller> make_backend() {
#if defined(P2P_TEST_BACKEND_KQUEUE)
    return make_kqueue_poller();
#elif defined(P2P_TEST_BACKEND_EPOLL)
    return make_epoll_poller();
#else
#error "build with P2P_TEST_BACKEND_EPOLL or P2P_TEST_BACKEND_KQUEUE"
#endif
}

long long mono_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// A connected pair of loopback TCP sockets, both non-blocking.
struct TcpPair {
    int a = -1;
    int b = -1;
    TcpPair() {
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        EXPECT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        EXPECT_EQ(listen(lfd, 4), 0);
        EXPECT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
        a = socket(AF_INET, SOCK_STREAM, 0);
        EXPECT_EQ(connect(a, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        b = accept(lfd, nullptr, nullptr);
        close(lfd);
        nonblock(a);
        nonblock(b);
    }
    ~TcpPair() {
        if (a >= 0) close(a);
        if (b >= 0) close(b);
    }
    TcpPair(const TcpPair&) = delete;
    TcpPair& operator=(const TcpPair&) = delete;
};

// Everything reported within `ms`, OR-ed per data pointer (the contract is one
// entry per fd per wait, but a wait may end before every fd is ready).
std::map<void*, std::uint32_t> collect(Poller& p, int ms, std::size_t until_count = 0) {
    std::map<void*, std::uint32_t> seen;
    Poller::Ready ready[64];
    long long end = mono_ms() + ms;
    for (;;) {
        long long left = end - mono_ms();
        if (left < 0) break;
        int n = p.wait(ready, 64, static_cast<int>(left));
        for (int i = 0; i < n; ++i)
            seen[ready[i].data] |= ready[i].events;
        if (until_count && seen.size() >= until_count) break;
    }
    return seen;
}

// One suite name per backend, so ctest lists (and reports) them apart.
#if defined(P2P_TEST_BACKEND_KQUEUE)
#define PollerContract KqueuePollerContract
#else
#define PollerContract EpollPollerContract
#endif

void* tag(int i) {
    return reinterpret_cast<void*>(static_cast<std::intptr_t>(0x1000 + i));
}

class PollerContract : public ::testing::Test {
  protected:
    void SetUp() override {
        poller = make_backend();
        ASSERT_NE(poller, nullptr);
    }
    std::unique_ptr<Poller> poller;
};

TEST_F(PollerContract, ReportsItsName) {
#if defined(P2P_TEST_BACKEND_KQUEUE)
    EXPECT_STREQ(poller->name(), "kqueue");
#else
    EXPECT_STREQ(poller->name(), "epoll");
#endif
}

TEST_F(PollerContract, ReadableOnlyAfterDataArrives) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(1)));
    EXPECT_TRUE(collect(*poller, 30).empty());
    ASSERT_EQ(write(s.b, "hi", 2), 2);
    auto seen = collect(*poller, 2000, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[tag(1)] & (kIoRead | kIoWrite), kIoRead);
    EXPECT_FALSE(seen[tag(1)] & kIoHangup);
}

TEST_F(PollerContract, LevelTriggeredUntilDrained) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(1)));
    ASSERT_EQ(write(s.b, "abc", 3), 3);
    Poller::Ready r[4];
    ASSERT_EQ(poller->wait(r, 4, 2000), 1);
    ASSERT_EQ(poller->wait(r, 4, 2000), 1);  // still unread: reported again
    char buf[8];
    ASSERT_EQ(read(s.a, buf, sizeof buf), 3);
    EXPECT_EQ(poller->wait(r, 4, 20), 0);
}

TEST_F(PollerContract, WritableAndReadableMergedIntoOneEntry) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead | kIoWrite, tag(7)));
    ASSERT_EQ(write(s.b, "x", 1), 1);
    // Wait for the byte to be visible, then expect a single merged entry.
    auto seen = collect(*poller, 2000, 1);
    for (int tries = 0; tries < 200 && !(seen[tag(7)] & kIoRead); ++tries) {
        seen = collect(*poller, 10, 1);
    }
    Poller::Ready r[8];
    int n = poller->wait(r, 8, 2000);
    ASSERT_EQ(n, 1);
    EXPECT_EQ(r[0].data, tag(7));
    EXPECT_EQ(r[0].events & (kIoRead | kIoWrite), kIoRead | kIoWrite);
}

TEST_F(PollerContract, ModifyChangesInterest) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(1)));
    EXPECT_TRUE(collect(*poller, 30).empty());  // writable but not asked for

    ASSERT_TRUE(poller->modify(s.a, kIoWrite, tag(2)));
    auto seen = collect(*poller, 2000, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen.count(tag(2)), 1u) << "modify must replace the data pointer";
    EXPECT_EQ(seen[tag(2)], static_cast<std::uint32_t>(kIoWrite));

    ASSERT_EQ(write(s.b, "z", 1), 1);
    ASSERT_TRUE(poller->modify(s.a, 0, tag(3)));  // paused: nothing at all
    EXPECT_TRUE(collect(*poller, 50).empty());

    ASSERT_TRUE(poller->modify(s.a, kIoRead, tag(4)));
    seen = collect(*poller, 2000, 1);
    EXPECT_EQ(seen[tag(4)], static_cast<std::uint32_t>(kIoRead));
}

TEST_F(PollerContract, RemoveStopsReports) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead | kIoWrite, tag(1)));
    EXPECT_FALSE(collect(*poller, 2000, 1).empty());
    poller->remove(s.a);
    ASSERT_EQ(write(s.b, "q", 1), 1);
    EXPECT_TRUE(collect(*poller, 50).empty());
    // Removing twice, or an fd never added, is harmless.
    poller->remove(s.a);
    poller->remove(s.b);
    // And the fd can be added again.
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(2)));
    EXPECT_EQ(collect(*poller, 2000, 1)[tag(2)] & kIoRead, static_cast<std::uint32_t>(kIoRead));
}

TEST_F(PollerContract, AddFailsForBadFdAndDuplicate) {
    EXPECT_FALSE(poller->add(-1, kIoRead, tag(1)));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
    EXPECT_FALSE(poller->add(fds[0], kIoRead, tag(1)));  // closed
    EXPECT_FALSE(poller->modify(fds[0], kIoRead, tag(1)));
}

TEST_F(PollerContract, PeerCloseIsHangupPlusRead) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(1)));
    close(s.b);
    s.b = -1;
    auto seen = collect(*poller, 2000, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_TRUE(seen[tag(1)] & kIoHangup);
    EXPECT_TRUE(seen[tag(1)] & kIoRead);
    char c;
    EXPECT_EQ(read(s.a, &c, 1), 0);  // the handler learns EOF by reading
}

TEST_F(PollerContract, ResetIsHangupPlusReadEvenWhenOnlyWriting) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoWrite, tag(1)));
    EXPECT_FALSE(collect(*poller, 2000, 1).empty());
    linger lg{1, 0};  // close with RST
    ASSERT_EQ(setsockopt(s.b, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(s.b);
    s.b = -1;
    std::uint32_t ev = 0;
    long long end = mono_ms() + 2000;
    while (!(ev & kIoHangup) && mono_ms() < end)
        ev = collect(*poller, 20, 1)[tag(1)];
    EXPECT_TRUE(ev & kIoHangup);
    EXPECT_TRUE(ev & kIoRead);
    char c;
    EXPECT_EQ(read(s.a, &c, 1), -1);
    EXPECT_EQ(errno, ECONNRESET);
}

TEST_F(PollerContract, TimeoutReturnsZeroAfterTheWait) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(1)));
    Poller::Ready r[4];
    long long start = mono_ms();
    EXPECT_EQ(poller->wait(r, 4, 60), 0);
    long long took = mono_ms() - start;
    EXPECT_GE(took, 55);
    EXPECT_LT(took, 5000);
    EXPECT_EQ(poller->wait(r, 4, 0), 0);  // zero timeout polls
}

extern "C" void on_alarm(int) {}

TEST_F(PollerContract, SignalInterruptsWaitWithZero) {
    struct sigaction sa {
    }, old{};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(sigaction(SIGALRM, &sa, &old), 0);
    itimerval it{};
    it.it_value.tv_usec = 50 * 1000;
    ASSERT_EQ(setitimer(ITIMER_REAL, &it, nullptr), 0);
    Poller::Ready r[4];
    long long start = mono_ms();
    EXPECT_EQ(poller->wait(r, 4, 10000), 0);
    EXPECT_LT(mono_ms() - start, 5000);
    sigaction(SIGALRM, &old, nullptr);
}

TEST_F(PollerContract, ManyFdsOnlyTheReadyOnesReported) {
    constexpr int kPairs = 300;
    std::vector<std::unique_ptr<TcpPair>> pairs;
    for (int i = 0; i < kPairs; ++i) {
        pairs.push_back(std::make_unique<TcpPair>());
        ASSERT_TRUE(poller->add(pairs.back()->a, kIoRead, tag(i)));
    }
    int expected = 0;
    for (int i = 0; i < kPairs; i += 3) {
        ASSERT_EQ(write(pairs[i]->b, "m", 1), 1);
        ++expected;
    }
    // More ready fds than one wait returns: the rest come in later waits.
    auto seen = collect(*poller, 5000, static_cast<std::size_t>(expected));
    EXPECT_EQ(static_cast<int>(seen.size()), expected);
    for (int i = 0; i < kPairs; ++i) {
        bool want = i % 3 == 0;
        EXPECT_EQ(seen.count(tag(i)) == 1, want) << "pair " << i;
        if (want) {
            EXPECT_EQ(seen[tag(i)], static_cast<std::uint32_t>(kIoRead)) << "pair " << i;
        }
    }
}

TEST_F(PollerContract, FdNumberReusedAfterCloseWithoutRemove) {
    TcpPair s;
    ASSERT_TRUE(poller->add(s.a, kIoRead, tag(1)));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    int number = s.a;
    close(s.a);  // the kernel drops the registration with the last reference
    s.a = -1;
    // Put the pipe's read end on the very same fd number.
    ASSERT_EQ(dup2(fds[0], number), number);
    close(fds[0]);
    fds[0] = number;
    ASSERT_TRUE(poller->add(fds[0], kIoRead, tag(2)));
    ASSERT_EQ(write(fds[1], "p", 1), 1);
    auto seen = collect(*poller, 2000, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen.count(tag(2)), 1u);
    poller->remove(fds[0]);
    close(fds[0]);
    close(fds[1]);
}

#if defined(P2P_TEST_BACKEND_KQUEUE)
}  // namespace
}  // namespace p2p::platform

#include <sys/event.h>

namespace p2p::platform {
namespace {

// The double itself: the FreeBSD behaviours the backend relies on.
TEST(KqueueDouble, ChangeErrorsGoToTheEventListWhenThereIsRoom) {
    int kq = kqueue();
    ASSERT_GE(kq, 0);
    TcpPair s;
    struct kevent ch[2];
    EV_SET(&ch[0], s.a, EVFILT_READ, EV_DELETE, 0, 0, nullptr);  // never added
    EV_SET(&ch[1], s.a, EVFILT_WRITE, EV_ADD, 0, 0, tag(1));
    struct kevent out[4];
    ASSERT_EQ(kevent(kq, ch, 2, out, 4, nullptr), 1);  // returns at once with the error
    EXPECT_TRUE(out[0].flags & EV_ERROR);
    EXPECT_EQ(out[0].data, ENOENT);
    EXPECT_EQ(out[0].filter, EVFILT_READ);
    // The change after the failing one was still applied.
    timespec zero{};
    ASSERT_EQ(kevent(kq, nullptr, 0, out, 4, &zero), 1);
    EXPECT_EQ(out[0].filter, EVFILT_WRITE);
    EXPECT_EQ(out[0].udata, tag(1));
    close(kq);
}

TEST(KqueueDouble, WithoutRoomTheFirstErrorFailsTheCallAndStopsThere) {
    int kq = kqueue();
    ASSERT_GE(kq, 0);
    TcpPair s;
    struct kevent ch[2];
    EV_SET(&ch[0], s.a, EVFILT_WRITE, EV_DELETE, 0, 0, nullptr);
    EV_SET(&ch[1], s.a, EVFILT_WRITE, EV_ADD, 0, 0, tag(1));
    errno = 0;
    EXPECT_EQ(kevent(kq, ch, 2, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, ENOENT);
    struct kevent out[4];
    timespec wait{0, 20 * 1000 * 1000};
    EXPECT_EQ(kevent(kq, nullptr, 0, out, 4, &wait), 0) << "the add after the error must not apply";
    close(kq);
}

TEST(KqueueDouble, DisabledFiltersReportNothingEvenOnHangup) {
    int kq = kqueue();
    ASSERT_GE(kq, 0);
    TcpPair s;
    struct kevent ch[2];
    EV_SET(&ch[0], s.a, EVFILT_READ, EV_ADD | EV_DISABLE, 0, 0, nullptr);
    EV_SET(&ch[1], s.a, EVFILT_WRITE, EV_ADD | EV_DISABLE, 0, 0, nullptr);
    ASSERT_EQ(kevent(kq, ch, 2, nullptr, 0, nullptr), 0);
    close(s.b);
    s.b = -1;
    struct kevent out[4];
    timespec wait{0, 30 * 1000 * 1000};
    EXPECT_EQ(kevent(kq, nullptr, 0, out, 4, &wait), 0);
    EV_SET(&ch[0], s.a, EVFILT_READ, EV_ENABLE, 0, 0, tag(5));
    ASSERT_EQ(kevent(kq, ch, 1, nullptr, 0, nullptr), 0);
    ASSERT_EQ(kevent(kq, nullptr, 0, out, 4, &wait), 1);
    EXPECT_EQ(out[0].filter, EVFILT_READ);
    EXPECT_TRUE(out[0].flags & EV_EOF);
    close(kq);
}

TEST(KqueueDouble, BadFdIsEbadf) {
    int kq = kqueue();
    ASSERT_GE(kq, 0);
    struct kevent ch;
    EV_SET(&ch, 100000, EVFILT_READ, EV_ADD, 0, 0, nullptr);
    EXPECT_EQ(kevent(kq, &ch, 1, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, EBADF);
    close(kq);
    EXPECT_EQ(kevent(-1, nullptr, 0, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, EBADF);
}
#endif

}  // namespace
}  // namespace p2p::platform
