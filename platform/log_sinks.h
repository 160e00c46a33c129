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
// newline, truncated to fit). Control characters in module/text become '?',
// so text that came off the wire cannot forge log lines or drive a terminal.
// With colour, the level is wrapped in ANSI colour codes. Returns the length.
std::size_t format_log_line(char* buf, std::size_t cap, WallMs wall, LogLevel level,
                            std::string_view module, std::string_view text, bool colour);

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

class FileSink final : public LogSink {
  public:
    FileSink() = default;
    ~FileSink() override;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;
    // Opens (creating, appending) the log file. False with *err on failure.
    bool open(const std::string& path, std::string* err);
    // Each line is written whole as it is logged (line-buffered).
    void write(LogLevel level, std::string_view module, std::string_view text) override;

  private:
    int fd_ = -1;
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
