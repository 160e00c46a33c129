#include "shell/app/node_app.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "core/log.h"
#include "core/node.h"
#include "core/rendezvous_client.h"
#include "core/rng.h"
#include "platform/event_loop.h"
#include "platform/files.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/process.h"
#include "platform/resolver.h"
#include "platform/terminal.h"
#include "shell/app/node_options.h"
#include "shell/runtime/peer_links.h"
#include "shell/runtime/rendezvous_link.h"
#include "shell/runtime/rendezvous_server.h"
#include "shell/ui/command_parser.h"
#include "shell/ui/console.h"
#include "shell/ui/editor_log_sink.h"
#include "shell/ui/line_editor.h"
#include "shell/ui/line_reader.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "Node";
// After /quit or a signal the engine says BYE and waits up to 2 s for the
// BYE_OKs, then the UNREGISTER takes one request (5 s at worst). Past this
// the node exits regardless.
constexpr MonoMs kShutdownDeadlineMs = 8'000;
constexpr int kListenBacklog = 128;

enum TimerTag : std::uint64_t { kTagShutdownDeadline = 1, kTagEngine = 2, kTagFlushMore = 3 };

class StdoutSink final : public ConsoleSink {
  public:
    void write_lines(std::string_view lines) override { platform::write_all(1, lines); }
};

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

// The address a client on this machine dials to reach a server bound to
// `bound` (a wildcard bind is reached over loopback).
platform::HostPort local_view(const platform::HostPort& bound) {
    platform::HostPort hp = bound;
    if (hp.host == "0.0.0.0") hp.host = "127.0.0.1";
    if (hp.host == "::") hp.host = "::1";
    return hp;
}

// A peer id or scope kept across commands (/reply, plain text), without
// allocating once reserved.
class IdBuffer {
  public:
    IdBuffer() { text_.reserve(2 * kMaxNameBytes + 2); }
    void set(std::string_view id) { text_.assign(id.substr(0, 2 * kMaxNameBytes + 1)); }
    std::string_view get() const { return text_; }
    bool empty() const { return text_.empty(); }

  private:
    std::string text_;
};

