#include "shell/app/node_app.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/log.h"
#include "core/node.h"
#include "core/rng.h"
#include "platform/event_loop.h"
#include "platform/files.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/output_queue.h"
#include "platform/process.h"
#include "platform/sd_notify.h"
#include "platform/terminal.h"
#include "shell/app/chat_log.h"
#include "shell/app/log_output.h"
#include "shell/app/node_commands.h"
#include "shell/app/node_control.h"
#include "shell/app/node_identity.h"
#include "shell/app/node_options.h"
#include "shell/app/node_signals.h"
#include "shell/app/version.h"
#include "shell/runtime/node_runtime.h"
#include "shell/ui/console.h"
#include "shell/ui/editor_log_sink.h"
#include "shell/ui/line_editor.h"
#include "shell/ui/line_reader.h"
#include "shell/ui/text_escape.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "Node";

// Headless output: straight into stdout's queue.
class StdoutSink final : public ConsoleSink {
  public:
    explicit StdoutSink(platform::OutputQueue& queue) : queue_(queue) {}
    void write_lines(std::string_view lines) override { queue_.write(lines); }

  private:
    platform::OutputQueue& queue_;
};

// Longest the exit waits for a stopped stdout to take the last lines.
constexpr int kExitDrainMs = 1'000;

// The prompt names where plain text goes, and where /reply goes when that
// is someone else: "(to: bob@CIC) > ", "(to: bob@CIC, reply: carol@CIC) > ".
// Ids are escaped: they came off the wire.
std::string target_prompt(std::string_view to, std::string_view reply) {
    auto escaped = [](std::string_view id) {
        char shown[4 * kMaxNameBytes];
        return std::string(shown, escape_text(id, shown, sizeof shown));
    };
    if (to.empty() && reply.empty()) return "> ";
    std::string p = "(";
    if (!to.empty()) p += "to: " + escaped(to);
    if (!reply.empty() && reply != to) p += (to.empty() ? "reply: " : ", reply: ") + escaped(reply);
    return p + ") > ";
}

ConsoleOptions console_options(const NodeOptions& o, const LineEditor* editor) {
    ConsoleOptions c;
    if (o.json) {
        c.mode = ConsoleMode::kJson;
    } else if (editor && editor->interactive()) {
        c.mode = ConsoleMode::kTty;
        c.colour = platform::colour_enabled(o.colour, 1);
        c.text = {!platform::adopt_locale_is_utf8(), platform::code_point_columns};
        c.bell = o.bell;
        c.self_name = o.name;
    }
    return c;
}

