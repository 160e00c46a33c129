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
#include <cwchar>

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

namespace {

// Bits per second of a termios speed; 0 when unknown (B0, or a value this
// table does not name).
long speed_bits_per_second(speed_t speed) {
    struct Row {
        speed_t speed;
        long bps;
    };
    static constexpr Row kSpeeds[] = {
        {B50, 50},       {B75, 75},         {B110, 110},       {B134, 134},     {B150, 150},
        {B200, 200},     {B300, 300},       {B600, 600},       {B1200, 1200},   {B1800, 1800},
        {B2400, 2400},   {B4800, 4800},     {B9600, 9600},     {B19200, 19200}, {B38400, 38400},
        {B57600, 57600}, {B115200, 115200}, {B230400, 230400},
    };
    for (const Row& r : kSpeeds)
        if (r.speed == speed) return r.bps;
    return 0;
}

// A pseudo-terminal's speed unless someone set it (so: SSH, tmux, xterm).
constexpr long kFastLineBitsPerSecond = 38400;

}  // namespace

std::size_t terminal_backlog_bytes(int fd, std::size_t normal) {
    struct termios t {};
    if (!is_tty(fd) || ::tcgetattr(fd, &t) != 0) return normal;
    long bps = speed_bits_per_second(::cfgetospeed(&t));
    if (bps <= 0 || bps >= kFastLineBitsPerSecond) return normal;
    // 10 bits a byte on an asynchronous line (start, 8 data, stop).
    auto line = static_cast<std::size_t>(bps / 10 * kBacklogSeconds);
    return line < normal ? line : normal;
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

bool pass_control_keys(int fd) {
    struct termios t {};
    if (::tcgetattr(fd, &t) != 0) return false;
    if (t.c_cc[VSUSP] == _POSIX_VDISABLE && t.c_cc[VINTR] == _POSIX_VDISABLE) return true;
    t.c_cc[VSUSP] = _POSIX_VDISABLE;
    t.c_cc[VINTR] = _POSIX_VDISABLE;
    return ::tcsetattr(fd, TCSANOW, &t) == 0;
}

namespace {

// One byte, waiting at most timeout_ms.
KeyRead read_one_byte(int fd, int timeout_ms, unsigned char* c) {
    struct pollfd p {
        fd, POLLIN, 0
    };
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return KeyRead::kEnd;
        if (r == 0) return KeyRead::kTimeout;
        ssize_t n = ::read(fd, c, 1);
        if (n == 1) return KeyRead::kChar;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return KeyRead::kTimeout;
        return KeyRead::kEnd;  // 0: end of input; EIO: the terminal hung up
    }
}

}  // namespace

KeyRead read_locale_char(int fd, int timeout_ms, char32_t* out) {
    std::mbstate_t state{};
    for (;;) {
        unsigned char byte = 0;
        KeyRead r = read_one_byte(fd, timeout_ms, &byte);
        if (r != KeyRead::kChar) return r;  // a character cut short is dropped
        wchar_t wc = 0;
        char in = static_cast<char>(byte);
        std::size_t n = std::mbrtowc(&wc, &in, 1, &state);
        if (n == static_cast<std::size_t>(-2)) continue;  // more bytes of this character
        if (n == static_cast<std::size_t>(-1)) {
            // Not a character in this locale (UTF-8 typed under LANG=C, a stray
            // continuation byte): skip it and start afresh.
            state = std::mbstate_t{};
            continue;
        }
        *out = static_cast<char32_t>(wc);
        return KeyRead::kChar;
    }
}

namespace {

void append_utf8(char32_t cp, std::string* out) {
    if (cp < 0x80) {
        out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace

std::size_t locale_text_to_utf8(std::string_view text, std::string* out) {
    std::mbstate_t state{};
    std::size_t dropped = 0;
    while (!text.empty()) {
        wchar_t wc = 0;
        std::size_t n = std::mbrtowc(&wc, text.data(), text.size(), &state);
        if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
            state = std::mbstate_t{};
            ++dropped;
            text.remove_prefix(1);
            continue;
        }
        if (n == 0) n = 1;  // an embedded NUL
        auto cp = static_cast<char32_t>(wc);
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            ++dropped;
        else
            append_utf8(cp, out);
        text.remove_prefix(n);
    }
    return dropped;
}

std::string locale_codeset() {
    const char* codeset = ::nl_langinfo(CODESET);
    return codeset ? codeset : "";
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
