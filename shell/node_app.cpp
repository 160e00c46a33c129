#include "shell/node_app.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "core/line_framer.h"
#include "core/log.h"
#include "core/rendezvous_client.h"
#include "core/rng.h"
#include "platform/event_loop.h"
#include "platform/files.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/process.h"
#include "platform/resolver.h"
#include "platform/terminal.h"
#include "shell/command_parser.h"
#include "shell/console.h"
#include "shell/node_options.h"
#include "shell/rendezvous_link.h"
#include "shell/rendezvous_server.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "Node";
// After /quit or a signal: the longest we wait for the UNREGISTER answer.
constexpr MonoMs kShutdownGraceMs = 3'000;
constexpr int kListenBacklog = 128;

enum TimerTag : std::uint64_t { kTagShutdownDeadline = 1 };

class StdoutSink final : public ConsoleSink {
  public:
    void write_lines(std::string_view lines) override { platform::write_all(1, lines); }
};

ConsoleOptions console_options(const NodeOptions& o) {
    ConsoleOptions c;
    if (o.json) {
        c.mode = ConsoleMode::kJson;
    } else if (platform::is_tty(1)) {
        c.mode = ConsoleMode::kTty;
        const char* no_colour = std::getenv("NO_COLOR");
        c.colour = !(no_colour && *no_colour);
        c.width = platform::terminal_columns(1);
    }
    return c;
}

// The address a client on this machine dials to reach a server bound to
// `bound` (a wildcard bind is reached over loopback).
HostPort local_view(const HostPort& bound) {
    HostPort hp = bound;
    if (hp.host == "0.0.0.0") hp.host = "127.0.0.1";
    if (hp.host == "::") hp.host = "::1";
    return hp;
}

