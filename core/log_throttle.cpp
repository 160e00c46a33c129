#include "core/log_throttle.h"

#include <algorithm>
#include <cstring>

namespace p2p {

namespace {

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::uint64_t key_of(const char* module, const char* kind, std::string_view subject) {
    std::uint64_t h = 14695981039346656037ull;
    h = fnv1a(h, module);
    h = fnv1a(h, "\x1f");
    h = fnv1a(h, kind);
    h = fnv1a(h, "\x1f");
    h = fnv1a(h, subject);
    return h == 0 ? 1 : h;  // 0 marks a free entry
}

}  // namespace

bool LogThrottle::admit(LogLevel level, const char* module, const char* kind,
                        std::string_view subject) {
    if (!clock_) return true;
    MonoMs now = clock_->mono_ms();
    if (now >= next_due_) flush_due();
    std::uint64_t key = key_of(module, kind, subject);
    Entry* bucket = &table_[(key % kBuckets) * kWays];
    Entry* free_entry = nullptr;
    for (std::size_t w = 0; w < kWays; ++w) {
        Entry& e = bucket[w];
        if (e.key == key &&
            std::string_view(e.subject, e.subject_len) == subject.substr(0, kSubjectBytes)) {
            ++e.suppressed;
            return false;
        }
        if (e.key == 0 && !free_entry) free_entry = &e;
    }
    if (!free_entry) {
        if (overflow_++ == 0) {
            overflow_start_ = now;
            overflow_level_ = level;
            schedule(now + window_ms_);
        }
        return false;
    }
    Entry& e = *free_entry;
    e.key = key;
    e.module = module;
    e.kind = kind;
    e.level = level;
    e.window_start = now;
    e.logged = 1;
    e.suppressed = 0;
    std::size_t n = std::min(subject.size(), kSubjectBytes);
    std::memcpy(e.subject, subject.data(), n);
    e.subject_len = static_cast<std::uint8_t>(n);
    schedule(now + window_ms_);
    return true;
}

void LogThrottle::summarize(Entry& e, MonoMs now) {
    if (e.suppressed > 0) {
        logger().logf(e.level, e.module, "%s: %.*s: %llu in the last %lld s (%u logged)", e.kind,
                      static_cast<int>(e.subject_len), e.subject,
                      static_cast<unsigned long long>(e.suppressed + e.logged),
                      static_cast<long long>((now - e.window_start + 999) / 1000), e.logged);
    }
    e.key = 0;
}

void LogThrottle::flush_due() {
    if (!clock_) return;
    MonoMs now = clock_->mono_ms();
    if (now < next_due_) return;
    // A scan of the fixed table, only when some window has ended: at most once
    // per window, never per event.
    next_due_ = kNever;
    for (Entry& e : table_) {
        if (e.key == 0) continue;
        MonoMs end = e.window_start + window_ms_;
        if (end <= now)
            summarize(e, now);
        else
            schedule(end);
    }
    if (overflow_ > 0) {
        MonoMs end = overflow_start_ + window_ms_;
        if (end <= now) {
            logger().logf(overflow_level_, "Log",
                          "%llu more events from too many sources not logged in the last %lld s",
                          static_cast<unsigned long long>(overflow_),
                          static_cast<long long>((now - overflow_start_ + 999) / 1000));
            overflow_ = 0;
        } else {
            schedule(end);
        }
    }
}

void LogThrottle::reset() {
    for (Entry& e : table_)
        e.key = 0;
    overflow_ = 0;
    next_due_ = kNever;
}

LogThrottle& log_throttle() {
    static LogThrottle instance;
    return instance;
}

}  // namespace p2p
