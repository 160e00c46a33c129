#include "shell/app/chat_log.h"

#include <cstdio>

#include "core/civil_time.h"
#include "core/limits.h"
#include "core/log.h"
#include "platform/log_sinks.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "ChatLog";
// A message escaped at worst (\xNN per byte) plus ids, ids escaped and the stamp.
constexpr std::size_t kLineBytes = 4 * kMaxLineBytes + 1024;
// How often a flush also asks whether the file was removed under us.
constexpr MonoMs kRemovedCheckMs = 5'000;

std::string_view or_dash(std::string_view s) {
    return s.empty() ? std::string_view("-") : s;
}

}  // namespace

ChatLog::ChatLog(const Clock& clock, std::string self)
    : clock_(clock),
      self_(std::move(self)),
      file_(kBufferBytes),
      line_buf_(new char[kLineBytes]),
      out_(line_buf_.get(), kLineBytes) {}

ChatLog::~ChatLog() {
    flush();
}

bool ChatLog::open(const std::string& path, std::string* err) {
    return file_.open(path, err);
}

void ChatLog::reopen() {
    flush();  // what was said before the rename belongs in the old file
    std::string err;
    if (!file_.reopen(&err)) {
        P2P_WARN(kModule, "SIGHUP: cannot reopen the chat log %s: %s", file_.path().c_str(),
                 err.c_str());
        failing_ = true;
        return;
    }
    P2P_INFO(kModule, "SIGHUP: reopened the chat log %s", file_.path().c_str());
}

// "2026-12-08T03:01:02.456+01:00 word ": local time with its offset ("Z" for UTC), as
// log lines are stamped (platform/log_sinks.h).
void ChatLog::begin(std::string_view word) {
    out_.reset();
    WallMs wall = clock_.wall_ms();
    int offset = platform::local_utc_offset_min(wall);
    char stamp[kIsoTimeMsBytes];
    std::string_view s = format_iso8601_ms(wall + static_cast<WallMs>(offset) * 60'000, stamp);
    if (offset == 0) {
        out_.label(s);  // "...Z", as the log writes UTC
    } else {
        unsigned minutes = static_cast<unsigned>(offset < 0 ? -offset : offset);
        char zone[8];
        std::snprintf(zone, sizeof zone, "%c%02u:%02u", offset < 0 ? '-' : '+',
                      (minutes / 60) % 100, minutes % 60);
        out_.label(s.substr(0, s.size() - 1));  // without its 'Z'
        out_.label(zone);
    }
    out_.label(" ");
    out_.label(word);
    out_.label(" ");
}

void ChatLog::finish() {
    out_.end_line();
    file_.append(out_.view());
}

void ChatLog::event(const NodeEvent& ev) {
    switch (ev.kind) {
        case EventKind::kMsg:
        case EventKind::kPub:
            line(ev.kind == EventKind::kMsg ? "msg" : "pub", ev.peer_id,
                 ev.kind == EventKind::kMsg ? std::string_view(self_) : ev.scope, ev.text, {});
            return;
        case EventKind::kDelivered:
        case EventKind::kUndelivered:
            // "delivered <msg_id> to bob@CIC (14 ms)", "undelivered <msg_id> to bob@CIC: why"
            begin(ev.kind == EventKind::kDelivered ? "delivered" : "undelivered");
            out_.text(or_dash(ev.msg_id));
            out_.label(" to ");
            out_.text(or_dash(ev.peer_id));
            if (ev.kind == EventKind::kDelivered) {
                out_.label(" (");
                out_.number(ev.rtt_ms);
                out_.label(" ms)");
            } else {
                out_.label(": ");
                out_.text(or_dash(ev.reason));
            }
            finish();
            return;
        default:
            return;  // links, peers, wire lines: the log's business, not the chat's
    }
}

void ChatLog::sent(std::string_view to, std::string_view text, std::string_view msg_id) {
    const bool publish = !to.empty() && (to[0] == '#' || to[0] == '*');
    line(publish ? "pub" : "msg", self_, to, text, msg_id);
}

// "msg bob@CIC -> alice@CIC: text (msg_id)": one message, in or out.
void ChatLog::line(std::string_view word, std::string_view from, std::string_view to,
                   std::string_view text, std::string_view msg_id) {
    begin(word);
    out_.text(or_dash(from));
    out_.label(" -> ");
    out_.text(or_dash(to));
    out_.label(": ");
    out_.text(text);
    if (!msg_id.empty()) {
        out_.label(" (");
        out_.text(msg_id);
        out_.label(")");
    }
    finish();
}

void ChatLog::flush() {
    check_removed();
    std::string err;
    platform::BatchedAppendFile::Flush result = file_.flush(&err);
    lost_ += file_.take_dropped();
    // Said once per change of state: failing (or losing lines), then writing again.
    switch (result) {
        case platform::BatchedAppendFile::Flush::kFailed:
            if (!failing_)
                P2P_WARN(kModule, "cannot write the chat log %s: %s (the chat goes on)",
                         file_.path().c_str(), err.c_str());
            failing_ = true;
            return;
        case platform::BatchedAppendFile::Flush::kWritten:
            if (failing_)
                P2P_INFO(kModule, "writing the chat log %s again (%llu lines lost meanwhile)",
                         file_.path().c_str(), static_cast<unsigned long long>(lost_));
            failing_ = false;
            lost_ = 0;
            return;
        case platform::BatchedAppendFile::Flush::kNothing:
        case platform::BatchedAppendFile::Flush::kPending:
            if (lost_ > 0 && !failing_) {
                P2P_WARN(kModule, "the chat log %s does not keep up: lines are lost",
                         file_.path().c_str());
                failing_ = true;
            }
            return;
    }
}

// A chat log deleted by hand would swallow every line from then on, unseen: said once,
// and a new file is started under the name.
void ChatLog::check_removed() {
    MonoMs now = clock_.mono_ms();
    if (file_.buffered() == 0 || now < next_removed_check_) return;
    next_removed_check_ = now + kRemovedCheckMs;
    if (!file_.removed()) return;
    std::string err;
    if (file_.reopen(&err))
        P2P_WARN(kModule, "the chat log %s was removed: writing a new one", file_.path().c_str());
    else
        P2P_WARN(kModule, "the chat log %s was removed and cannot be made again: %s",
                 file_.path().c_str(), err.c_str());
}

}  // namespace p2p::shell
