#include "shell/app/rendezvous_cli.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.h"
#include "platform/event_loop.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/process.h"
#include "shell/app/node_control.h"
#include "shell/app/rendezvous_control.h"
#include "shell/runtime/rendezvous_server.h"

namespace p2p::shell {

namespace {

using O = RendezvousOptions;
using S = RendezvousServerConfig;
using R = RegistryConfig;
using K = OptionKind;

constexpr std::string_view kServer = "Options";
constexpr std::int64_t kYear = 86'400 * 365;

// "HOST:PORT" with a numeric host, "localhost", "*" or none (every address).
bool parse_listen(std::string_view text, platform::SockAddr& addr) {
    std::string host;
    std::uint16_t port = 0;
    if (!platform::split_host_port(text, host, port, /*allow_zero=*/true)) return false;
    if (host.empty() || host == "*") host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
    return platform::parse_numeric_addr(host, port, addr);
}

bool listen_ok(std::string_view text) {
    platform::SockAddr addr;
    return parse_listen(text, addr);
}

constexpr OptionRow kRows[] = {
    bind<O, &O::listen>({.section = kServer,
                         .flag = "--listen",
                         .metavar = "HOST:PORT",
                         .help = "address to listen on; port 0 picks a free port, [::]:PORT "
                                 "serves IPv6 and IPv4",
                         .check = listen_ok,
                         .expected = "HOST:PORT with a numeric address or localhost"}),
    bind<O, &O::server, &S::db_path>(
        {.section = kServer,
         .flag = "--db",
         .metavar = "PATH",
         .help = "registrations file, rewritten atomically on every change and reloaded at "
                 "start (default: memory only). A corrupt file is reported and kept as "
                 "PATH.bad-*"}),
    bind<O, &O::server, &S::db_write_delay_ms>(
        {.section = kServer,
         .flag = "--db-write-delay-ms",
         .metavar = "MS",
         .help = "coalesce changes for MS before rewriting the file; 0 rewrites after every "
                 "burst of requests, each rewrite pausing the server to fsync",
         .kind = K::kInteger,
         .lo = 0,
         .hi = 3'600'000}),
    bind<O, &O::server, &S::registry, &R::rate_limit>(
        {.section = kServer,
         .flag = "--rate-limit",
         .metavar = "N",
         .help = "connections per source IP per window before it is blocked; 0 disables",
         .kind = K::kInteger,
         .lo = 0,
         .hi = 1'000'000}),
    bind<O, &O::server, &S::registry, &R::rate_window_ms>({.section = kServer,
                                                           .flag = "--rate-window",
                                                           .metavar = "S",
                                                           .help = "the sliding window, seconds",
                                                           .kind = K::kInteger,
                                                           .lo = 1,
                                                           .hi = 86'400,
                                                           .scale = 1000}),
    bind<O, &O::server, &S::registry, &R::block_ms>(
        {.section = kServer,
         .flag = "--block-seconds",
         .metavar = "S",
         .help = "how long an IP over the limit is blocked",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 86'400,
         .scale = 1000}),
    bind<O, &O::server, &S::idle_timeout_ms>(
        {.section = kServer,
         .flag = "--idle-timeout",
         .metavar = "S",
         .help = "silence before \"Timeout: no data received\"",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 3600,
         .scale = 1000}),
    bind<O, &O::server, &S::request_timeout_ms>({.section = kServer,
                                                 .flag = "--request-timeout",
                                                 .metavar = "S",
                                                 .help = "longest time to receive a whole request",
                                                 .kind = K::kInteger,
                                                 .lo = 1,
                                                 .hi = 3600,
                                                 .scale = 1000}),
    bind<O, &O::server, &S::max_connections>(
        {.section = kServer,
         .flag = "--max-connections",
         .metavar = "N",
         .help = "concurrent connections; when full the oldest is closed with the timeout "
                 "answer",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 262'144}),
    bind<O, &O::server, &S::registry, &R::max_registrations>(
        {.section = kServer,
         .flag = "--max-registrations",
         .metavar = "N",
         .help = "registrations held; beyond, REGISTER answers \"registry_full\"",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 10'000'000}),
    bind<O, &O::server, &S::registry, &R::max_tracked_ips>(
        {.section = kServer,
         .flag = "--max-tracked-ips",
         .metavar = "N",
         .help = "source IPs whose rate history is kept",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 10'000'000}),
    bind<O, &O::server, &S::registry, &R::default_ttl_s>({.section = kServer,
                                                          .flag = "--default-ttl",
                                                          .metavar = "S",
                                                          .help = "ttl of a REGISTER without one",
                                                          .kind = K::kInteger,
                                                          .lo = 1,
                                                          .hi = kYear}),
    bind<O, &O::server, &S::registry, &R::max_ttl_s>({.section = kServer,
                                                      .flag = "--max-ttl",
                                                      .metavar = "S",
                                                      .help = "upper clamp of ttl",
                                                      .kind = K::kInteger,
                                                      .lo = 1,
                                                      .hi = kYear}),
    bind<O, &O::log_level>({.section = kServer,
                            .flag = "--log-level",
                            .metavar = "LEVEL",
                            .help = "DEBUG, INFO, WARN, ERROR or OFF",
                            .kind = K::kLogLevel}),
    bind<O, &O::control_path>({.section = kServer,
                               .flag = "--control",
                               .metavar = "PATH",
                               .help = "a Unix socket (mode 0600) answering `p2pchat attach -c "
                                       "stats PATH`"}),
    bind<O, &O::control_group>({.section = kServer,
                                .flag = "--control-group",
                                .metavar = "GROUP",
                                .help = "members of GROUP may use it too (mode 0660)"}),
    bind<O, &O::config_file>({.section = kServer,
                              .flag = "--config",
                              .metavar = "FILE",
                              .help = "JSON settings (keys below); flags override it",
                              .kind = K::kConfigFile}),
    {.section = kServer, .flag = "--help", .help = "this text", .kind = K::kHelp},
};

constexpr const char* kIntro = R"(Usage: p2pchat rendezvous [options]

The rendezvous server of the PyP2P protocol, answering like the course's
reference server: REGISTER, DISCOVER and UNREGISTER, one request line per TCP
connection. Registrations are kept in --db and survive restarts.
)";

constexpr const char* kOutro =
    R"(On start it prints "listening on IP:PORT" to stdout. SIGINT/SIGTERM stop it
after writing pending changes to --db.
)";

}  // namespace

std::span<const OptionRow> rendezvous_option_rows() {
    return kRows;
}

ParseStatus parse_rendezvous_options(const std::vector<std::string>& args,
                                     const FileReader& read_file, RendezvousOptions& out,
                                     std::string& error) {
    RendezvousOptions o;
    ParseStatus status = parse_with_table({kRows, read_file, {}}, args, &o, o.warnings, error);
    if (status != ParseStatus::kRun) return status;
    if (o.server.registry.default_ttl_s > o.server.registry.max_ttl_s) {
        error = "--default-ttl must not exceed --max-ttl";
        return ParseStatus::kError;
    }
    out = std::move(o);
    return ParseStatus::kRun;
}

std::string rendezvous_help_text() {
    const RendezvousOptions defaults;
    return render_help(kRows, &defaults, kIntro, kOutro);
}

int rendezvous_main(int argc, char** argv) {
    RendezvousOptions o;
    std::string err;
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    switch (parse_rendezvous_options(args, disk_file_reader(), o, err)) {
        case ParseStatus::kHelp:
            std::fputs(rendezvous_help_text().c_str(), stdout);
            return 0;
        case ParseStatus::kError:
            std::fprintf(stderr, "p2pchat rendezvous: %s\n", err.c_str());
            return 2;
        case ParseStatus::kRun:
            break;
    }
    platform::SockAddr addr;
    parse_listen(o.listen, addr);  // checked by the table

    platform::StderrSink sink;
    logger().set_sink(&sink);
    logger().set_level(o.log_level);
    for (const std::string& w : o.warnings)
        P2P_WARN("Rendezvous", "%s", w.c_str());

    // Every connection is a descriptor: ask for as many as we may hold.
    long fd_limit = platform::raise_fd_limit();
    std::size_t wanted = o.server.max_connections + 32;
    if (fd_limit > 0 && static_cast<std::size_t>(fd_limit) < wanted) {
        std::size_t fit = fd_limit > 64 ? static_cast<std::size_t>(fd_limit) - 32 : 32;
        P2P_WARN("Rendezvous", "file descriptor limit is %ld: serving at most %zu connections",
                 fd_limit, fit);
        o.server.max_connections = fit;
    }

    platform::EventLoop loop;
    RendezvousServer server(loop, o.server);
    if (!server.start(addr, &err)) {
        P2P_ERROR("Rendezvous", "cannot start on %s: %s", o.listen.c_str(), err.c_str());
        logger().set_sink(nullptr);
        return 1;
    }
    sink.queue().attach(loop);
    RendezvousControl control_handler(server);
    std::unique_ptr<ControlServer> control;
    if (!o.control_path.empty()) {
        ControlServerConfig cc;
        if (control_config(o.control_path, o.control_group, "rendezvous", cc, &err)) {
            control = std::make_unique<ControlServer>(loop, control_handler, std::move(cc));
            if (!control->start(&err)) control.reset();
        }
        if (!control) {
            P2P_ERROR("Rendezvous", "--control: %s", err.c_str());
            server.stop();
            logger().set_sink(nullptr);
            return 1;
        }
    }
    loop.on_signal([&](int signo) {
        P2P_INFO("Rendezvous", "signal %d: stopping", signo);
        server.stop();
        loop.stop();
    });
    std::printf("listening on %s\n", server.bound_address().to_string().c_str());
    std::fflush(stdout);
    loop.run();
    if (control) control->stop("rendezvous stopped");
    server.stop();
    sink.queue().detach();
    logger().set_sink(nullptr);
    return 0;
}

}  // namespace p2p::shell
