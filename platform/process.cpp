#include "platform/process.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#if defined(__linux__)
#include <sys/random.h>
#endif
#if defined(__APPLE__)
#include <limits.h>
#endif

namespace p2p::platform {

long raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if (rl.rlim_cur != rl.rlim_max) {
        rlimit want = rl;
        want.rlim_cur = rl.rlim_max;
#if defined(__APPLE__)
        // macOS rejects RLIM_INFINITY here; OPEN_MAX is the real ceiling.
        if (want.rlim_cur == RLIM_INFINITY || want.rlim_cur > OPEN_MAX) want.rlim_cur = OPEN_MAX;
#endif
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
    }
    if (rl.rlim_cur == RLIM_INFINITY) return 0x7fffffffL;
    return static_cast<long>(rl.rlim_cur);
}

long current_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if (rl.rlim_cur == RLIM_INFINITY) return 0x7fffffffL;
    return static_cast<long>(rl.rlim_cur);
}

std::uint64_t random_seed() {
    std::uint64_t seed = 0;
#if defined(__linux__)
    // GRND_NONBLOCK: early at boot on a board without entropy yet, a
    // time-based seed beats hanging the start-up.
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof seed)) {
        return seed;
    }
#endif
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = (static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
            static_cast<std::uint64_t>(ts.tv_nsec)) ^
           (static_cast<std::uint64_t>(getpid()) << 32);
    return seed;
}

long rss_kib() {
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    unsigned long size = 0, resident = 0;
    if (std::sscanf(buf, "%lu %lu", &size, &resident) != 2) return -1;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return -1;
    return static_cast<long>(resident * static_cast<unsigned long>(page) / 1024);
}

}  // namespace p2p::platform
