#include "platform/random.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#if defined(__linux__)
#include <sys/random.h>
#endif

namespace p2p::platform {

namespace {

[[maybe_unused]] bool read_urandom(std::uint8_t* out, std::size_t n) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, out + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    close(fd);
    return got == n;
}

}  // namespace

bool random_bytes(std::uint8_t* out, std::size_t n) {
#if defined(__linux__)
    std::size_t got = 0;
    while (got < n) {
        // Requests over 256 bytes may return short (a signal): loop.
        ssize_t r = getrandom(out + got, n - got, GRND_NONBLOCK);
        if (r > 0) {
            got += static_cast<std::size_t>(r);
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            // EAGAIN (pool not initialized yet) or ENOSYS (old kernel):
            // /dev/urandom never blocks (see random.h for the decision).
            return read_urandom(out + got, n - got);
        }
    }
    return true;
#else
    arc4random_buf(out, n);
    return true;
#endif
}

}  // namespace p2p::platform