class NodeApp final : public RendezvousClientListener,
                      public platform::IoHandler,
                      public platform::TimerHandler {
  public:
    explicit NodeApp(NodeOptions options)
        : options_(std::move(options)),
          resolver_(loop_),
          console_(console_options(options_), stdout_sink_, loop_.clock()),
          rng_(platform::random_seed()),
          stdin_partial_(new char[LineFramer::kPartialBytes]),
          stdin_framer_(stdin_partial_.get()) {
        parser_.set_default_namespace(options_.ns);
        peer_rows_.reserve(options_.max_peers);
    }

    ~NodeApp() override {
        driver_.reset();
        link_.reset();
        if (server_) server_->stop();
        if (listen_fd_ >= 0) {
            loop_.unwatch(listen_fd_);
            platform::close_fd(listen_fd_);
        }
        if (stdin_watched_) loop_.unwatch(0);
    }

    int run() {
        for (const std::string& w : options_.warnings)
            P2P_WARN(kModule, "%s", w.c_str());
        if (!start_listening()) return 1;
        if (!start_rendezvous()) return 1;
        loop_.on_signal([this](int signo) { on_signal(signo); });
        if (!options_.no_shell) start_stdin();
        loop_.run();
        return exit_code_;
    }

  private:
    // ---- start-up --------------------------------------------------------------

    bool start_listening() {
        platform::SockAddr addr;
        if (!platform::parse_numeric_addr(options_.listen_host, options_.listen_port, addr)) {
            std::fprintf(stderr, "p2pchat: --listen-host %s is not a numeric address\n",
                         options_.listen_host.c_str());
            return false;
        }
        std::string err;
        listen_fd_ = platform::tcp_listen(addr, kListenBacklog, &err);
        if (listen_fd_ < 0) {
            std::fprintf(stderr, "p2pchat: cannot listen on %s: %s\n", addr.to_string().c_str(),
                         err.c_str());
            return false;
        }
        loop_.watch(listen_fd_, platform::kIoRead, this);
        platform::SockAddr bound = platform::local_addr(listen_fd_);
        listen_port_ = bound.port();
        std::string text = "listening on " + bound.to_string() + " as " + self_id();
        console_.info(text);
        P2P_INFO(kModule, "%s", text.c_str());
        return true;
    }

    // Serves the rendezvous in-process when asked to, or when the default
    // address is free: being able to bind it means nothing answers there (a
    // server listening on it, even on the wildcard address, makes the bind
    // fail), and binding instead of probing leaves no window for two nodes
    // started together to both decide to serve.
    bool maybe_serve_rendezvous(HostPort& target) {
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
        target = local_view(HostPort{bound.ip(ip, sizeof ip), bound.port()});
        console_.rendezvous("serving in-process on " + bound.to_string());
        return true;
    }

    bool start_rendezvous() {
        HostPort target = options_.rendezvous;
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
        console_.rendezvous("using " + target.to_string());
        client_->start();
        driver_->pump();
        return true;
    }

    void start_stdin() {
        stdin_watched_ = loop_.watch(0, platform::kIoRead, this);
        if (!stdin_watched_) P2P_WARN(kModule, "stdin cannot be watched; commands disabled");
    }

    std::string self_id() const { return options_.name + "@" + options_.ns; }

    // ---- I/O -------------------------------------------------------------------------

    void on_io(int fd, std::uint32_t) override {
        if (fd == listen_fd_) {
            accept_all();
        } else if (fd == 0) {
            read_stdin();
        }
    }

    void accept_all() {
        for (;;) {
            platform::SockAddr peer;
            int fd = platform::tcp_accept(listen_fd_, &peer);
            if (fd < 0) return;
            // Peer links are not served by this version of the node: refuse
            // politely by closing, so the dialer backs off instead of hanging.
            P2P_DEBUG(kModule, "connection from %s closed: links not served",
                      peer.to_string().c_str());
            platform::close_fd(fd);
        }
    }

    void read_stdin() {
        std::size_t got = 0;
        switch (platform::read_some(0, stdin_buf_, sizeof stdin_buf_, &got)) {
            case platform::ReadStatus::kData:
                stdin_framer_.feed(stdin_buf_, got,
                                   [this](LineFramer::Event ev, char* line, std::size_t len) {
                                       if (ev == LineFramer::Event::kTooLong)
                                           console_.error("line too long, ignored");
                                       else
                                           handle_line(std::string_view(line, len));
                                   });
                return;
            case platform::ReadStatus::kWouldBlock:
                return;
            case platform::ReadStatus::kEof:
            case platform::ReadStatus::kError:
                // A service's stdin is often /dev/null: keep running headless.
                loop_.unwatch(0);
                stdin_watched_ = false;
                P2P_INFO(kModule, "stdin closed; running without commands");
                return;
        }
    }

    // ---- commands ---------------------------------------------------------------------

    void handle_line(std::string_view line) {
        ParseResult parsed;
        parser_.parse(line, parsed);
        if (!parsed.ok()) {
            console_.error(parsed.error());
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
                console_.help(cmd.help_topic);
                return;
            case CommandKind::kPeers:
                show_peers(cmd.ns);
                return;
            case CommandKind::kReconnect:
                client_->request_discover();
                driver_->pump();
                console_.info("asking the rendezvous for peers now");
                return;
            case CommandKind::kLog:
                logger().set_level(cmd.level);
                console_.info(std::string("log level ") + log_level_name(cmd.level));
                return;
            default:
                console_.error(std::string(command_name(cmd.kind).empty()
                                               ? "sending text"
                                               : command_name(cmd.kind)) +
                               " needs peer links, which this node does not run");
                return;
        }
    }

    void show_peers(std::string_view ns) {
        peer_rows_.clear();
        client_->for_each_peer([this](const RendezvousClient::TrackedPeer& p) {
            if (peer_rows_.size() == peer_rows_.capacity()) return;
            PeerView v;
            v.peer_id = p.id();
            v.ns = p.ns();
            v.host = p.address_ip();
            v.port = p.port;
            v.state = PeerState::kDiscovered;
            peer_rows_.push_back(v);
        });
        console_.peers(std::span<const PeerView>(peer_rows_.data(), peer_rows_.size()), loop_.now(),
                       ns);
    }

    // ---- shutdown -----------------------------------------------------------------------

    void on_signal(int signo) {
        if (shutting_down_) {
            // A second signal: the user does not want to wait for the goodbyes.
            finish();
            return;
        }
        begin_shutdown(signo == 2 ? "SIGINT" : "SIGTERM");
    }

    void begin_shutdown(const char* why) {
        if (shutting_down_) return;
        shutting_down_ = true;
        P2P_INFO(kModule, "shutting down (%s)", why);
        if (stdin_watched_) {
            loop_.unwatch(0);
            stdin_watched_ = false;
        }
        shutdown_timer_ = loop_.schedule_in(kShutdownGraceMs, this, kTagShutdownDeadline);
        client_->shutdown();
        driver_->pump();
        if (client_->done()) finish();
    }

    void on_timer(std::uint64_t tag) override {
        if (tag == kTagShutdownDeadline) {
            shutdown_timer_ = 0;
            P2P_WARN(kModule, "no UNREGISTER answer in time; exiting anyway");
            finish();
        }
    }

    void finish() {
        if (shutdown_timer_) loop_.cancel(shutdown_timer_);
        shutdown_timer_ = 0;
        loop_.stop();
    }

    // ---- RendezvousClientListener ------------------------------------------------------

    void on_registered(std::string_view ip, std::int64_t port, std::int64_t ttl) override {
        char text[256];
        std::snprintf(text, sizeof text,
                      "registered %s port %u (seen as %.*s:%" PRId64 ", ttl %" PRId64 " s)",
                      self_id().c_str(), static_cast<unsigned>(listen_port_),
                      static_cast<int>(ip.size()), ip.data(), port, ttl);
        console_.rendezvous(text);
    }

    void on_discovered(std::size_t listed, std::size_t usable, std::size_t tracked) override {
        if (reported_discovery_ && usable == last_usable_) return;  // say it when it changes
        reported_discovery_ = true;
        last_usable_ = usable;
        char text[160];
        std::snprintf(text, sizeof text, "discovered %zu peer%s (%zu listed, %zu tracked)", usable,
                      usable == 1 ? "" : "s", listed, tracked);
        console_.rendezvous(text);
    }

    void on_peer(const RdvPeerEvent& e) override {
        char detail[96];
        NodeEvent ev;
        ev.kind = EventKind::kPeer;
        ev.peer_id = e.peer_id;
        switch (e.change) {
            case RdvPeerChange::kDiscovered:
            case RdvPeerChange::kUpdated:
                if (e.change == RdvPeerChange::kUpdated && !e.address_changed) return;
                std::snprintf(detail, sizeof detail, "%.*s:%u", static_cast<int>(e.ip.size()),
                              e.ip.data(), static_cast<unsigned>(e.port));
                ev.state = PeerState::kDiscovered;
                ev.reason = detail;
                break;
            case RdvPeerChange::kExpired:
                ev.state = PeerState::kGone;
                ev.reason = "registration expired";
                break;
        }
        console_.event(ev);
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
        console_.rendezvous(text);
    }

    void on_unregistered(bool ok, std::string_view reason) override {
        if (ok) {
            console_.rendezvous("unregistered");
        } else {
            console_.rendezvous("unregister failed: " + std::string(reason));
        }
        if (shutting_down_) finish();
    }

    NodeOptions options_;
    platform::EventLoop loop_;
    platform::Resolver resolver_;
    StdoutSink stdout_sink_;
    Console console_;
    Rng rng_;
    CommandParser parser_;

    std::unique_ptr<RendezvousServer> server_;  // when serving in-process
    std::unique_ptr<RendezvousClient> client_;
    std::unique_ptr<RendezvousLink> link_;
    std::unique_ptr<RendezvousDriver> driver_;
    bool reported_discovery_ = false;
    std::size_t last_usable_ = 0;

    int listen_fd_ = -1;
    std::uint16_t listen_port_ = 0;

    bool stdin_watched_ = false;
    std::unique_ptr<char[]> stdin_partial_;
    LineFramer stdin_framer_;
    char stdin_buf_[4096];

    std::vector<PeerView> peer_rows_;
    bool shutting_down_ = false;
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
