// Where a program's log lines go, chosen from its options: syslog (--syslog or
// --log-format syslog; facility daemon, each line at its level's priority), a --log-file (reopened
// on SIGHUP, for logrotate), or stderr as timestamped lines or, under journald, as `<N>`
// priority-prefixed lines without a timestamp (--log-format). Installed as core's log sink while it
// lives.
#pragma once
#include <memory>
#include <string>

#include "core/log.h"
#include "platform/log_sinks.h"
#include "platform/terminal.h"

namespace p2p::shell {

struct LogOutputOptions {
    bool syslog = false;
    std::string file;  // "" = stderr
    platform::LogFormat format = platform::LogFormat::kAuto;
    platform::ColourChoice colour = platform::ColourChoice::kAuto;
};

class LogOutput {
  public:
    LogOutput() = default;
    ~LogOutput();
    LogOutput(const LogOutput&) = delete;
    LogOutput& operator=(const LogOutput&) = delete;

    // Opens the sink and makes it core's. False with `error` set when the
    // log file cannot be opened.
    bool open(const LogOutputOptions& options, std::string& error);
    // SIGHUP: a --log-file is opened again by name (logrotate renamed the
    // old one). True with nothing to do for the other sinks.
    bool reopen(std::string& error);
    bool to_file() const { return file_ != nullptr; }
    // The queue that carries log lines to stderr (plain or journal format), so the
    // program can attach it to its loop and report its drops; null for a file or
    // syslog.
    platform::OutputQueue* stderr_queue() const { return queue_; }

  private:
    std::unique_ptr<LogSink> sink_;
    platform::FileSink* file_ = nullptr;      // sink_, when it is a file
    platform::OutputQueue* queue_ = nullptr;  // sink_'s, when it writes to stderr
};

}  // namespace p2p::shell
