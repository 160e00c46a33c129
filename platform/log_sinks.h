// Where core's log lines go (core/log.h): stderr, a file, or syslog. Each
// sink formats into a stack buffer and hands the line to the OS in one
// write, so logging allocates nothing per line and concurrent writers to
// one file (O_APPEND) never interleave within a line.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/log.h"
#include "platform/output_queue.h"

namespace p2p::platform {

// "2026-11-22T01:02:03.456Z INFO [Module] text\n" into buf (always ends in a
// newline, truncated to fit, never inside an escape). In module/text, C0
// controls (but TAB) and DEL become '?'; C1 controls, bidi controls and
// U+2028/U+2029 become \u{XXXX}; each byte of invalid UTF-8 becomes \xNN. So
// text that came off the wire cannot forge log lines, drive a terminal or
// reorder what a reader sees, and every line is valid UTF-8. With colour, the level is wrapped in
// ANSI colour codes. The time is `wall` shifted by `utc_offset_min` and
// written with that offset ("...T10:02:03.456+09:00"), "Z" when it is 0.
// Returns the length.
std::size_t format_log_line(char* buf, std::size_t cap, WallMs wall, LogLevel level,
                            std::string_view module, std::string_view text, bool colour,
                            int utc_offset_min = 0);

// Minutes east of UTC of the local time at `wall`. The sinks stamp log lines
// in local time with this offset: the clock the console's events show
// (format_local_hms), so a log line and an event side by side agree.
int local_utc_offset_min(WallMs wall);

class StderrSink final : public LogSink {
  public:
    enum class Colour { kAuto, kAlways, kNever };
    // kAuto: colour only when the fd is a terminal. fd is for tests; the
    // sink never closes it.
    explicit StderrSink(int fd = 2, Colour colour = Colour::kAuto);
    ~StderrSink() override;
    StderrSink(const StderrSink&) = delete;
    StderrSink& operator=(const StderrSink&) = delete;
    void write(LogLevel level, std::string_view module, std::string_view text) override;
    bool colour() const { return colour_; }
    // Lines go out through this queue, never blocking on a stderr nobody reads: the
    // program attaches it to its loop and reports its drops.
    OutputQueue& queue() { return queue_; }

  private:
    bool colour_;
    OutputQueue queue_;
};

// ---- journald (stderr under systemd) ---------------------------------------------------

// --log-format: the own timestamped lines (plain), sd-daemon priority
// prefixes for journald (journal), or journal when stderr is the journal
// (auto); or not stderr at all but syslog(3) with each line's priority
// (syslog: OpenWrt's procd files a service's stderr at LOG_ERR whatever it
// says, so a router logs through syslog to keep warnings and info apart).
enum class LogFormat : unsigned char { kAuto, kPlain, kJournal, kSyslog };

// sd-daemon.h's prefix level for a log level: 3 (err), 4 (warning), 6
// (info), 7 (debug).
int journal_priority(LogLevel level);
// "<4>[Module] text\n": the priority prefix journald strips and files the
// line under, and no timestamp (the journal adds its own). Same cleaning
// of control characters as format_log_line. Returns the length.
std::size_t format_journal_line(char* buf, std::size_t cap, LogLevel level, std::string_view module,
                                std::string_view text);
// True when `journal_stream` (the JOURNAL_STREAM variable, "DEV:INODE", null
// when unset) names the file fd is open on: systemd documents that match as
// the way to know stderr really is the journal (not a redirect a child
// inherited the variable across).
bool journal_stream_matches(int fd, const char* journal_stream);
// Whether lines on fd get the journal format under `format`.
bool use_journal_format(LogFormat format, int fd);

class JournalSink final : public LogSink {
  public:
    explicit JournalSink(int fd = 2);
    ~JournalSink() override;
    JournalSink(const JournalSink&) = delete;
    JournalSink& operator=(const JournalSink&) = delete;
    void write(LogLevel level, std::string_view module, std::string_view text) override;
    // As StderrSink's: journald's socket may stop reading too.
    OutputQueue& queue() { return queue_; }

  private:
    OutputQueue queue_;
};

class FileSink final : public LogSink {
  public:
    FileSink() = default;
    ~FileSink() override;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;
    // Opens (creating, appending) the log file. False with *err on failure.
    bool open(const std::string& path, std::string* err);
    // Opens the same path again (after logrotate renamed the file, on
    // SIGHUP): new lines go to the new file. On failure the old file is
    // kept and *err says why.
    bool reopen(std::string* err);
    const std::string& path() const { return path_; }
    // Each line is written whole as it is logged (line-buffered).
    void write(LogLevel level, std::string_view module, std::string_view text) override;

  private:
    int fd_ = -1;
    std::string path_;
};

class SyslogSink final : public LogSink {
  public:
    // openlog(ident, LOG_PID | LOG_NDELAY, facility). ident must outlive the
    // sink (syslog keeps the pointer).
    explicit SyslogSink(const char* ident = "p2pchat", int facility = -1);
    ~SyslogSink() override;
    SyslogSink(const SyslogSink&) = delete;
    SyslogSink& operator=(const SyslogSink&) = delete;
    // syslog() adds its own time stamp, so the line is "[Module] text".
    void write(LogLevel level, std::string_view module, std::string_view text) override;
    static int priority(LogLevel level);  // LOG_DEBUG .. LOG_ERR
};

}  // namespace p2p::platform
