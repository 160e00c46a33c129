#include "shell/app/rendezvous_cli.h"

#include <signal.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.h"
#include "core/redis_url.h"
#include "platform/event_loop.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/process.h"
#include "platform/sd_notify.h"
#include "shell/app/log_output.h"
#include "shell/app/node_control.h"
#include "shell/app/rendezvous_control.h"
#include "shell/app/shared_options.h"
#include "shell/app/version.h"
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

// Empty (this process) or redis://HOST[:PORT][/DB]. A build without Redis reads it the
// same and refuses it before serving (rendezvous_build_supports()), so one config file
// is checked alike by every build.
bool registry_ok(std::string_view text) {
    RedisUrl url;
    return text.empty() || parse_redis_url(text, url, nullptr);
}

constexpr OptionRow kOwnRows[] = {
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
    bind<O, &O::server, &S::registry_url>(
        {.section = kServer,
         .flag = "--registry",
         .metavar = "URL",
         .help = "keep registrations and rate limits in Redis (redis://HOST[:PORT][/DB]), "
                 "shared with every other front-end using it; --db is then not used. "
                 "Requests answer \"registry_unavailable\" while Redis is down or slow",
         .check = registry_ok,
         .expected = "redis://HOST[:PORT][/DB]"}),
    bind<O, &O::server, &S::registry_timeout_ms>(
        {.section = kServer,
         .flag = "--registry-timeout-ms",
         .metavar = "MS",
         .help = "with --registry: a Redis reply later than this fails the requests waiting "
                 "and the link reconnects",
         .kind = K::kInteger,
         .lo = 10,
         .hi = 60'000}),
    bind<O, &O::server, &S::registry_queue>(
        {.section = kServer,
         .flag = "--registry-queue",
         .metavar = "N",
         .help = "with --registry: requests and connection checks waiting for Redis at once; "
                 "past it requests answer \"registry_unavailable\" at once",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 1'000'000}),
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
                 "answer. Keep it below the descriptor limit (LimitNOFILE= in the unit)",
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
};
constexpr auto kRows = join_rows(kOwnRows, shared_option_rows<O>(kServer));

constexpr const char* kIntro = R"(Usage: p2pchat rendezvous [options]

The rendezvous server of the PyP2P protocol, answering like the course's
reference server: REGISTER, DISCOVER and UNREGISTER, one request line per TCP
connection. Registrations are kept in --db and survive restarts.
)";

constexpr const char* kOutro =
    R"(On start it prints "listening on IP:PORT" to stdout. SIGINT/SIGTERM stop it
after writing pending changes to --db; so does SIGHUP when it runs on a
terminal (headless, SIGHUP is logged and ignored). SIGUSR1 logs one stats line
(registrations, connections, requests, blocked, RSS).
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

bool rendezvous_build_supports(const RendezvousOptions& options, std::string& error) {
    if (P2P_HAVE_REDIS || options.server.registry_url.empty()) return true;
    error = "--registry: this build has no Redis registry (built without hiredis)";
    return false;
}

std::string rendezvous_help_text() {
    const RendezvousOptions defaults;
    return render_help(kRows, &defaults, kIntro, std::string(kOutro) + kExitCodesHelp);
}

namespace {

void log_stats(RendezvousServer& server) {
    RendezvousServer::Stats st = server.stats();
    P2P_INFO("Rendezvous",
             "stats: registrations %zu, connections %zu, requests %" PRIu64 ", blocked %" PRIu64
             ", rss %ld KiB",
             st.registrations, st.open_connections, st.requests, st.blocked, platform::rss_kib());
}

// SIGHUP stops the server only when it has a terminal to lose; under a
// supervisor it is harmless (there is no log file to reopen).
bool stops_server(int signo) {
    if (signo == SIGUSR1) return false;
    if (signo == SIGHUP) return platform::is_tty(0);
    return true;
}

}  // namespace

int rendezvous_main(int argc, char** argv) {
    RendezvousOptions o;
    std::string err;
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    switch (parse_rendezvous_options(args, disk_file_reader(), o, err)) {
        case ParseStatus::kHelp:
            std::fputs(rendezvous_help_text().c_str(), stdout);
            return kExitOk;
        case ParseStatus::kVersion:
            std::fputs(version_banner("p2pchat rendezvous").c_str(), stdout);
            std::fputs(P2P_HAVE_REDIS ? "registry backends: memory (--db), redis (--registry)\n"
                                      : "registry backends: memory (--db); built without Redis\n",
                       stdout);
            return kExitOk;
        case ParseStatus::kError:
            std::fprintf(stderr, "p2pchat rendezvous: %s\n", err.c_str());
            return kExitConfig;
        case ParseStatus::kRun:
            break;
    }
    if (!rendezvous_build_supports(o, err)) {
        std::fprintf(stderr, "p2pchat rendezvous: %s\n", err.c_str());
        return kExitConfig;
    }
    if (o.check_config) return report_config_ok("p2pchat rendezvous", o, o.warnings);
    platform::SockAddr addr;
    parse_listen(o.listen, addr);  // checked by the table

    LogOutput log;
    LogOutputOptions log_options;
    log_options.format = o.log_format;
    log.open(log_options, err);  // stderr: cannot fail
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
    // systemd's Type=notify and WatchdogSec= (nothing is sent when not run by it).
    platform::ServiceNotifier notifier(platform::notify_environment());
    platform::WatchdogPinger watchdog(loop, notifier);
    // Before start() logs "listening on": signals may come from then on.
    loop.on_signal([&](int signo) {
        if (signo == SIGUSR1) return log_stats(server);
        if (!stops_server(signo)) {
            P2P_INFO("Rendezvous", "SIGHUP: nothing to reload; still serving");
            return;
        }
        P2P_INFO("Rendezvous", "signal %d: stopping", signo);
        notifier.stopping();
        server.stop();
        loop.stop();
    });
    if (!server.start(addr, &err)) {
        P2P_ERROR("Rendezvous", "cannot start on %s: %s", o.listen.c_str(), err.c_str());
        return kExitFailure;
    }
    if (log.stderr_queue()) log.stderr_queue()->attach(loop);
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
            return kExitFailure;
        }
    }
    std::string listening = "listening on " + server.bound_address().to_string();
    std::printf("%s\n", listening.c_str());
    std::fflush(stdout);
    notifier.ready();
    notifier.status(listening);
    watchdog.start();
    loop.run();
    if (control) control->stop("rendezvous stopped");
    server.stop();
    if (log.stderr_queue()) log.stderr_queue()->detach();
    return kExitOk;
}

}  // namespace p2p::shell
