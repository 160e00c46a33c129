#include "core/log.h"

#include <strings.h>
#include <cstdio>

namespace p2p {

const char* log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return "DEBUG";
        case LogLevel::kInfo:
            return "INFO";
        case LogLevel::kWarn:
            return "WARN";
        case LogLevel::kError:
            return "ERROR";
        case LogLevel::kOff:
            return "OFF";
    }
    return "?";
}

bool parse_log_level(std::string_view text, LogLevel& out) {
    struct Name {
        const char* text;
        LogLevel level;
    };
    static const Name kNames[] = {{"DEBUG", LogLevel::kDebug}, {"INFO", LogLevel::kInfo},
                                  {"WARN", LogLevel::kWarn},   {"WARNING", LogLevel::kWarn},
                                  {"ERROR", LogLevel::kError}, {"OFF", LogLevel::kOff}};
    for (const Name& n : kNames) {
        std::string_view candidate(n.text);
        if (candidate.size() == text.size() &&
            strncasecmp(candidate.data(), text.data(), text.size()) == 0) {
            out = n.level;
            return true;
        }
    }
    return false;
}

void Logger::logf(LogLevel level, const char* module, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vlogf(level, module, fmt, args);
    va_end(args);
}

void Logger::vlogf(LogLevel level, const char* module, const char* fmt, va_list args) {
    if (!enabled(level)) return;
    char text[1024];  // a log line longer than this is truncated, never allocated
    int n = std::vsnprintf(text, sizeof text, fmt, args);
    if (n < 0) return;
    std::size_t len =
        static_cast<std::size_t>(n) < sizeof text ? static_cast<std::size_t>(n) : sizeof text - 1;
    sink_->write(level, module, std::string_view(text, len));
}

Logger& logger() {
    static Logger instance;
    return instance;
}

}  // namespace p2p