// Option-driven setup, the console and editor, signals and exit around a
// NodeRuntime (shell/runtime/node_runtime.h); typed lines go to NodeCommands.
class NodeApp final : public NodeRuntimeListener,
                      public LineHandler,
                      public platform::TimerHandler {
  public:
    // `args` and `env_rendezvous` are what the options were parsed from, so
    // a headless SIGHUP can parse the config file again; `log` is reopened then.
    NodeApp(NodeOptions options, std::vector<std::string> args, std::string env_rendezvous,
            LogOutput& log, const std::optional<IdentityKey>& identity)
        : options_(std::move(options)),
          identity_(identity),
          args_(std::move(args)),
          env_rendezvous_(std::move(env_rendezvous)),
          log_(log),
          rng_(platform::random_seed()),
          log_queue_(log.stderr_queue()) {}

    ~NodeApp() {
        if (resume_timer_) loop_.cancel(resume_timer_);
        if (retry_timer_) loop_.cancel(retry_timer_);
        if (drain_timer_) loop_.cancel(drain_timer_);
        if (editor_log_sink_) logger().set_sink(replaced_log_sink_);
        if (editor_) editor_->stop();
        if (control_) control_->stop("node stopped");
        control_.reset();
        commands_.reset();
        runtime_.reset();
        chat_log_.reset();  // its last lines written
        stdout_queue_.detach();
        if (log_queue_) log_queue_->detach();
        stdout_queue_.drain(kExitDrainMs);
    }

    int run() {
        // Each link is a descriptor: take all the kernel allows (the soft limit is
        // often 1024 while the hard one is far higher), and say what it is.
        // Said at INFO only when it changed: a start says what is new.
        long before = platform::current_fd_limit();
        long fd_limit = platform::raise_fd_limit();
        if (fd_limit != before)
            P2P_INFO(kModule, "descriptor limit raised to %ld (was %ld)", fd_limit, before);
        else
            P2P_DEBUG(kModule, "descriptor limit %ld", fd_limit);
        NodeRuntimeSettings settings;
        runtime_settings(settings);
        runtime_ = std::make_unique<NodeRuntime>(loop_, std::move(settings), *this);
        stdout_queue_.attach(loop_);
        if (log_queue_) log_queue_->attach(loop_);
        loop_.add_before_sleep([this] { report_dropped_output(); });
        start_console();
        commands_ = std::make_unique<NodeCommands>(*runtime_, *console_, options_.ns,
                                                   [this] { begin_shutdown("quit"); });
        commands_->hold_input(editor_ != nullptr);  // input can wait: hold, never refuse
        if (!open_chat_log()) return kExitFailure;
        if (editor_ && editor_->interactive())
            commands_->on_targets([this](std::string_view to, std::string_view reply) {
                plain_target_.assign(to);
                editor_->set_prompt(target_prompt(to, reply));
            });
        if (!start_control()) return kExitFailure;
        if (control_) control_->set_chat_log(chat_log_.get());
        for (const std::string& w : options_.warnings)
            P2P_WARN(kModule, "%s", w.c_str());
        // Before start() prints "listening on": from then on a supervisor or a
        // test may signal, and the default action of SIGHUP/SIGUSR1 is to die.
        loop_.on_signal([this](int signo) { on_signal(signo); });
        std::string error;
        if (!runtime_->start(&error)) {
            std::fprintf(stderr, "p2pchat: %s\n", error.c_str());
            return kExitFailure;
        }
        loop_.run();
        if (editor_) editor_->stop();
        return exit_code_;
    }

  private:
    // ---- start-up ----------------------------------------------------------------------

    // The options as the runtime's settings. False (after saying why) when an
    // address the node must bind is not numeric.
    // The addresses were checked by parse_node_options.
    void runtime_settings(NodeRuntimeSettings& s) {
        s.engine = engine_config(options_, rng_.next());
        s.identity = identity_;
        s.client_seed = rng_.next();
        s.service = platform::notify_environment();
        platform::parse_numeric_addr(options_.listen_host, options_.listen_port, s.listen);
        s.rendezvous = options_.rendezvous;
        // Serve in-process when asked to, or when nobody chose a rendezvous
        // and the default address is free.
        bool forced = options_.serve_rendezvous;
        s.serve = forced                         ? ServeRendezvous::kYes
                  : options_.rendezvous_explicit ? ServeRendezvous::kNo
                                                 : ServeRendezvous::kIfFree;
        // Only the unforced default can be a name (from the environment): someone else's.
        if (s.serve != ServeRendezvous::kNo &&
            !platform::parse_numeric_addr(options_.serve_at.host, options_.serve_at.port,
                                          s.serve_at))
            s.serve = ServeRendezvous::kNo;
        s.rendezvous_db = options_.rendezvous_db;
        s.client.ttl_s = options_.ttl_s;
        s.client.discovery_interval_ms = options_.discovery_interval_ms;
        s.client.discover_all_namespaces = options_.discover_all_namespaces;
        s.client.max_tracked_peers = options_.max_peers;
        s.static_peers = options_.static_peers;
        const char* no_lan = std::getenv(kNoLanDiscoveryEnv);
        s.lan_discovery =
            options_.lan_discovery && !(no_lan && *no_lan && std::string_view(no_lan) != "0");
    }

    void start_console() {
        // Started from a terminal (SSH, tmux, a console), with or without the shell:
        // a SIGHUP is that terminal hanging up. Without one (a service, nohup),
        // SIGHUP is a reload.
        terminal_session_ = platform::is_tty(0);
        if (!options_.no_shell) {
            LineEditorOptions eo;
            eo.history_file = default_history_path(options_.name + "@" + options_.ns);
            eo.quit_hint = "Ctrl-C clears the line; /quit or Ctrl-D on an empty line quits";
            eo.paste_lines = static_cast<std::size_t>(options_.paste_lines);
            editor_ = std::make_unique<LineEditor>(0, 1, *this, eo);
            editor_->set_output_queues(&stdout_queue_, log_queue_);
            editor_->start(&loop_);
            Node& node = runtime_->node();
            editor_->set_peer_id_source([&node](std::vector<std::string>& out) {
                for_each_peer_id(node, [&out](std::string_view id) { out.emplace_back(id); });
            });
            // Log lines on the terminal the editor draws on go above the
            // prompt, like events; written straight to stderr they would land
            // in the middle of the line being typed.
            // (Not when they go to syslog or a file: stderr_queue() is null then.)
            if (editor_->interactive() && log_.stderr_queue() && platform::is_tty(2)) {
                editor_log_sink_ = std::make_unique<EditorLogSink>(
                    *editor_, 2, platform::colour_enabled(options_.colour, 2) ? 1 : 0);
                replaced_log_sink_ = logger().sink();
                logger().set_sink(editor_log_sink_.get());
            }
        }
        ConsoleSink& sink = editor_ ? static_cast<ConsoleSink&>(*editor_) : stdout_sink_;
        console_ = std::make_unique<Console>(console_options(options_, editor_.get()), sink,
                                             loop_.clock());
        if (editor_) {
            std::string note = editor_->locale_note();
            if (!note.empty()) console_->info(note);
        }
    }

    // --chat-log PATH: every conversation line, written once per turn of the loop.
    // False (said why) when the file cannot be opened.
    bool open_chat_log() {
        if (options_.chat_log.empty()) return true;
        chat_log_ = std::make_unique<ChatLog>(loop_.clock(), options_.name + "@" + options_.ns);
        std::string error;
        if (!chat_log_->open(options_.chat_log, &error)) {
            std::fprintf(stderr, "p2pchat: --chat-log %s: %s\n", options_.chat_log.c_str(),
                         error.c_str());
            return false;
        }
        commands_->set_chat_log(chat_log_.get());
        loop_.add_before_sleep([this] {
            if (chat_log_) chat_log_->flush();
        });
        return true;
    }

    // --control PATH: the same shell for `p2pchat attach`. False (said why) when the
    // socket cannot be made.
    bool start_control() {
        if (options_.control_path.empty()) return true;
        ControlServerConfig c;
        std::string error;
        if (!control_config(options_.control_path, options_.control_group,
                            "node " + options_.name + "@" + options_.ns, c, &error)) {
            std::fprintf(stderr, "p2pchat: %s\n", error.c_str());
            return false;
        }
        control_ = std::make_unique<NodeControl>(*runtime_, loop_.clock(), options_.ns,
                                                 [this] { begin_shutdown("quit from attach"); });
        if (control_->start(loop_, std::move(c), &error)) return true;
        std::fprintf(stderr, "p2pchat: --control: %s\n", error.c_str());
        control_.reset();
        return false;
    }

    // Once a reader that had stopped takes output again, say how much it missed.
    void report_dropped_output() {
        if (std::uint64_t n = stdout_queue_.take_dropped_report()) {
            char text[96];
            std::snprintf(text, sizeof text, "%llu lines of output dropped: nobody was reading",
                          static_cast<unsigned long long>(n));
            console_->info(text);
        }
        if (!log_queue_) return;
        if (std::uint64_t n = log_queue_->take_dropped_report())
            P2P_WARN(kModule, "%llu log lines dropped: nobody was reading stderr",
                     static_cast<unsigned long long>(n));
    }

    // ---- NodeRuntimeListener -------------------------------------------------------------

    void on_node_event(const NodeEvent& event) override {
        commands_->note_event(event);
        if (chat_log_) chat_log_->event(event);
        // A redial that fails as the last one did was said already (core/peer_book.h).
        bool shown = !(event.kind == EventKind::kPeer && event.repeat);
        if (shown && !refused_now(*commands_, *console_, event)) console_->event(event);
        if (shown && control_) control_->event(event);
        // A SEND that ended frees room in the user queue: read input again,
        // after the engine returns (never call into it from its callback).
        bool ended = event.kind == EventKind::kDelivered || event.kind == EventKind::kUndelivered;
        if (event.kind == EventKind::kUndelivered) ++undelivered_;
        if (ended && draining_ && drain_timer_ == 0)
            drain_timer_ = loop_.schedule_in(0, this, kDrainTag);
        if (ended && editor_ && editor_->input_paused() && resume_timer_ == 0 &&
            runtime_->node().user_queue_has_room())
            resume_timer_ = loop_.schedule_in(0, this, 0);
    }

    // ---- input backpressure ---------------------------------------------------------------

    // What the user types or pipes is queued, never refused for capacity:
    // when the node's user queue is full, stdin is not read until there is
    // room (the pipe's writer blocks, a terminal keeps the keys).
    void throttle_input() {
        if (!editor_ || editor_->input_paused() || runtime_->node().user_queue_has_room()) return;
        editor_->pause_input();
        if (said_paused_) return;
        said_paused_ = true;
        char text[200];
        std::snprintf(text, sizeof text,
                      "input paused: %zu KiB of messages queued for peers that have not taken "
                      "them yet (--max-user-queue-bytes); reading resumes as they are delivered",
                      runtime_->node().user_queue_bytes() / 1024);
        console_->info(text);
    }

    // A line is held (a /pub found a link's queue full, a /msg waits for
    // discovery): stop reading input and try it again shortly (backpressure,
    // as for SENDs: never `busy`; and the lines after it keep their order).
    void hold_input_for_retry() {
        if (!editor_ || retry_timer_ != 0) return;
        if (!editor_->input_paused()) editor_->pause_input();
        retry_timer_ = loop_.schedule_in(kRetryMs, this, kRetryTag);
    }

    void on_timer(std::uint64_t tag) override {
        if (tag == kDrainTag) {
            drain_timer_ = 0;
            finish_drained_input();
            return;
        }
        if (tag == kRetryTag) {
            retry_timer_ = 0;
            if (!commands_->retry_held()) {
                retry_timer_ = loop_.schedule_in(kRetryMs, this, kRetryTag);
                return;
            }
            finish_drained_input();
        } else {
            resume_timer_ = 0;
        }
        if (editor_ && editor_->input_paused() && !commands_->holding() &&
            runtime_->node().user_queue_has_room())
            editor_->resume_input();
    }
    void on_info(std::string_view text) override {
        console_->info(text);
        if (control_) control_->info(text);
    }
    void on_rendezvous(std::string_view text) override {
        console_->rendezvous(text);
        if (control_) control_->rendezvous(text);
    }
    void on_error(std::string_view text) override {
        console_->error(text);
        if (control_) control_->error(text);
    }
    // Attached clients get their `bye` from the destructor, once the loop is out of
    // every handler (a /quit from one of them may be what stopped it).
    void on_stopped() override { loop_.stop(); }

    // ---- LineHandler ---------------------------------------------------------------------

    void on_line(std::string_view line) override {
        commands_->handle_line(line);
        if (commands_->holding()) hold_input_for_retry();
        throttle_input();
    }
    void on_input_error(std::string_view message) override { console_->error(message); }
    void on_input_note(std::string_view text) override { console_->info(text); }
    // "send 12 lines to bob@CIC? [y/N] ": where plain text goes, as the prompt said.
    std::string paste_question(std::size_t lines) override {
        char shown[4 * kMaxNameBytes];
        std::string to =
            plain_target_.empty()
                ? std::string()
                : " to " + std::string(shown, escape_text(plain_target_, shown, sizeof shown));
        return "send " + std::to_string(lines) + " pasted lines" + to + "? [y/N] ";
    }
    void on_eof() override {
        if (terminal_session_) {
            // Ctrl-D at the prompt, or the terminal hung up (EOF or EIO on it): the
            // session is over, as for any interactive program.
            begin_shutdown(editor_ && editor_->hung_up() ? "the terminal hung up" : "end of input");
            return;
        }
        // Commands piped in or read from a file: exit once what they sent is
        // delivered or failed (docs/shell.md "Piped commands"); --stay keeps
        // the node up. A service's stdin is often /dev/null (or a terminal
        // gone): keep running headless.
        if (!options_.stay && platform::is_finite_input(0)) {
            P2P_INFO(kModule, "end of input: exiting once what was sent is delivered or failed");
            draining_ = true;
            finish_drained_input();
            return;
        }
        P2P_INFO(kModule, "stdin closed; running without commands");
    }

    // Input ended and nothing is held or waiting for an ACK: leave, with
    // status 1 when a command failed or a message was not delivered.
    void finish_drained_input() {
        if (!draining_ || commands_->holding() || runtime_->node().user_queue_bytes() != 0) return;
        draining_ = false;
        if (commands_->errors() != 0 || undelivered_ != 0) exit_code_ = kExitFailure;
        begin_shutdown("end of input");
    }

    // ---- shutdown -------------------------------------------------------------------------

    void on_signal(int signo) {
        if (signo == SIGUSR1) {
            P2P_INFO(kModule, "%s", node_stats_line(runtime_->node(), platform::rss_kib()).c_str());
            return;
        }
        // SIGHUP with a terminal: the terminal is gone (SSH closed, the tmux
        // pane killed), so leave cleanly, even when stdin's end or EIO was
        // seen first. Headless: a service's "reload".
        if (signo == SIGHUP && !terminal_session_) {
            reload();
            return;
        }
        if (runtime_->shutting_down()) {
            // A second SIGINT or SIGTERM: the user does not want to wait for the
            // goodbyes. A SIGHUP now is the same hangup that ended the terminal's
            // input a moment ago: the goodbyes go on.
            if (signo != SIGHUP) loop_.stop();
            return;
        }
        begin_shutdown(signo == SIGINT   ? "SIGINT"
                       : signo == SIGHUP ? "SIGHUP: the terminal hung up"
                                         : "SIGTERM");
    }

    // Headless SIGHUP: reopen --log-file (logrotate) and take the config
    // file's reloadable keys (node_signals.h), saying what changed and what
    // would need a restart.
    void reload() {
        std::string error;
        if (!log_.reopen(error)) P2P_ERROR(kModule, "SIGHUP: %s", error.c_str());
        if (log_.to_file()) P2P_INFO(kModule, "SIGHUP: reopened the log file");
        if (chat_log_) chat_log_->reopen();
        if (options_.config_file.empty()) {
            P2P_INFO(kModule, "SIGHUP: no --config file to reload");
            return;
        }
        NodeOptions fresh;
        if (parse_node_options(args_, env_rendezvous_, disk_file_reader(), fresh, error) !=
            ParseStatus::kRun) {
            P2P_WARN(kModule, "SIGHUP: kept the previous settings: %s", error.c_str());
            return;
        }
        ReloadReport r = apply_reload(options_, fresh);
        apply_reloadable(options_, r, runtime_->node(), runtime_->rendezvous_client());
        P2P_INFO(kModule, "SIGHUP: reloaded %s: %s", options_.config_file.c_str(),
                 r.changed.empty() ? "nothing changed" : join_list(r.changed).c_str());
        if (!r.needs_restart.empty())
            P2P_WARN(kModule, "SIGHUP: changed keys that need a restart: %s",
                     join_list(r.needs_restart).c_str());
    }

    // BYE on every link, then UNREGISTER, then exit (on_stopped).
    void begin_shutdown(const char* why) {
        if (runtime_->shutting_down()) return;
        P2P_INFO(kModule, "shutting down (%s)", why);
        if (editor_) editor_->stop();
        runtime_->shutdown();
    }

    NodeOptions options_;
    std::optional<IdentityKey> identity_;
    std::vector<std::string> args_;
    std::string env_rendezvous_;
    LogOutput& log_;
    platform::EventLoop loop_;
    Rng rng_;
    platform::OutputQueue* log_queue_;
    // On a slow serial console, at most kBacklogSeconds of the line's speed.
    platform::OutputQueue stdout_queue_{
        1, platform::terminal_backlog_bytes(1, platform::OutputQueue::kDefaultCapacity)};
    StdoutSink stdout_sink_{stdout_queue_};
    std::unique_ptr<EditorLogSink> editor_log_sink_;
    LogSink* replaced_log_sink_ = nullptr;
    std::unique_ptr<LineEditor> editor_;
    std::unique_ptr<Console> console_;
    std::unique_ptr<NodeRuntime> runtime_;
    std::unique_ptr<NodeCommands> commands_;
    platform::TimerId resume_timer_ = 0;
    platform::TimerId retry_timer_ = 0;
    platform::TimerId drain_timer_ = 0;
    static constexpr std::uint64_t kRetryTag = 1;
    static constexpr std::uint64_t kDrainTag = 2;
    static constexpr MonoMs kRetryMs = 10;
    bool draining_ = false;          // piped input ended: exit when all is settled
    std::uint64_t undelivered_ = 0;  // NOT delivered events, for the exit status
    int exit_code_ = 0;
    bool said_paused_ = false;       // the console heard about the first pause
    bool terminal_session_ = false;  // stdin is a terminal: SIGHUP is its hangup
    std::string plain_target_;       // where plain text goes (the prompt's "to:")
    std::unique_ptr<NodeControl> control_;
    std::unique_ptr<ChatLog> chat_log_;
};

}  // namespace

