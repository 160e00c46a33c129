// Logging without system calls: core formats into a stack buffer and hands the
// text to a LogSink that the platform provides (stderr, file, syslog) or that a
// test captures. Lines read "[Module] text"; the sink adds time and level.
#pragma once
#include <cstdarg>
#include <string_view>

namespace p2p {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

const char* log_level_name(LogLevel level);
// Accepts DEBUG/INFO/WARN/WARNING/ERROR/OFF in any case. False if unknown.
bool parse_log_level(std::string_view text, LogLevel& out);

class LogSink {
  public:
    virtual ~LogSink() = default;
    virtual void write(LogLevel level, std::string_view module, std::string_view text) = 0;
};

class Logger {
  public:
    void set_sink(LogSink* sink) { sink_ = sink; }
    LogSink* sink() const { return sink_; }
    void set_level(LogLevel level) { level_ = level; }
    LogLevel level() const { return level_; }
    bool enabled(LogLevel level) const {
        return sink_ && level >= level_ && level != LogLevel::kOff;
    }
    void logf(LogLevel level, const char* module, const char* fmt, ...)
        __attribute__((format(printf, 4, 5)));
    void vlogf(LogLevel level, const char* module, const char* fmt, va_list args);

  private:
    LogSink* sink_ = nullptr;
    LogLevel level_ = LogLevel::kInfo;
};

// The process-wide logger. Single-threaded by design (the reactor thread).
Logger& logger();

}  // namespace p2p

#define P2P_LOG(level, module, ...)                                                           \
    do {                                                                                      \
        if (::p2p::logger().enabled(level)) ::p2p::logger().logf(level, module, __VA_ARGS__); \
    } while (0)
#define P2P_DEBUG(module, ...) P2P_LOG(::p2p::LogLevel::kDebug, module, __VA_ARGS__)
#define P2P_INFO(module, ...) P2P_LOG(::p2p::LogLevel::kInfo, module, __VA_ARGS__)
#define P2P_WARN(module, ...) P2P_LOG(::p2p::LogLevel::kWarn, module, __VA_ARGS__)
#define P2P_ERROR(module, ...) P2P_LOG(::p2p::LogLevel::kError, module, __VA_ARGS__)
