#include "shell/app/attach.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/line_framer.h"
#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/terminal.h"
#include "platform/unix_socket.h"
#include "shell/app/shared_options.h"
#include "shell/ui/line_editor.h"

namespace p2p::shell {

namespace {

constexpr MonoMs kIdsRefreshMs = 2'000;
constexpr MonoMs kOneShotTimeoutMs = 30'000;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

std::string usage() {
    return "usage: p2pchat attach [PATH] [-c COMMAND]... [--json] [--read-only]\n"
           "\n"
           "The shell of a node started with --control PATH (default: $P2PCHAT_CONTROL or\n" +
           std::string(kDefaultControlPath) +
           "). Ctrl-D or /detach leaves it running; /quit stops it\n"
           "after a confirmation. With -c, runs COMMAND (repeatable), prints the answer and\n"
           "exits: 0 on success, 1 when a command failed, 3 when the socket cannot be\n"
           "reached. --read-only watches: events and tables only, the node refuses every\n"
           "command that would send, dial or stop. A rendezvous server's control socket\n"
           "answers `stats`.\n";
}

struct AttachArgs {
    std::string path;
    std::vector<std::string> commands;
    bool json = false;
    bool read_only = false;
};

// 0: parsed; else the exit code (help printed or an error said).
int parse_args(const std::vector<std::string>& args, AttachArgs& out) {
    const char* env = std::getenv("P2PCHAT_CONTROL");
    out.path = env && *env ? std::string(env) : std::string(kDefaultControlPath);
    bool have_path = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            platform::write_all(1, usage());
            return -1;
        }
        if (a == "--json") {
            out.json = true;
        } else if (a == "--read-only") {
            out.read_only = true;
        } else if (a == "-c" || a == "--command") {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "p2pchat attach: %s needs a command\n", a.c_str());
                return kExitUsage;
            }
            out.commands.push_back(args[++i]);
        } else if (!a.empty() && a[0] != '-' && !have_path) {
            out.path = a;
            have_path = true;
        } else {
            std::fprintf(stderr, "p2pchat attach: unexpected argument '%s'\n%s", a.c_str(),
                         usage().c_str());
            return kExitUsage;
        }
    }
    return 0;
}

std::string_view first_word(std::string_view& rest) {
    std::size_t sp = rest.find(' ');
    std::string_view w = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    return w;
}

