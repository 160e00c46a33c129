#include "platform/log_sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/civil_time.h"

namespace p2p::platform {
namespace {

WallMs wall_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<WallMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

const char* colour_of(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return "\x1b[2m";
        case LogLevel::kInfo:
            return "\x1b[32m";
        case LogLevel::kWarn:
            return "\x1b[33m";
        case LogLevel::kError:
            return "\x1b[31m";
        case LogLevel::kOff:
            break;
    }
    return "";
}

// Appends into a fixed buffer, silently stopping at the end (one byte is
// always kept back for the final newline).
struct Out {
    char* buf;
    std::size_t cap;
    std::size_t len = 0;
    void raw(std::string_view s) {
        for (char c : s) {
            if (len + 1 >= cap) return;
            buf[len++] = c;
        }
    }
    void clean(std::string_view s) {
        for (char c : s) {
            if (len + 1 >= cap) return;
            unsigned char u = static_cast<unsigned char>(c);
            buf[len++] = (u < 0x20 && c != '\t') || u == 0x7f ? '?' : c;
        }
    }
};

void write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to report a logging failure
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

constexpr std::size_t kLineCap = 1400;
// Longest a stopped stderr may delay the exit while the last lines wait.
constexpr int kExitDrainMs = 500;  // core's 1024-byte text plus the prefix

}  // namespace

std::size_t format_log_line(char* buf, std::size_t cap, WallMs wall, LogLevel level,
                            std::string_view module, std::string_view text, bool colour) {
    if (cap == 0) return 0;
    Out out{buf, cap};
    char stamp[kIsoTimeMsBytes];
    out.raw(format_iso8601_ms(wall, stamp));
    out.raw(" ");
    if (colour) out.raw(colour_of(level));
    out.raw(log_level_name(level));
    if (colour) out.raw("\x1b[0m");
    out.raw(" ");
    if (!module.empty()) {
        out.raw("[");
        out.clean(module);
        out.raw("] ");
    }
    out.clean(text);
    buf[out.len++] = '\n';
    return out.len;
}

StderrSink::StderrSink(int fd, Colour colour)
    : colour_(colour == Colour::kAlways || (colour == Colour::kAuto && isatty(fd) == 1)),
      queue_(fd) {}

StderrSink::~StderrSink() {
    queue_.drain(kExitDrainMs);
}

void StderrSink::write(LogLevel level, std::string_view module, std::string_view text) {
    char line[kLineCap];
    std::size_t n = format_log_line(line, sizeof line, wall_now(), level, module, text, colour_);
    queue_.write(std::string_view(line, n));
}

FileSink::~FileSink() {
    if (fd_ >= 0) ::close(fd_);
}

bool FileSink::open(const std::string& path, std::string* err) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (err) *err = "open log file " + path + ": " + std::strerror(errno);
        return false;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return true;
}

void FileSink::write(LogLevel level, std::string_view module, std::string_view text) {
    if (fd_ < 0) return;
    char line[kLineCap];
    std::size_t n = format_log_line(line, sizeof line, wall_now(), level, module, text, false);
    write_all(fd_, line, n);
}

SyslogSink::SyslogSink(const char* ident, int facility) {
    openlog(ident, LOG_PID | LOG_NDELAY, facility < 0 ? LOG_DAEMON : facility);
}

SyslogSink::~SyslogSink() {
    closelog();
}

int SyslogSink::priority(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return LOG_DEBUG;
        case LogLevel::kInfo:
            return LOG_INFO;
        case LogLevel::kWarn:
            return LOG_WARNING;
        case LogLevel::kError:
            return LOG_ERR;
        case LogLevel::kOff:
            break;
    }
    return LOG_INFO;
}

void SyslogSink::write(LogLevel level, std::string_view module, std::string_view text) {
    // The same cleaning as the other sinks, without the time stamp syslog adds.
    char line[kLineCap];
    Out out{line, sizeof line};
    if (!module.empty()) {
        out.raw("[");
        out.clean(module);
        out.raw("] ");
    }
    out.clean(text);
    syslog(priority(level), "%.*s", static_cast<int>(out.len), line);
}

}  // namespace p2p::platform
