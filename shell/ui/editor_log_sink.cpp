#include "shell/ui/editor_log_sink.h"

#include "platform/log_sinks.h"
#include "platform/terminal.h"

namespace p2p::shell {

EditorLogSink::EditorLogSink(LineEditor& editor, int fd, int colour)
    : editor_(editor), fd_(fd), colour_(colour < 0 ? platform::is_tty(fd) : colour != 0) {}

void EditorLogSink::write(LogLevel level, std::string_view module, std::string_view text) {
    char line[1200];  // core truncates a log text at 1 KiB
    WallMs wall = clock_.wall_ms();
    std::size_t n = platform::format_log_line(line, sizeof line, wall, level, module, text, colour_,
                                              platform::local_utc_offset_min(wall));
    editor_.write_lines_to(fd_, std::string_view(line, n));
}

}  // namespace p2p::shell