// One connection to a control socket on the client's own loop: sends requests,
// splits what comes back into output, peer ids and ends of answers.
class AttachClient final : public LineHandler,
                           private platform::IoHandler,
                           private platform::TimerHandler {
  public:
    AttachClient(AttachArgs args, int fd)
        : args_(std::move(args)),
          fd_(fd),
          partial_(new char[LineFramer::kPartialBytes]),
          framer_(partial_.get()) {}
    ~AttachClient() {
        if (editor_) editor_->stop();
        platform::close_fd(fd_);
    }

    int run() {
        loop_.watch(fd_, platform::kIoRead, this);
        // First of all: the node holds this connection to it from now on.
        if (args_.read_only) send("readonly");
        // The shell starts at the node's hello, which names it: its history
        // is the node's own file (default_history_path).
        if (!args_.commands.empty()) start_one_shot();
        // SIGINT from kill(1), SIGTERM, or SIGHUP (the terminal hung up): detach,
        // never stop the node. Ctrl-C at the prompt is a key (it clears the line).
        loop_.on_signal([this](int) { finish(0); });
        loop_.run();
        return exit_code_;
    }

  private:
    void send(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
        std::string line;
        line.reserve(a.size() + b.size() + c.size() + 1);
        line.append(a).append(b).append(c).push_back('\n');
        // A node that hung up is noticed when the read side ends, after what it said
        // last (its `bye`) has been read.
        platform::write_all(fd_, line);
    }

    // ---- one command at a time (-c) ----------------------------------------------------

    void start_one_shot() {
        send(args_.json ? "mode json" : "mode plain");
        send("events off");
        for (std::size_t i = 0; i < args_.commands.size(); ++i)
            send("run c", std::to_string(i + 1) + " ", args_.commands[i]);
        timeout_ = loop_.schedule_in(kOneShotTimeoutMs, this, 1);
    }

    // ---- the interactive shell ---------------------------------------------------------

    void start_shell(std::string_view owner) {
        LineEditorOptions eo;
        eo.history_file = default_history_path(owner);
        eo.prompt = args_.read_only ? "read-only> " : "attached> ";
        eo.quit_hint = args_.read_only
                           ? "Ctrl-C clears the line; /detach or Ctrl-D on an empty line leaves"
                           : "Ctrl-C clears the line; /detach or Ctrl-D on an empty line leaves "
                             "the node running, /quit stops it";
        editor_ = std::make_unique<LineEditor>(0, 1, *this, eo);
        editor_->start(&loop_);
        editor_->set_peer_id_source([this](std::vector<std::string>& out) { out = peer_ids_; });
        std::string note = editor_->locale_note();
        if (!note.empty()) show(note);
        if (args_.json) {
            send("mode json");
        } else if (editor_->interactive()) {
            width_ = editor_->columns();
            send("mode tty ", std::to_string(width_), colour_word());
        } else {
            send("mode plain");
        }
        ask_ids();
    }

    void ask_ids() {
        if (ids_pending_) return;
        ids_pending_ = true;
        fresh_ids_.clear();
        send("ids i");
        if (refresh_ == 0) refresh_ = loop_.schedule_in(kIdsRefreshMs, this, 2);
    }

    void on_line(std::string_view line) override {
        std::string_view t = line;
        while (!t.empty() && (t.front() == ' ' || t.back() == ' '))
            t = t.front() == ' ' ? t.substr(1) : t.substr(0, t.size() - 1);
        if (t == "/detach") {
            finish(0);
            return;
        }
        // A resized terminal: the node wraps at the new width from now on.
        if (editor_ && editor_->interactive() && editor_->columns() != width_) {
            width_ = editor_->columns();
            send("mode tty ", std::to_string(width_), colour_word());
        }
        // The line stays on the screen: the node writes the echo over it.
        if (editor_ && editor_->interactive() && editor_->submitted_rows() > 0)
            send("typed ", std::to_string(editor_->submitted_rows()));
        send("run c ", line);
        ++outstanding_;
    }
    std::string_view colour_word() const {
        const char* no_colour = std::getenv("NO_COLOR");
        return no_colour && *no_colour ? "" : " colour";
    }
    void on_input_error(std::string_view message) override { show(message); }
    void on_input_note(std::string_view text) override { show(text); }
    // Ctrl-D, or the end of piped commands: detach once the answers are in; the
    // node runs on. A terminal that hung up takes no answers: detach now.
    void on_eof() override {
        leaving_ = true;
        if (outstanding_ == 0 || (editor_ && editor_->hung_up())) finish(0);
    }

    // ---- what the node sends -----------------------------------------------------------

    void on_io(int, std::uint32_t) override {
        char buf[16 * 1024];
        std::size_t n = 0;
        platform::IoResult r = platform::sock_read(fd_, buf, sizeof buf, &n);
        if (r == platform::IoResult::kAgain) return;
        if (r != platform::IoResult::kOk) {
            finish(kExitFailed, "the node closed the connection");
            return;
        }
        framer_.feed(buf, n, [this](LineFramer::Event ev, char* line, std::size_t len) {
            if (ev == LineFramer::Event::kLine && !done_) on_server_line({line, len});
        });
    }

    void on_server_line(std::string_view line) {
        std::string_view rest = line;
        std::string_view kind = first_word(rest);
        if (kind == "o") {
            show(rest);
        } else if (kind == "p") {
            fresh_ids_.emplace_back(rest);
        } else if (kind == "ok" || kind == "err") {
            end_of_answer(rest, kind == "ok");
        } else if (kind == "bye") {
            show("detached: " + std::string(rest));
            finish(args_.commands.empty() ? 0 : kExitFailed);
        } else if (kind == "hello" && args_.commands.empty()) {
            std::string_view what = rest;
            first_word(what);  // "p2pchat-control"
            first_word(what);  // version
            std::string_view owner = what;
            first_word(owner);  // "node" (then its peer id) or "rendezvous"
            start_shell(owner.empty() ? what : owner);
            show((args_.read_only ? "attached read-only to " : "attached to ") + std::string(what) +
                 " (Ctrl-D or /detach leaves it running; /help lists commands)");
        }
    }

    void end_of_answer(std::string_view tag, bool ok) {
        if (tag == "i") {
            peer_ids_.swap(fresh_ids_);
            ids_pending_ = false;
            return;
        }
        if (!ok) failed_ = true;
        if (!args_.commands.empty()) {
            if (++answered_ == args_.commands.size()) finish(failed_ ? kExitFailed : 0);
            return;
        }
        if (outstanding_ > 0) --outstanding_;
        if (leaving_ && outstanding_ == 0)
            finish(0);
        else
            ask_ids();
    }

    void show(std::string_view text) {
        std::string line(text);
        line.push_back('\n');
        if (editor_)
            editor_->write_lines(line);
        else
            platform::write_all(1, line);
    }

    void on_timer(std::uint64_t tag) override {
        if (tag == 1) {
            timeout_ = 0;
            finish(kExitFailed, "no complete answer in 30 s");
            return;
        }
        refresh_ = 0;
        ask_ids();
    }

    void finish(int code, std::string_view why = {}) {
        if (done_) return;
        done_ = true;
        exit_code_ = code;
        if (!why.empty())
            std::fprintf(stderr, "p2pchat attach: %.*s\n", static_cast<int>(why.size()),
                         why.data());
        if (editor_) editor_->stop();
        loop_.stop();
    }

    AttachArgs args_;
    int fd_;
    platform::EventLoop loop_;
    std::unique_ptr<char[]> partial_;
    LineFramer framer_;
    std::unique_ptr<LineEditor> editor_;
    std::vector<std::string> peer_ids_, fresh_ids_;
    bool ids_pending_ = false;
    platform::TimerId refresh_ = 0, timeout_ = 0;
    int width_ = 0;  // the terminal width the node was last told
    std::size_t answered_ = 0;
    std::size_t outstanding_ = 0;  // interactive commands not yet answered
    bool leaving_ = false;         // input ended: exit once they are
    bool failed_ = false;
    bool done_ = false;
    int exit_code_ = 0;
};

// For EACCES: the socket is there but not ours to use. Says who may.
std::string who_may_attach(const std::string& path) {
    platform::SocketAccess access;
    if (!platform::socket_access(path, access))
        return "permission denied: a directory on the way to it is closed to this user";
    std::string who = "permission denied: only " + access.owner;
    if (access.mode & 0020u)
        who += " and members of group " + access.group;
    else
        who += " (the node's --control-group GROUP lets a group's members in too)";
    return who + " may attach, and root; e.g. sudo -u " + access.owner + " p2pchat attach " + path;
}

}  // namespace

int attach_main(const std::vector<std::string>& args) {
    AttachArgs a;
    int code = parse_args(args, a);
    if (code != 0) return code < 0 ? 0 : code;
    std::string err;
    int fd = platform::unix_connect(a.path, &err);
    if (fd < 0) {
        std::string why =
            errno == EACCES ? who_may_attach(a.path) : "is the node running with --control?";
        std::fprintf(stderr, "p2pchat attach: %s (%s)\n", err.c_str(), why.c_str());
        return kExitUnreachable;
    }
    AttachClient client(std::move(a), fd);
    return client.run();
}

}  // namespace p2p::shell
