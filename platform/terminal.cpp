#include "platform/terminal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <langinfo.h>
#include <locale.h>
#include <strings.h>
#include <wchar.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace p2p::platform {

bool is_tty(int fd) {
    return ::isatty(fd) == 1;
}

int terminal_columns(int fd, int fallback) {
    struct winsize ws {};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return fallback;
}

bool colour_enabled(ColourChoice choice, bool fd_is_tty, const char* no_color, const char* term) {
    if (choice != ColourChoice::kAuto) return choice == ColourChoice::kAlways;
    if (no_color && *no_color) return false;
    if (term && std::strcmp(term, "dumb") == 0) return false;
    return fd_is_tty;
}

bool colour_enabled(ColourChoice choice, int fd) {
    return colour_enabled(choice, is_tty(fd), std::getenv("NO_COLOR"), std::getenv("TERM"));
}

bool adopt_locale_is_utf8() {
    ::setlocale(LC_CTYPE, "");
    const char* codeset = ::nl_langinfo(CODESET);
    return codeset && (::strcasecmp(codeset, "UTF-8") == 0 || ::strcasecmp(codeset, "utf8") == 0);
}

int code_point_columns(char32_t cp) {
    int w = ::wcwidth(static_cast<wchar_t>(cp));
    return w < 0 ? 1 : w;
}

std::size_t bytes_readable(int fd) {
    int n = 0;
    if (::ioctl(fd, FIONREAD, &n) != 0 || n < 0) return 0;
    return static_cast<std::size_t>(n);
}

void format_local_hms(WallMs wall, char (&out)[9]) {
    time_t secs = static_cast<time_t>(wall / 1000);
    struct tm tm {};
    if (::localtime_r(&secs, &tm) == nullptr) {
        std::snprintf(out, sizeof out, "--:--:--");
        return;
    }
    std::snprintf(out, sizeof out, "%02u:%02u:%02u", static_cast<unsigned>(tm.tm_hour) % 24u,
                  static_cast<unsigned>(tm.tm_min) % 60u, static_cast<unsigned>(tm.tm_sec) % 61u);
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // Someone made the fd non-blocking (a shared stdout): wait for room
            // rather than drop part of an event line.
            struct pollfd p {
                fd, POLLOUT, 0
            };
            if (::poll(&p, 1, 1000) < 0 && errno != EINTR) return false;
            continue;
        }
        return false;
    }
    return true;
}

void suspend_job() {
    ::kill(0, SIGTSTP);
}

bool pass_suspend_key(int fd) {
    struct termios t {};
    if (::tcgetattr(fd, &t) != 0) return false;
    if (t.c_cc[VSUSP] == _POSIX_VDISABLE) return true;
    t.c_cc[VSUSP] = _POSIX_VDISABLE;
    return ::tcsetattr(fd, TCSANOW, &t) == 0;
}

int read_byte(int fd, int timeout_ms) {
    struct pollfd p {
        fd, POLLIN, 0
    };
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        unsigned char c = 0;
        ssize_t n = ::read(fd, &c, 1);
        if (n == 1) return c;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

bool restrict_to_owner(const std::string& path) {
    return ::chmod(path.c_str(), 0600) == 0;
}

ReadStatus read_some(int fd, char* buf, std::size_t cap, std::size_t* got) {
    for (;;) {
        ssize_t n = ::read(fd, buf, cap);
        if (n > 0) {
            *got = static_cast<std::size_t>(n);
            return ReadStatus::kData;
        }
        if (n == 0) return ReadStatus::kEof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadStatus::kWouldBlock;
        return ReadStatus::kError;
    }
}

}  // namespace p2p::platform