int node_main(const std::vector<std::string>& args) {
    NodeOptions options;
    std::string error;
    const char* env = std::getenv(kDefaultRendezvousEnv);
    std::string env_rendezvous = env ? env : "";
    switch (parse_node_options(args, env_rendezvous, disk_file_reader(), options, error)) {
        case ParseStatus::kHelp: {
            std::string help = node_help_text();
            platform::write_all(1, help);
            return kExitOk;
        }
        case ParseStatus::kVersion:
            platform::write_all(1, version_banner("p2pchat"));
            return kExitOk;
        case ParseStatus::kError:
            std::fprintf(stderr, "p2pchat: %s\n", error.c_str());
            return kExitConfig;
        case ParseStatus::kRun:
            break;
    }
    if (options.check_config) return report_config_ok("p2pchat", options, options.warnings);
    if (options.print_fingerprint) return print_fingerprint(options);
    std::optional<IdentityKey> identity;
    std::string key_path, key_warning;
    if (!load_node_identity(options, &identity, &key_path, &key_warning, &error)) {
        std::fprintf(stderr, "p2pchat: %s\n", error.c_str());
        return kExitFailure;
    }
    LogOutput log;
    if (!log.open({options.syslog, options.log_file, options.log_format, options.colour}, error)) {
        std::fprintf(stderr, "p2pchat: --log-file %s: %s\n", options.log_file.c_str(),
                     error.c_str());
        return kExitFailure;
    }
    logger().set_level(options.log_level);
    if (!key_warning.empty()) P2P_WARN(kModule, "%s", key_warning.c_str());
    NodeApp app(std::move(options), args, std::move(env_rendezvous), log, identity);
    return app.run();
}

}  // namespace p2p::shell
