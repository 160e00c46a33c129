// Log lines for a stderr that shares the terminal with the line editor: each
// line is printed above the prompt, like an event, instead of landing in the
// middle of the line being typed. Formats exactly like platform's StderrSink.
#pragma once
#include <string_view>

#include "core/log.h"
#include "platform/event_loop.h"
#include "shell/ui/line_editor.h"

namespace p2p::shell {

class EditorLogSink final : public LogSink {
  public:
    // `colour`: the level in colour; by default when fd is a terminal (the
    // node passes what --color, NO_COLOR and TERM decided).
    explicit EditorLogSink(LineEditor& editor, int fd = 2, int colour = -1);
    void write(LogLevel level, std::string_view module, std::string_view text) override;

  private:
    LineEditor& editor_;
    int fd_;
    bool colour_;
    platform::SystemClock clock_;
};

}  // namespace p2p::shell
