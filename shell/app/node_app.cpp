#include "shell/app/node_app.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
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
#include "platform/terminal.h"
#include "shell/app/node_commands.h"
#include "shell/app/node_control.h"
#include "shell/app/node_options.h"
#include "shell/runtime/node_runtime.h"
#include "shell/ui/console.h"
#include "shell/ui/editor_log_sink.h"
#include "shell/ui/line_editor.h"
#include "shell/ui/line_reader.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "Node";
// After /quit or a signal the engine says BYE and waits up to 2 s for the
// BYE_OKs, then the UNREGISTER takes one request (5 s at worst). Past this
// the node exits regardless (NodeRuntimeSettings::shutdown_deadline_ms).
constexpr MonoMs kShutdownDeadlineMs = 8'000;
constexpr int kListenBacklog = 128;

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

ConsoleOptions console_options(const NodeOptions& o, const LineEditor* editor) {
    ConsoleOptions c;
    if (o.json) {
        c.mode = ConsoleMode::kJson;
    } else if (editor && editor->interactive()) {
        c.mode = ConsoleMode::kTty;
        const char* no_colour = std::getenv("NO_COLOR");
        c.colour = !(no_colour && *no_colour);
        c.width = editor->columns();
    }
    return c;
}

// Option-driven setup, the console and editor, signals and exit around a
// NodeRuntime (shell/runtime/node_runtime.h); typed lines go to NodeCommands.
class NodeApp final : public NodeRuntimeListener, public LineHandler {
  public:
    // `log_queue`: the stderr log sink's queue, when logs go to stderr.
    NodeApp(NodeOptions options, platform::OutputQueue* log_queue)
        : options_(std::move(options)), rng_(platform::random_seed()), log_queue_(log_queue) {}

    ~NodeApp() {
        if (editor_log_sink_) logger().set_sink(replaced_log_sink_);
        if (editor_) editor_->stop();
        if (control_) control_->stop("node stopped");
        control_.reset();
        commands_.reset();
        runtime_.reset();
        stdout_queue_.detach();
        if (log_queue_) log_queue_->detach();
        stdout_queue_.drain(kExitDrainMs);
    }

    int run() {
        platform::raise_fd_limit();
        NodeRuntimeSettings settings;
        if (!runtime_settings(settings)) return 1;
        runtime_ = std::make_unique<NodeRuntime>(loop_, std::move(settings), *this);
        stdout_queue_.attach(loop_);
        if (log_queue_) log_queue_->attach(loop_);
        loop_.add_before_sleep([this] { report_dropped_output(); });
        start_console();
        commands_ = std::make_unique<NodeCommands>(*runtime_, *console_, options_.ns,
                                                   [this] { begin_shutdown("quit"); });
        if (!start_control()) return 1;
        for (const std::string& w : options_.warnings)
            P2P_WARN(kModule, "%s", w.c_str());
        std::string error;
        if (!runtime_->start(&error)) {
            std::fprintf(stderr, "p2pchat: %s\n", error.c_str());
            return 1;
        }
        loop_.on_signal([this](int signo) { on_signal(signo); });
        loop_.run();
        if (editor_) editor_->stop();
        return 0;
    }

  private:
    // ---- start-up ----------------------------------------------------------------------

    // The options as the runtime's settings. False (after saying why) when an
    // address the node must bind is not numeric.
    bool runtime_settings(NodeRuntimeSettings& s) {
        s.engine = engine_config(options_, rng_.next());
        s.client_seed = rng_.next();
        if (!platform::parse_numeric_addr(options_.listen_host, options_.listen_port, s.listen)) {
            std::fprintf(stderr, "p2pchat: --listen-host %s is not a numeric address\n",
                         options_.listen_host.c_str());
            return false;
        }
        s.listen_backlog = kListenBacklog;
        s.rendezvous = options_.rendezvous;
        // Serve in-process when asked to, or when nobody chose a rendezvous
        // and the default address is free.
        bool forced = options_.serve_rendezvous;
        s.serve = forced                         ? ServeRendezvous::kYes
                  : options_.rendezvous_explicit ? ServeRendezvous::kNo
                                                 : ServeRendezvous::kIfFree;
        if (s.serve != ServeRendezvous::kNo &&
            !platform::parse_numeric_addr(options_.serve_at.host, options_.serve_at.port,
                                          s.serve_at)) {
            if (forced) {
                std::fprintf(stderr,
                             "p2pchat: --serve-rendezvous needs a numeric address, not %s\n",
                             options_.serve_at.to_string().c_str());
                return false;
            }
            s.serve =
                ServeRendezvous::kNo;  // a named default (from the environment) is someone else's
        }
        s.rendezvous_db = options_.rendezvous_db;
        s.client.ttl_s = options_.ttl_s;
        s.client.discovery_interval_ms = options_.discovery_interval_ms;
        s.client.discover_all_namespaces = options_.discover_all_namespaces;
        s.client.max_tracked_peers = options_.max_peers;
        s.static_peers = options_.static_peers;
        s.shutdown_deadline_ms = kShutdownDeadlineMs;
        return true;
    }

