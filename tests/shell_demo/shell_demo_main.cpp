// shell_demo: the shell's line editor and console on a real EventLoop, for
// the interactive tmux test (tests/e2e/shell_tty_test.cpp). It needs no
// network: events come from a fifo.
//
//   shell_demo --fifo PATH [--record FILE] [--history FILE]
//
// Each line written to the fifo is shown as an incoming message from
// bob@CIC, above the prompt; a line "log:TEXT" is logged (to stderr, through
// the EditorLogSink) instead. Each line typed is parsed as a command; its
// text is appended to --record (so the test can see exactly what the editor
// delivered) and answered like the node would (error / help / info).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/node.h"
#include "platform/event_loop.h"
#include "platform/terminal.h"
#include "shell/ui/command_parser.h"
#include "shell/ui/console.h"
#include "shell/ui/editor_log_sink.h"
#include "shell/ui/line_editor.h"

namespace {

using namespace p2p;
using namespace p2p::shell;

class Demo final : public LineHandler, public platform::IoHandler {
  public:
    Demo(platform::EventLoop& loop, int fifo_fd, std::string record, std::string history)
        : loop_(loop),
          fifo_fd_(fifo_fd),
          record_(std::move(record)),
          editor_(0, 1, *this, options(std::move(history))),
          console_(console_options(), editor_, loop.clock()),
          log_sink_(editor_) {
        logger().set_sink(&log_sink_);
    }
    ~Demo() { logger().set_sink(nullptr); }

    void run() {
        editor_.set_peer_id_source([](std::vector<std::string>& out) {
            out = {"bob@CIC", "bea@lab", "carol@CIC"};
        });
        editor_.start(&loop_);
        loop_.watch(fifo_fd_, platform::kIoRead, this);
        loop_.on_signal([this](int) { quit(); });
        console_.info(editor_.interactive() ? "demo ready (libedit)" : "demo ready (plain)");
        loop_.run();
    }

    void on_line(std::string_view line) override {
        record(line);
        parser_.parse(line, result_);
        if (!result_.ok()) {
            console_.error(result_.error());
            return;
        }
        const Command& cmd = result_.command();
        switch (cmd.kind) {
            case CommandKind::kQuit:
                quit();
                return;
            case CommandKind::kHelp:
                console_.help(cmd.help_topic);
                return;
            case CommandKind::kEmpty:
                return;
            default: {
                std::string text = "got: " + std::string(line);
                console_.info(text);
            }
        }
    }
    void on_input_error(std::string_view message) override { console_.error(message); }
    void on_input_note(std::string_view text) override { console_.info(text); }
    void on_eof() override { quit(); }

    void on_io(int fd, std::uint32_t) override {
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return;
        pending_.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = pending_.find('\n')) != std::string::npos) {
            std::string text = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            if (text.rfind("log:", 0) == 0) {
                P2P_WARN("Demo", "%s", text.c_str() + 4);
                continue;
            }
            NodeEvent ev;
            ev.kind = EventKind::kMsg;
            ev.peer_id = "bob@CIC";
            ev.text = text;
            ev.msg_id = "demo";
            console_.event(ev);
        }
    }

  private:
    static LineEditorOptions options(std::string history) {
        LineEditorOptions o;
        o.history_file = std::move(history);
        o.quit_hint = "Ctrl-C clears the line; /quit or Ctrl-D quits";
        return o;
    }
    static ConsoleOptions console_options() {
        ConsoleOptions o;
        o.mode = platform::is_tty(1) ? ConsoleMode::kTty : ConsoleMode::kPlain;
        o.colour = o.mode == ConsoleMode::kTty;
        return o;
    }
    void record(std::string_view line) {
        if (record_.empty()) return;
        if (FILE* f = std::fopen(record_.c_str(), "a")) {
            std::fprintf(f, "%.*s\n", static_cast<int>(line.size()), line.data());
            std::fclose(f);
        }
    }
    void quit() {
        editor_.stop();
        loop_.unwatch(fifo_fd_);
        loop_.stop();
    }

    platform::EventLoop& loop_;
    int fifo_fd_;
    std::string record_;
    LineEditor editor_;
    Console console_;
    EditorLogSink log_sink_;
    CommandParser parser_;
    ParseResult result_;
    std::string pending_;
};

}  // namespace

int main(int argc, char** argv) {
    std::string fifo;
    std::string record;
    std::string history;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--fifo")
            fifo = argv[i + 1];
        else if (flag == "--record")
            record = argv[i + 1];
        else if (flag == "--history")
            history = argv[i + 1];
    }
    if (fifo.empty()) {
        std::fprintf(stderr, "usage: shell_demo --fifo PATH [--record FILE] [--history FILE]\n");
        return 2;
    }
    // Read-write, so the fifo never reports EOF when a writer goes away.
    int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        std::perror("open fifo");
        return 1;
    }
    p2p::platform::EventLoop loop;
    Demo demo(loop, fd, record, history);
    demo.run();
    ::close(fd);
    return 0;
}
