// --chat-log FILE: every conversation line, one line each, appended to a file that
// outlives the terminal (docs/shell.md "Chat log"): messages in (`msg`, `pub`),
// messages and publishes out (from the node's shell, piped commands and every attached
// client), and what became of each SEND (`delivered`, `undelivered`):
//
//   2026-12-08T03:01:02.456+01:00 msg bob@CIC -> alice@CIC: olá
//   2026-12-08T03:01:03.001+01:00 msg alice@CIC -> bob@CIC: hi (m-5c1e)
//   2026-12-08T03:01:03.015+01:00 delivered m-5c1e to bob@CIC (14 ms)
//   2026-12-08T03:01:04.120+01:00 pub alice@CIC -> #CIC: all of you
//
// Stamped like the log lines, in local time with its offset: the clock the console
// shows. Text from the network is escaped as the console escapes it (text_escape.h):
// no control byte, escape sequence, line break or bidi override reaches the file.
// Lines are rendered into a fixed buffer and batched (platform/append_file.h): one
// write(2) per turn of the loop, a bounded backlog, and a failure (disk full, file
// removed) said once as a WARN while the chat goes on.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/node.h"
#include "platform/append_file.h"
#include "shell/ui/line_builder.h"

namespace p2p::shell {

class ChatLog {
  public:
    // `self`: our peer id, the sender of what we send. `clock` must outlive us.
    ChatLog(const Clock& clock, std::string self);
    ~ChatLog();
    ChatLog(const ChatLog&) = delete;
    ChatLog& operator=(const ChatLog&) = delete;

    // False with *err when the file cannot be opened or created.
    bool open(const std::string& path, std::string* err);
    // SIGHUP: the file is opened again by name (logrotate renamed the old one).
    void reopen();

    // An engine event: messages in and the outcome of our SENDs are kept.
    void event(const NodeEvent& ev);
    // What we sent (`to`: a peer id) or published (`to`: #ns or *).
    void sent(std::string_view to, std::string_view text, std::string_view msg_id);
    // Once per turn of the loop: writes what was buffered, says what went wrong.
    void flush();

    // Bytes buffered at most: a second of a busy relay's chat, not more.
    static constexpr std::size_t kBufferBytes = 256 * 1024;

  private:
    void begin(std::string_view word);
    void line(std::string_view word, std::string_view from, std::string_view to,
              std::string_view text, std::string_view msg_id);
    void finish();
    void check_removed();

    const Clock& clock_;
    std::string self_;
    platform::BatchedAppendFile file_;
    std::unique_ptr<char[]> line_buf_;
    LineBuilder out_;
    bool failing_ = false;    // writing fails or lines are lost (said once)
    std::uint64_t lost_ = 0;  // lines dropped since writing last worked
    MonoMs next_removed_check_ = 0;
};

}  // namespace p2p::shell