    void start_console() {
        if (!options_.no_shell) {
            LineEditorOptions eo;
            eo.history_file = default_history_path();
            editor_ = std::make_unique<LineEditor>(0, 1, *this, eo);
            editor_->set_output_queues(&stdout_queue_, log_queue_);
            editor_->start(&loop_);
            Node& node = runtime_->node();
            editor_->set_peer_id_source([&node](std::vector<std::string>& out) {
                PeerView v;
                for (std::size_t i = 0; i < node.peer_slots(); ++i)
                    if (node.peer_view(i, v) && !v.peer_id.empty()) out.emplace_back(v.peer_id);
            });
            // Log lines on the terminal the editor draws on go above the
            // prompt, like events; written straight to stderr they would land
            // in the middle of the line being typed.
            if (editor_->interactive() && !options_.syslog && options_.log_file.empty() &&
                platform::is_tty(2)) {
                editor_log_sink_ = std::make_unique<EditorLogSink>(*editor_);
                replaced_log_sink_ = logger().sink();
                logger().set_sink(editor_log_sink_.get());
            }
        }
        ConsoleSink& sink = editor_ ? static_cast<ConsoleSink&>(*editor_) : stdout_sink_;
        console_ = std::make_unique<Console>(console_options(options_, editor_.get()), sink,
                                             loop_.clock());
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
        console_->event(event);
        if (control_) control_->event(event);
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

    void on_line(std::string_view line) override { commands_->handle_line(line); }
    void on_input_error(std::string_view message) override { console_->error(message); }
    void on_eof() override {
        if (editor_ && editor_->interactive()) {
            begin_shutdown("end of input");  // Ctrl-D at the prompt
            return;
        }
        // A service's stdin is often /dev/null: keep running headless.
        P2P_INFO(kModule, "stdin closed; running without commands");
    }

    // ---- shutdown -------------------------------------------------------------------------

    void on_signal(int signo) {
        if (runtime_->shutting_down()) {
            // A second signal: the user does not want to wait for the goodbyes.
            loop_.stop();
            return;
        }
        begin_shutdown(signo == 2 ? "SIGINT" : "SIGTERM");
    }

    // BYE on every link, then UNREGISTER, then exit (on_stopped).
    void begin_shutdown(const char* why) {
        if (runtime_->shutting_down()) return;
        P2P_INFO(kModule, "shutting down (%s)", why);
        if (editor_) editor_->stop();
        runtime_->shutdown();
    }

    NodeOptions options_;
    platform::EventLoop loop_;
    Rng rng_;
    platform::OutputQueue* log_queue_;
    platform::OutputQueue stdout_queue_{1};
    StdoutSink stdout_sink_{stdout_queue_};
    std::unique_ptr<EditorLogSink> editor_log_sink_;
    LogSink* replaced_log_sink_ = nullptr;
    std::unique_ptr<LineEditor> editor_;
    std::unique_ptr<Console> console_;
    std::unique_ptr<NodeRuntime> runtime_;
    std::unique_ptr<NodeCommands> commands_;
    std::unique_ptr<NodeControl> control_;
};

}  // namespace

int node_main(const std::vector<std::string>& args) {
    NodeOptions options;
    std::string error;
    const char* env = std::getenv(kDefaultRendezvousEnv);
    switch (parse_node_options(args, env ? env : "", disk_file_reader(), options, error)) {
        case ParseStatus::kHelp: {
            std::string help = node_help_text();
            platform::write_all(1, help);
            return 0;
        }
        case ParseStatus::kError:
            std::fprintf(stderr, "p2pchat: %s\n", error.c_str());
            return 2;
        case ParseStatus::kRun:
            break;
    }
    std::unique_ptr<LogSink> sink;
    platform::OutputQueue* log_queue = nullptr;
    if (options.syslog) {
        sink = std::make_unique<platform::SyslogSink>();
    } else if (!options.log_file.empty()) {
        auto file = std::make_unique<platform::FileSink>();
        std::string why;
        if (!file->open(options.log_file, &why)) {
            std::fprintf(stderr, "p2pchat: --log-file %s: %s\n", options.log_file.c_str(),
                         why.c_str());
            return 1;
        }
        sink = std::move(file);
    } else {
        auto err = std::make_unique<platform::StderrSink>();
        log_queue = &err->queue();
        sink = std::move(err);
    }
    logger().set_sink(sink.get());
    logger().set_level(options.log_level);
    int code;
    {
        NodeApp app(std::move(options), log_queue);
        code = app.run();
    }
    logger().set_sink(nullptr);
    return code;
}

}  // namespace p2p::shell