class NodeApp final : public RendezvousClientListener,
                      public NodeHost,
                      public LineHandler,
                      public platform::TimerHandler {
  public:
    explicit NodeApp(NodeOptions options)
        : options_(std::move(options)),
          resolver_(loop_),
          rng_(platform::random_seed()),
          links_(loop_, resolver_) {
        parser_.set_default_namespace(options_.ns);
    }

    ~NodeApp() override {
        if (editor_log_sink_) logger().set_sink(replaced_log_sink_);
        if (editor_) editor_->stop();
        driver_.reset();
        link_.reset();
        if (server_) server_->stop();
        links_.close_all();
        links_.stop_listening();
        if (engine_timer_) loop_.cancel(engine_timer_);
        if (flush_timer_) loop_.cancel(flush_timer_);
    }

    int run() {
        platform::raise_fd_limit();
        node_ = std::make_unique<Node>(engine_config(options_, rng_.next()), loop_.clock(), *this);
        links_.attach(*node_);
        reserve_views();

        if (!options_.no_shell) {
            LineEditorOptions eo;
            eo.history_file = default_history_path();
            editor_ = std::make_unique<LineEditor>(0, 1, *this, eo);
            editor_->start(&loop_);
            editor_->set_peer_id_source([this](std::vector<std::string>& out) {
                PeerView v;
                for (std::size_t i = 0; i < node_->peer_slots(); ++i)
                    if (node_->peer_view(i, v) && !v.peer_id.empty()) out.emplace_back(v.peer_id);
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

        for (const std::string& w : options_.warnings)
            P2P_WARN(kModule, "%s", w.c_str());
        if (!start_listening()) return 1;
        if (!start_rendezvous()) return 1;
        for (const platform::HostPort& p : options_.static_peers)
            if (!node_->add_static_peer(p.host, p.port))
                console_->error("cannot add static peer " + p.to_string());

        loop_.add_before_sleep([this] { before_sleep(); });
        loop_.on_signal([this](int signo) { on_signal(signo); });
        loop_.run();
        if (editor_) editor_->stop();
        return exit_code_;
    }

  private:
    // ---- start-up ----------------------------------------------------------------------

    bool start_listening() {
        platform::SockAddr addr;
        if (!platform::parse_numeric_addr(options_.listen_host, options_.listen_port, addr)) {
            std::fprintf(stderr, "p2pchat: --listen-host %s is not a numeric address\n",
                         options_.listen_host.c_str());
            return false;
        }
        std::string err;
        if (!links_.listen(addr, kListenBacklog, &err)) {
            std::fprintf(stderr, "p2pchat: cannot listen on %s: %s\n", addr.to_string().c_str(),
                         err.c_str());
            return false;
        }
        platform::SockAddr bound = links_.listen_address();
        listen_port_ = bound.port();
        std::string text = "listening on " + bound.to_string() + " as " + self_id();
        console_->info(text);
        P2P_INFO(kModule, "%s", text.c_str());
        return true;
    }

    // Serves the rendezvous in-process when asked to, or when the default
    // address is free: being able to bind it means nothing answers there (a
    // server listening on it, even on the wildcard address, makes the bind
    // fail), and binding instead of probing leaves no window for two nodes
    // started together to both decide to serve.
    bool maybe_serve_rendezvous(platform::HostPort& target) {
        bool forced = options_.serve_rendezvous;
        if (!forced && options_.rendezvous_explicit) return true;
        platform::SockAddr addr;
        if (!platform::parse_numeric_addr(options_.serve_at.host, options_.serve_at.port, addr)) {
            if (forced) {
                std::fprintf(stderr,
                             "p2pchat: --serve-rendezvous needs a numeric address, not %s\n",
                             options_.serve_at.to_string().c_str());
                return false;
            }
            return true;  // a named default (from the environment) is someone else's
        }
        RendezvousServerConfig config;
        config.db_path = options_.rendezvous_db;
        server_ = std::make_unique<RendezvousServer>(loop_, config);
        std::string err;
        if (!server_->start(addr, &err)) {
            server_.reset();
            if (forced) {
                std::fprintf(stderr, "p2pchat: cannot serve the rendezvous on %s: %s\n",
                             options_.serve_at.to_string().c_str(), err.c_str());
                return false;
            }
            P2P_INFO(kModule, "not serving the rendezvous on %s (%s): using the one there",
                     options_.serve_at.to_string().c_str(), err.c_str());
            return true;
        }
        platform::SockAddr bound = server_->bound_address();
        char ip[64];
        target = local_view(platform::HostPort{bound.ip(ip, sizeof ip), bound.port()});
        console_->rendezvous("serving in-process on " + bound.to_string());
        return true;
    }

    bool start_rendezvous() {
        platform::HostPort target = options_.rendezvous;
        if (!maybe_serve_rendezvous(target)) return false;
        RendezvousClient::Config c;
        c.name = options_.name;
        c.ns = options_.ns;
        c.listen_port = listen_port_;
        c.ttl_s = options_.ttl_s;
        c.discovery_interval_ms = options_.discovery_interval_ms;
        c.discover_all_namespaces = options_.discover_all_namespaces;
        c.max_tracked_peers = options_.max_peers;
        client_ = std::make_unique<RendezvousClient>(std::move(c), loop_.clock(), rng_, *this);
        link_ = std::make_unique<RendezvousLink>(loop_, resolver_);
        link_->set_server(target);
        driver_ = std::make_unique<RendezvousDriver>(loop_, *client_, *link_);
        console_->rendezvous("using " + target.to_string());
        client_->start();
        driver_->pump();
        return true;
    }

    void reserve_views() {
        peer_rows_.reserve(node_->peer_slots());
        link_rows_.reserve(node_->link_slots());
        route_rows_.reserve(node_->peer_slots() + node_->route_slots());
    }

    std::string self_id() const { return options_.name + "@" + options_.ns; }

    // ---- the reactor's side of the engine ----------------------------------------------

    // Just before the loop sleeps: write what the engine queued (one writev
    // per link), then wake up again at the engine's next deadline.
    void before_sleep() {
        if (links_.flush() && !flush_timer_)
            flush_timer_ = loop_.schedule_in(0, this, kTagFlushMore);  // do not sleep on them
        arm_engine_timer();
    }

    void arm_engine_timer() {
        MonoMs deadline = node_->next_deadline();
        if (deadline == engine_timer_at_) return;
        if (engine_timer_) loop_.cancel(engine_timer_);
        engine_timer_ = 0;
        engine_timer_at_ = deadline;
        if (deadline != Node::kNoDeadline)
            engine_timer_ = loop_.schedule_at(deadline, this, kTagEngine);
    }

    void on_timer(std::uint64_t tag) override {
        if (tag == kTagEngine) {
            engine_timer_ = 0;
            engine_timer_at_ = Node::kNoDeadline;
            node_->on_timer();
        } else if (tag == kTagFlushMore) {
            flush_timer_ = 0;  // its only job was to keep the loop awake
        } else if (tag == kTagShutdownDeadline) {
            shutdown_timer_ = 0;
            P2P_WARN(kModule, "shutdown took too long; exiting anyway");
            finish();
        }
    }

    // ---- NodeHost (called from inside the engine: never call back into it) -------------

    bool dial(LinkId link, std::string_view host, std::uint16_t port) override {
        return links_.dial(link, host, port);
    }
    void close_link(LinkId link) override { links_.close_link(link); }
    void want_write(LinkId link) override { links_.want_write(link); }

    void emit(const NodeEvent& event) override {
        if (event.kind == EventKind::kMsg && !event.peer_id.empty()) last_from_.set(event.peer_id);
        console_->event(event);
    }

    void quit_complete() override {
        // Every link is closed: now UNREGISTER (the client and its driver do
        // not touch the engine, so this is safe from inside it).
        links_closed_ = true;
        client_->shutdown();
        driver_->pump();
        if (client_->done()) finish();
    }

    // ---- LineHandler ---------------------------------------------------------------------

    void on_line(std::string_view line) override { handle_line(line); }
    void on_input_error(std::string_view message) override { console_->error(message); }
    void on_eof() override {
        if (editor_ && editor_->interactive()) {
            begin_shutdown("end of input");  // Ctrl-D at the prompt
            return;
        }
        // A service's stdin is often /dev/null: keep running headless.
        P2P_INFO(kModule, "stdin closed; running without commands");
    }

    // ---- commands ------------------------------------------------------------------------

    void handle_line(std::string_view line) {
        if (shutting_down_) return;
        ParseResult parsed;
        parser_.parse(line, parsed);
        if (!parsed.ok()) {
            console_->error(parsed.error());
            return;
        }
        const Command& cmd = parsed.command();
        switch (cmd.kind) {
            case CommandKind::kEmpty:
                return;
            case CommandKind::kQuit:
                begin_shutdown("quit");
                return;
            case CommandKind::kHelp:
                console_->help(cmd.help_topic);
                return;
            case CommandKind::kPeers:
                show_peers(cmd.ns);
                return;
            case CommandKind::kConn:
                show_links();
                return;
            case CommandKind::kRtt:
                show_rtt();
                return;
            case CommandKind::kRoutes:
                show_routes();
                return;
            case CommandKind::kMsg:
                send_to(cmd.target, cmd.text);
                return;
            case CommandKind::kPub:
                publish(cmd.target, cmd.text);
                return;
            case CommandKind::kReply:
                if (last_from_.empty()) {
                    console_->error("/reply: nobody has sent you a message yet");
                    return;
                }
                send_to(last_from_.get(), cmd.text);
                return;
            case CommandKind::kText:
                if (last_target_.empty()) {
                    console_->error("no conversation yet: use /msg <peer_id> <text> first");
                    return;
                }
                send_to(last_target_.get(), cmd.text);
                return;
            case CommandKind::kConnect:
                connect(cmd);
                return;
            case CommandKind::kReconnect:
                node_->reconnect_all();
                client_->request_discover();
                driver_->pump();
                console_->info("redialing stale peers and asking the rendezvous for peers");
                return;
            case CommandKind::kWatch:
                node_->set_watch(!node_->watching());
                console_->info(node_->watching() ? "watch on: every protocol line is shown"
                                                 : "watch off");
                return;
            case CommandKind::kLog:
                logger().set_level(cmd.level);
                console_->info(std::string("log level ") + log_level_name(cmd.level));
                return;
            case CommandKind::kMetrics:
                ask_metrics(cmd.target);
                return;
        }
    }

    void send_to(std::string_view peer_id, std::string_view text) {
        last_target_.set(peer_id);
        SendResult r = node_->send(peer_id, text);
        if (r.status != SendStatus::kQueued)
            console_->error("not sent to " + std::string(peer_id) + ": " +
                            send_status_name(r.status));
    }

    void publish(std::string_view scope, std::string_view text) {
        SendResult r = node_->pub(scope, text);
        if (r.status != SendStatus::kQueued) {
            console_->error("not published to " + std::string(scope) + ": " +
                            send_status_name(r.status));
            return;
        }
        char info[160];
        std::snprintf(info, sizeof info, "published %s to %.*s on %zu link%s", r.msg_id,
                      static_cast<int>(std::min<std::size_t>(scope.size(), 70)), scope.data(),
                      r.links, r.links == 1 ? "" : "s");
        console_->info(info);
    }

    void connect(const Command& cmd) {
        if (cmd.target_kind == TargetKind::kHostPort) {
            if (!node_->add_static_peer(cmd.host, cmd.port))
                console_->error("cannot dial " + std::string(cmd.target) +
                                ": peer table full or bad address");
            else
                console_->info("dialing " + std::string(cmd.target));
            return;
        }
        if (!node_->connect_peer(cmd.target))
            console_->error("unknown peer " + std::string(cmd.target) + " (see /peers)");
    }

    void collect_peers() {
        peer_rows_.clear();
        PeerView v;
        for (std::size_t i = 0; i < node_->peer_slots(); ++i)
            if (node_->peer_view(i, v)) peer_rows_.push_back(v);
    }

    void show_peers(std::string_view ns) {
        collect_peers();
        console_->peers(peer_rows_, loop_.now(), ns);
    }

    void show_rtt() {
        collect_peers();
        console_->rtt(peer_rows_);
    }

    void show_links() {
        link_rows_.clear();
        LinkView v;
        for (std::size_t i = 0; i < node_->link_slots(); ++i)
            if (node_->link_view(i, v)) link_rows_.push_back(v);
        console_->links(link_rows_, loop_.now());
    }

    // Direct links first, then the routes learnt from WHO_HAS_HIT (their RTT
    // is the via link's), then the relay counters.
    void show_routes() {
        collect_peers();
        route_rows_.clear();
        for (const PeerView& p : peer_rows_) {
            if (p.state != PeerState::kConnected || p.peer_id.empty()) continue;
            RouteRow row;
            row.dst = p.peer_id;
            row.rtt_ms = p.rtt_count > 0 ? p.rtt_mean_ms : -1;
            route_rows_.push_back(row);
        }
        MonoMs now = loop_.now();
        RouteView v;
        for (std::size_t i = 0; i < node_->route_slots(); ++i) {
            if (!node_->route_view(i, v)) continue;
            RouteRow row;
            row.dst = v.dst;
            row.via = v.via.empty() ? std::string_view("?") : v.via;
            row.rtt_ms = v.via_rtt_ms > 0 ? v.via_rtt_ms : -1;
            row.age_ms = now - v.learnt_at;
            route_rows_.push_back(row);
        }
        console_->routes(route_rows_);
        const Node::Stats& st = node_->stats();
        char text[160];
        std::snprintf(text, sizeof text,
                      "relay%s: relayed %" PRIu64 ", dropped %" PRIu64 ", refused %" PRIu64,
                      (node_->config().features & kFeatureRelay) ? "" : " (off)", st.relayed,
                      st.relay_dropped, st.relay_refused);
        console_->info(text);
    }

    // The answer arrives later as a kMetrics event.
    void ask_metrics(std::string_view peer_id) {
        if (node_->request_metrics(peer_id))
            console_->info("metrics requested from " + std::string(peer_id));
        else
            console_->error("/metrics: no link to " + std::string(peer_id) +
                            " that supports metrics (see /conn)");
    }

    // ---- shutdown -------------------------------------------------------------------------

    void on_signal(int signo) {
        if (shutting_down_) {
            // A second signal: the user does not want to wait for the goodbyes.
            finish();
            return;
        }
        begin_shutdown(signo == 2 ? "SIGINT" : "SIGTERM");
    }

    // BYE on every link (the engine waits for the BYE_OKs), then UNREGISTER
    // once quit_complete() says the links are closed, then exit.
    void begin_shutdown(const char* why) {
        if (shutting_down_) return;
        shutting_down_ = true;
        P2P_INFO(kModule, "shutting down (%s)", why);
        if (editor_) editor_->stop();
        links_.stop_listening();
        shutdown_timer_ = loop_.schedule_in(kShutdownDeadlineMs, this, kTagShutdownDeadline);
        node_->quit();
    }

    void finish() {
        if (shutdown_timer_) loop_.cancel(shutdown_timer_);
        shutdown_timer_ = 0;
        loop_.stop();
    }

    // ---- RendezvousClientListener ---------------------------------------------------------

    void on_registered(std::string_view ip, std::int64_t port, std::int64_t ttl) override {
        char text[256];
        std::snprintf(text, sizeof text,
                      "registered %s port %u (seen as %.*s:%" PRId64 ", ttl %" PRId64 " s)",
                      self_id().c_str(), static_cast<unsigned>(listen_port_),
                      static_cast<int>(std::min<std::size_t>(ip.size(), 64)), ip.data(), port, ttl);
        console_->rendezvous(text);
    }

    void on_discovered(std::size_t listed, std::size_t usable, std::size_t tracked) override {
        if (reported_discovery_ && usable == last_usable_) return;  // say it when it changes
        reported_discovery_ = true;
        last_usable_ = usable;
        char text[160];
        std::snprintf(text, sizeof text, "discovered %zu peer%s (%zu listed, %zu tracked)", usable,
                      usable == 1 ? "" : "s", listed, tracked);
        console_->rendezvous(text);
    }

    // The engine owns the peer table and reports its changes itself.
    void on_peer(const RdvPeerEvent& e) override {
        PeerAdvert a;
        a.change = e.change == RdvPeerChange::kDiscovered ? AdvertChange::kDiscovered
                   : e.change == RdvPeerChange::kUpdated  ? AdvertChange::kUpdated
                                                          : AdvertChange::kExpired;
        a.peer_id = e.peer_id;
        a.ip = e.ip;
        a.port = e.port;
        a.expires_in_s = e.expires_in_s;
        a.reregistered = e.reregistered;
        node_->on_peer_advert(a);
    }

    void on_request_failed(RdvRequestKind kind, std::string_view reason, bool blocked,
                           MonoMs retry_in_ms) override {
        char text[512];
        if (blocked) {
            std::snprintf(text, sizeof text, "%s: blocked by the server, waiting %" PRId64 " s",
                          rdv_request_name(kind), (retry_in_ms + 999) / 1000);
        } else {
            std::snprintf(text, sizeof text, "%s failed: %.*s; retry in %.1f s",
                          rdv_request_name(kind),
                          static_cast<int>(std::min<std::size_t>(reason.size(), 300)),
                          reason.data(), static_cast<double>(retry_in_ms) / 1000.0);
        }
        console_->rendezvous(text);
    }

    void on_unregistered(bool ok, std::string_view reason) override {
        if (ok)
            console_->rendezvous("unregistered");
        else
            console_->rendezvous("unregister failed: " + std::string(reason));
        if (shutting_down_ && links_closed_) finish();
    }

    NodeOptions options_;
    platform::EventLoop loop_;
    platform::Resolver resolver_;
    Rng rng_;
    StdoutSink stdout_sink_;
    std::unique_ptr<EditorLogSink> editor_log_sink_;
    LogSink* replaced_log_sink_ = nullptr;
    std::unique_ptr<LineEditor> editor_;
    std::unique_ptr<Console> console_;
    CommandParser parser_;

    std::unique_ptr<Node> node_;
    PeerLinks links_;
    platform::TimerId engine_timer_ = 0;
    platform::TimerId flush_timer_ = 0;
    MonoMs engine_timer_at_ = Node::kNoDeadline;
    std::uint16_t listen_port_ = 0;

    std::unique_ptr<RendezvousServer> server_;  // when serving in-process
    std::unique_ptr<RendezvousClient> client_;
    std::unique_ptr<RendezvousLink> link_;
    std::unique_ptr<RendezvousDriver> driver_;
    bool reported_discovery_ = false;
    std::size_t last_usable_ = 0;

    std::vector<PeerView> peer_rows_;
    std::vector<LinkView> link_rows_;
    std::vector<RouteRow> route_rows_;
    IdBuffer last_from_;    // /reply goes here
    IdBuffer last_target_;  // plain text goes here

    bool shutting_down_ = false;
    bool links_closed_ = false;
    platform::TimerId shutdown_timer_ = 0;
    int exit_code_ = 0;
};

}  // namespace

int node_main(const std::vector<std::string>& args) {
    NodeOptions options;
    std::string error;
    const char* env = std::getenv(kDefaultRendezvousEnv);
    FileReader reader = [](const std::string& path, std::string& out, std::string& why) {
        return platform::read_file(path, out, &why);
    };
    switch (parse_node_options(args, env ? env : "", reader, options, error)) {
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
        sink = std::make_unique<platform::StderrSink>();
    }
    logger().set_sink(sink.get());
    logger().set_level(options.log_level);
    int code;
    {
        NodeApp app(std::move(options));
        code = app.run();
    }
    logger().set_sink(nullptr);
    return code;
}

}  // namespace p2p::shell
