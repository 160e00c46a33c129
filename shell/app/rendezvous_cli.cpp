#include "shell/app/rendezvous_cli.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/log.h"
#include "core/number.h"
#include "platform/event_loop.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/process.h"
#include "shell/runtime/rendezvous_server.h"

namespace p2p::shell {

namespace {

constexpr const char* kUsage = R"(Usage: p2pchat rendezvous [options]

The rendezvous server of the PyP2P protocol, answering like the course's
reference server: REGISTER, DISCOVER and UNREGISTER, one request line per TCP
connection. Registrations are kept in --db and survive restarts.

Options:
  --listen HOST:PORT      address to listen on (default 0.0.0.0:8080; port 0
                          picks a free port; [::]:PORT for IPv6 and IPv4)
  --db PATH               registrations file, rewritten atomically on every
                          change and reloaded at start (default: memory only).
                          A corrupt file is reported and kept as PATH.bad-*
  --db-write-delay-ms MS  coalesce changes for MS before rewriting the file
                          (default 100; 0 rewrites after every burst of
                          requests, each rewrite pausing the server to fsync)
  --rate-limit N          connections per source IP per window before it is
                          blocked; 0 disables (default 50)
  --rate-window S         the sliding window, seconds (default 60)
  --block-seconds S       how long an IP over the limit is blocked (default 60)
  --idle-timeout S        silence before "Timeout: no data received" (default 5)
  --request-timeout S     longest time to receive a whole request (default 30)
  --max-connections N     concurrent connections; when full the oldest is
                          closed with the timeout answer (default 4096)
  --max-registrations N   registrations held; beyond, REGISTER answers
                          "registry_full" (default 16384)
  --max-tracked-ips N     source IPs whose rate history is kept (default 8192)
  --default-ttl S         ttl of a REGISTER without one (default 7200)
  --max-ttl S             upper clamp of ttl (default 86400)
  --log-level LEVEL       DEBUG, INFO, WARN, ERROR or OFF (default INFO)
  -h, --help              this text

On start it prints "listening on IP:PORT" to stdout. SIGINT/SIGTERM stop it
after writing pending changes to --db.
)";

struct Options {
    std::string listen = "0.0.0.0:8080";
    RendezvousServerConfig server;
    LogLevel log_level = LogLevel::kInfo;
    bool help = false;
};

// Returns an error text, or "" on success.
std::string parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            o.help = true;
            continue;
        }
        if (arg.substr(0, 2) != "--") return "unexpected argument: " + std::string(arg);
        std::string_view name = arg, value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            has_value = true;
        } else if (i + 1 < argc) {
            value = argv[i + 1];
        }
        auto take = [&]() {
            if (!has_value) ++i;
        };
        if (!has_value && i + 1 >= argc) return std::string(name) + " needs a value";
        std::int64_t n = 0;
        auto number = [&](std::int64_t min, std::int64_t max) -> bool {
            take();
            return parse_decimal(value, min, max, n);
        };
        auto bad = [&]() {
            return "bad value for " + std::string(name) + ": " + std::string(value);
        };
        RegistryConfig& reg = o.server.registry;
        if (name == "--listen") {
            take();
            o.listen = value;
        } else if (name == "--db") {
            take();
            o.server.db_path = value;
        } else if (name == "--db-write-delay-ms") {
            if (!number(0, 3'600'000)) return bad();
            o.server.db_write_delay_ms = n;
        } else if (name == "--rate-limit") {
            if (!number(0, 1'000'000)) return bad();
            reg.rate_limit = static_cast<std::uint32_t>(n);
        } else if (name == "--rate-window") {
            if (!number(1, 86'400)) return bad();
            reg.rate_window_ms = n * 1000;
        } else if (name == "--block-seconds") {
            if (!number(1, 86'400)) return bad();
            reg.block_ms = n * 1000;
        } else if (name == "--idle-timeout") {
            if (!number(1, 3600)) return bad();
            o.server.idle_timeout_ms = n * 1000;
        } else if (name == "--request-timeout") {
            if (!number(1, 3600)) return bad();
            o.server.request_timeout_ms = n * 1000;
        } else if (name == "--max-connections") {
            if (!number(1, 262'144)) return bad();
            o.server.max_connections = static_cast<std::size_t>(n);
        } else if (name == "--max-registrations") {
            if (!number(1, 10'000'000)) return bad();
            reg.max_registrations = static_cast<std::size_t>(n);
        } else if (name == "--max-tracked-ips") {
            if (!number(1, 10'000'000)) return bad();
            reg.max_tracked_ips = static_cast<std::size_t>(n);
        } else if (name == "--default-ttl") {
            if (!number(1, 86'400 * 365)) return bad();
            reg.default_ttl_s = n;
        } else if (name == "--max-ttl") {
            if (!number(1, 86'400 * 365)) return bad();
            reg.max_ttl_s = n;
        } else if (name == "--log-level") {
            take();
            if (!parse_log_level(value, o.log_level)) return bad();
        } else {
            return "unknown option: " + std::string(name);
        }
    }
    if (o.server.registry.default_ttl_s > o.server.registry.max_ttl_s)
        return "--default-ttl must not exceed --max-ttl";
    return "";
}

bool parse_listen(const std::string& text, platform::SockAddr& addr, std::string* err) {
    std::string host;
    std::uint16_t port = 0;
    if (!platform::split_host_port(text, host, port, /*allow_zero=*/true)) {
        *err = "--listen wants HOST:PORT, got " + text;
        return false;
    }
    if (host.empty() || host == "*") host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
    if (!platform::parse_numeric_addr(host, port, addr)) {
        *err = "--listen wants a numeric address (or localhost), got " + host;
        return false;
    }
    return true;
}

}  // namespace

int rendezvous_main(int argc, char** argv) {
    Options o;
    std::string err = parse_options(argc, argv, o);
    if (o.help) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (!err.empty()) {
        std::fprintf(stderr, "p2pchat rendezvous: %s\n(see --help)\n", err.c_str());
        return 2;
    }
    platform::SockAddr addr;
    if (!parse_listen(o.listen, addr, &err)) {
        std::fprintf(stderr, "p2pchat rendezvous: %s\n", err.c_str());
        return 2;
    }

    platform::StderrSink sink;
    logger().set_sink(&sink);
    logger().set_level(o.log_level);

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
        P2P_ERROR("Rendezvous", "cannot listen on %s: %s", o.listen.c_str(), err.c_str());
        logger().set_sink(nullptr);
        return 1;
    }
    loop.on_signal([&](int signo) {
        P2P_INFO("Rendezvous", "signal %d: stopping", signo);
        server.stop();
        loop.stop();
    });
    std::printf("listening on %s\n", server.bound_address().to_string().c_str());
    std::fflush(stdout);
    loop.run();
    server.stop();
    logger().set_sink(nullptr);
    return 0;
}

}  // namespace p2p::shell
