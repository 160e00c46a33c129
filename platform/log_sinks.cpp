#include "platform/log_sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/civil_time.h"
#include "core/text.h"
#include "platform/terminal_codes.h"

namespace p2p::platform {
namespace {

WallMs wall_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<WallMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string_view colour_of(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return term::kDim;
        case LogLevel::kInfo:
            return term::kGreen;
        case LogLevel::kWarn:
            return term::kYellow;
        case LogLevel::kError:
            return term::kRed;
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
    // Appends s whole, or nothing if it would not fit (an escape is never cut).
    void all_or_nothing(std::string_view s) {
        if (len + s.size() + 1 > cap) {
            len = cap - 1;  // stop here: later text would read as if joined
            return;
        }
        std::memcpy(buf + len, s.data(), s.size());
        len += s.size();
    }
    // Text that came from outside (names, reasons, lines) made safe for a
    // terminal or a log reader (issue 9.10): C0 controls but TAB, and DEL,
    // become '?'; C1 controls, bidi controls and U+2028/U+2029 become
    // \u{XXXX}; each byte of invalid UTF-8 becomes \xNN. Decoding uses
    // core/text.h, the one UTF-8 decoder of the program.
    void clean(std::string_view s) {
        char esc[16];
        for (std::size_t pos = 0; pos < s.size() && len + 1 < cap;) {
            unsigned char u = static_cast<unsigned char>(s[pos]);
            if (u < 0x80) {
                buf[len++] = (u < 0x20 && u != '\t') || u == 0x7f ? '?' : static_cast<char>(u);
                ++pos;
                continue;
            }
            Utf8Char c = decode_utf8_char(s.substr(pos));
            if (!c.valid) {
                for (std::size_t i = 0; i < c.len; ++i) {
                    std::snprintf(esc, sizeof esc, "\\x%02X",
                                  static_cast<unsigned char>(s[pos + i]));
                    all_or_nothing(esc);
                }
            } else if (is_dangerous_code_point(c.cp)) {
                std::snprintf(esc, sizeof esc, "\\u{%04X}", static_cast<unsigned>(c.cp));
                all_or_nothing(esc);
            } else {
                all_or_nothing(s.substr(pos, c.len));
            }
            pos += c.len;
        }
    }
    // "[Module] text", both cleaned: the part every format shares.
    void module_and_text(std::string_view module, std::string_view text) {
        if (!module.empty()) {
            raw("[");
            clean(module);
            raw("] ");
        }
        clean(text);
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

int local_utc_offset_min(WallMs wall) {
    time_t secs = static_cast<time_t>(wall / 1000);
    struct tm tm {};
    if (::localtime_r(&secs, &tm) == nullptr) return 0;
    return static_cast<int>(tm.tm_gmtoff / 60);
}

std::size_t format_log_line(char* buf, std::size_t cap, WallMs wall, LogLevel level,
                            std::string_view module, std::string_view text, bool colour,
                            int utc_offset_min) {
    if (cap == 0) return 0;
    Out out{buf, cap};
    char stamp[kIsoTimeMsBytes];
    std::string_view utc_form =
        format_iso8601_ms(wall + static_cast<WallMs>(utc_offset_min) * 60'000, stamp);
    if (utc_offset_min == 0) {
        out.raw(utc_form);
    } else {
        char offset[8];  // "+09:00"
        unsigned minutes =
            static_cast<unsigned>(utc_offset_min < 0 ? -utc_offset_min : utc_offset_min);
        std::snprintf(offset, sizeof offset, "%c%02u:%02u", utc_offset_min < 0 ? '-' : '+',
                      (minutes / 60) % 100, minutes % 60);
        out.raw(utc_form.substr(0, utc_form.size() - 1));  // without its 'Z'
        out.raw(offset);
    }
    out.raw(" ");
    if (colour) out.raw(colour_of(level));
    out.raw(log_level_name(level));
    if (colour) out.raw(term::kReset);
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
    WallMs wall = wall_now();
    std::size_t n = format_log_line(line, sizeof line, wall, level, module, text, colour_,
                                    local_utc_offset_min(wall));
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
    path_ = path;
    return true;
}

bool FileSink::reopen(std::string* err) {
    if (path_.empty()) return true;
    std::string path = path_;
    return open(path, err);
}

void FileSink::write(LogLevel level, std::string_view module, std::string_view text) {
    if (fd_ < 0) return;
    char line[kLineCap];
    WallMs wall = wall_now();
    std::size_t n = format_log_line(line, sizeof line, wall, level, module, text, false,
                                    local_utc_offset_min(wall));
    write_all(fd_, line, n);
}

int journal_priority(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return 7;
        case LogLevel::kInfo:
            return 6;
        case LogLevel::kWarn:
            return 4;
        case LogLevel::kError:
            return 3;
        case LogLevel::kOff:
            break;
    }
    return 6;
}

std::size_t format_journal_line(char* buf, std::size_t cap, LogLevel level, std::string_view module,
                                std::string_view text) {
    if (cap == 0) return 0;
    Out out{buf, cap};
    char prefix[4] = {'<', static_cast<char>('0' + journal_priority(level)), '>', '\0'};
    out.raw(prefix);
    out.module_and_text(module, text);
    buf[out.len++] = '\n';
    return out.len;
}

bool journal_stream_matches(int fd, const char* journal_stream) {
    if (!journal_stream || !*journal_stream) return false;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    char tail = 0;
    if (std::sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &tail) != 2) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

bool use_journal_format(LogFormat format, int fd) {
    if (format != LogFormat::kAuto) return format == LogFormat::kJournal;
    return journal_stream_matches(fd, std::getenv("JOURNAL_STREAM"));
}

JournalSink::JournalSink(int fd) : queue_(fd) {}

JournalSink::~JournalSink() {
    queue_.drain(kExitDrainMs);
}

void JournalSink::write(LogLevel level, std::string_view module, std::string_view text) {
    char line[kLineCap];
    std::size_t n = format_journal_line(line, sizeof line, level, module, text);
    queue_.write(std::string_view(line, n));
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
    out.module_and_text(module, text);
    syslog(priority(level), "%.*s", static_cast<int>(out.len), line);
}

}  // namespace p2p::platform
