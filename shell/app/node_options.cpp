#include "shell/app/node_options.h"

#include "core/rendezvous_client.h"
#include "core/text.h"
#include "platform/net.h"

namespace p2p::shell {

namespace {

using O = NodeOptions;
using K = OptionKind;

constexpr std::string_view kIdentity = "Identity and listening";
constexpr std::string_view kRendezvous = "Rendezvous";
constexpr std::string_view kPeers = "Peers";
constexpr std::string_view kRelay = "Relay (forwarding for peers that cannot reach each other)";
constexpr std::string_view kOutput = "Output and logs";

constexpr std::int64_t kMaxTtlSeconds = 86400;  // the server clamps into 1..86400
// The engine needs room for one maximal line plus its control headroom.
constexpr std::int64_t kMinQueueBytes = 36865;
constexpr std::int64_t kMaxQueueBytes = 16 * 1024 * 1024;
constexpr std::int64_t kMaxCount = 65535;
// Room for a few of the longest SENDs; at most what a small board can spare.
constexpr std::int64_t kMinUserQueueBytes = 128 * 1024;
constexpr std::int64_t kMaxUserQueueBytes = 1024 * 1024 * 1024;

bool non_empty(std::string_view text) {
    return !text.empty();
}

// The node binds without a resolver.
bool numeric_address(std::string_view text) {
    platform::SockAddr addr;
    return platform::parse_numeric_addr(text, 0, addr);
}

constexpr OptionChoice kDiscoverChoices[] = {{"all", 1}, {"namespace", 0}};
constexpr OptionChoice kColourChoices[] = {
    {"auto", static_cast<std::int64_t>(platform::ColourChoice::kAuto)},
    {"always", static_cast<std::int64_t>(platform::ColourChoice::kAlways)},
    {"never", static_cast<std::int64_t>(platform::ColourChoice::kNever)}};

// The Python client's rendezvous_host / rendezvous_port pair; after_config
// checks the pair and fills in the default port.
void set_rendezvous_host(O& o, const OptionValue& v) {
    o.rendezvous.host = v.text;
}
void set_rendezvous_port(O& o, const OptionValue& v) {
    o.rendezvous.port = static_cast<std::uint16_t>(v.number);
}
// Without an address: serve at the default rendezvous (resolved at the end).
void set_serve_rendezvous(O& o, const OptionValue& v) {
    o.serve_rendezvous = v.on;
    if (v.given)
        o.serve_at = v.addresses.front();
    else if (v.on)
        o.serve_at = platform::HostPort{};
}

constexpr OptionRow kOwnRows[] = {
    bind<O, &O::name>({.section = kIdentity,
                       .flag = "--name",
                       .metavar = "NAME",
                       .help = "local name, 1..64 of A-Z a-z 0-9 . _ - (required)",
                       .check = is_valid_local_name,
                       .expected = "1..64 characters of A-Z a-z 0-9 . _ -"}),
    bind<O, &O::ns>({.section = kIdentity,
                     .flag = "--namespace",
                     .metavar = "NS",
                     .help = "local namespace, same characters (required)",
                     .check = is_valid_local_name,
                     .expected = "1..64 characters of A-Z a-z 0-9 . _ -"}),
    bind<O, &O::key_file>({.section = kIdentity,
                           .flag = "--key",
                           .metavar = "FILE",
                           .help = "the node's identity key (made on first start, mode 0600); "
                                   "default: node.key in $STATE_DIRECTORY, "
                                   "$XDG_STATE_HOME/p2pchat or ~/.local/state/p2pchat"}),
    bind<O, &O::print_fingerprint>({.section = kIdentity,
                                    .flag = "--fingerprint",
                                    .help = "print the key's fingerprint (making the key if "
                                            "missing) and exit; needs no --name",
                                    .kind = K::kSwitch}),
    bind<O, &O::listen_port>({.section = kIdentity,
                              .flag = "--port",
                              .key = "listen_port",
                              .metavar = "PORT",
                              .help = "TCP port peers dial; 0 = any free port, printed at start",
                              .kind = K::kInteger,
                              .lo = 0,
                              .hi = 65535}),
    bind<O, &O::listen_host>({.section = kIdentity,
                              .flag = "--listen-host",
                              .metavar = "ADDR",
                              .help = "numeric address to listen on",
                              .check = numeric_address,
                              .expected = "a numeric address"}),

    bind<O, &O::rendezvous>(
        {.section = kRendezvous,
         .flag = "--rendezvous",
         .metavar = "HOST:PORT",
         .help = "the rendezvous server (default 127.0.0.1:8080; if nothing answers there the "
                 "node serves it in-process on that address). The environment variable "
                 "P2PCHAT_DEFAULT_RENDEZVOUS=HOST:PORT replaces that default (tests use it).",
         .kind = K::kHostPort}),
    bind_setter<O, set_rendezvous_host>(
        {.section = kRendezvous,
         .key = "rendezvous_host",
         .metavar = "HOST",
         .help = "the rendezvous server's host (port 8080 unless rendezvous_port says)",
         .check = non_empty,
         .expected = "a host name or address"}),
    bind_setter<O, set_rendezvous_port>({.section = kRendezvous,
                                         .key = "rendezvous_port",
                                         .metavar = "PORT",
                                         .help = "the rendezvous server's port",
                                         .kind = K::kInteger,
                                         .lo = 1,
                                         .hi = 65535}),
    bind_setter<O, set_serve_rendezvous>(
        {.section = kRendezvous,
         .flag = "--serve-rendezvous",
         .metavar = "[HOST:PORT]",
         .help = "serve the rendezvous in-process (default address as above; 0.0.0.0:8080 "
                 "serves the LAN) and register with it; config: true or \"HOST:PORT\"",
         .kind = K::kServeAt,
         .allow_zero = true}),
    bind<O, &O::rendezvous_db>({.section = kRendezvous,
                                .flag = "--rendezvous-db",
                                .metavar = "PATH",
                                .help = "registrations file of the in-process server "
                                        "(default: kept in memory only)"}),
    bind<O, &O::ttl_s>({.section = kRendezvous,
                        .flag = "--ttl",
                        .key = "ttl_seconds",
                        .metavar = "SECONDS",
                        .help = "registration ttl; the node registers again at ttl/2",
                        .kind = K::kInteger,
                        .lo = 1,
                        .hi = kMaxTtlSeconds}),
    bind<O, &O::discovery_interval_ms>({.section = kRendezvous,
                                        .flag = "--discovery-interval",
                                        .key = "discovery_interval",
                                        .metavar = "SECONDS",
                                        .help = "DISCOVER period; decimals allowed",
                                        .kind = K::kSeconds}),
    bind<O, &O::discover_all_namespaces>({.section = kRendezvous,
                                          .flag = "--discover",
                                          .metavar = "all|namespace",
                                          .help = "list every namespace or only ours",
                                          .kind = K::kChoice,
                                          .choices = kDiscoverChoices}),

    bind<O, &O::static_peers>({.section = kPeers,
                               .flag = "--peer",
                               .key = "peers",
                               .metavar = "HOST:PORT",
                               .help = "a static peer to dial (repeatable; config: an array); "
                                       "meshes without any rendezvous",
                               .kind = K::kHostPortList}),
    bind<O, &O::lan_discovery>(
        {.section = kPeers,
         .flag = "--no-lan-discovery",
         .key = "lan_discovery",
         .help = "neither announce this node on the local network nor listen for other nodes' "
                 "announcements (UDP port 47474, multicast to 239.255.112.99 and ff02::7032:7063); "
                 "the environment variable P2PCHAT_NO_LAN_DISCOVERY=1 does the same",
         .kind = K::kSwitch,
         .switch_value = false}),
    bind<O, &O::max_peers>({.section = kPeers,
                            .flag = "--max-peers",
                            .metavar = "N",
                            .help = "peer table size",
                            .kind = K::kInteger,
                            .lo = 1,
                            .hi = kMaxCount}),
    bind<O, &O::max_peers_per_address>(
        {.section = kPeers,
         .flag = "--max-peers-per-address",
         .metavar = "N",
         .help = "peer records one address may create by HELLO; past it its idle ones are "
                 "forgotten first, then its HELLOs refused",
         .kind = K::kInteger,
         .lo = 1,
         .hi = kMaxCount}),
    bind<O, &O::max_handshakes_per_address>(
        {.section = kPeers,
         .flag = "--max-handshakes-per-address",
         .metavar = "N",
         .help = "connections one address may hold open before their HELLO",
         .kind = K::kInteger,
         .lo = 1,
         .hi = kMaxCount}),
    bind<O, &O::ping_interval_ms>({.section = kPeers,
                                   .flag = "--ping-interval",
                                   .key = "ping_interval",
                                   .metavar = "SECONDS",
                                   .help = "PING period per link",
                                   .kind = K::kSeconds}),
    bind<O, &O::max_reconnect_attempts>({.section = kPeers,
                                         .flag = "--max-reconnect-attempts",
                                         .metavar = "N",
                                         .help = "redials of a lost peer before it stays STALE",
                                         .kind = K::kInteger,
                                         .lo = 0,
                                         .hi = 1000}),

    bind<O, &O::relay>({.section = kRelay,
                        .flag = "--no-relay",
                        .key = "relay",
                        .help = "forward nothing for others and do not announce the relay "
                                "feature",
                        .kind = K::kSwitch,
                        .switch_value = false}),
    bind<O, &O::relay_ttl>({.section = kRelay,
                            .flag = "--relay-ttl",
                            .metavar = "N",
                            .help = "relays our messages may cross; also the most a "
                                    "forwarded message keeps",
                            .kind = K::kInteger,
                            .lo = 1,
                            .hi = 8}),
    bind<O, &O::relay_share_percent>(
        {.section = kRelay,
         .flag = "--relay-share",
         .key = "relay_share_percent",
         .metavar = "PERCENT",
         .help = "share of each link's outgoing queue relayed traffic may fill before the "
                 "links feeding it are paused (backpressure)",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 100}),
    bind<O, &O::relay_rate_per_origin>(
        {.section = kRelay,
         .flag = "--relay-rate",
         .key = "relay_rate_per_origin",
         .metavar = "N",
         .help = "messages forwarded per origin per second (SEND, PUB, WHO_HAS, ...), in "
                 "bursts of up to one second's worth; past it over_quota",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 1'000'000}),
    bind<O, &O::relay_rate_per_link>(
        {.section = kRelay,
         .flag = "--relay-rate-link",
         .key = "relay_rate_per_link",
         .metavar = "N",
         .help = "messages forwarded per neighbour link per second, whatever their origin, in "
                 "bursts of up to one second's worth; past it over_quota",
         .kind = K::kInteger,
         .lo = 1,
         .hi = 1'000'000}),
    bind<O, &O::slow_reader_ms>({.section = kRelay,
                                 .flag = "--slow-reader",
                                 .metavar = "SECONDS",
                                 .help = "a peer whose queue stays full this long gets no more "
                                         "relayed copies until it catches up",
                                 .kind = K::kSeconds}),
    bind<O, &O::max_routes>({.section = kRelay,
                             .flag = "--max-routes",
                             .metavar = "N",
                             .help = "cached routes",
                             .kind = K::kInteger,
                             .lo = 1,
                             .hi = kMaxCount}),
    bind<O, &O::route_ttl_ms>({.section = kRelay,
                               .flag = "--route-age",
                               .metavar = "SECONDS",
                               .help = "how long a learnt route is used",
                               .kind = K::kSeconds}),
    bind<O, &O::max_relay_acks>({.section = kRelay,
                                 .flag = "--max-relay-acks",
                                 .metavar = "N",
                                 .help = "forwarded SENDs whose ACK is passed back",
                                 .kind = K::kInteger,
                                 .lo = 1,
                                 .hi = kMaxCount}),
    bind<O, &O::max_pending_sends>(
        {.section = kRelay,
         .flag = "--max-pending-sends",
         .metavar = "N",
         .help = "our SENDs written and awaiting their ACK, per peer that relays (a legacy "
                 "peer gets one at a time)",
         .kind = K::kInteger,
         .lo = 1,
         .hi = kMaxCount}),
    bind<O, &O::max_user_queue_bytes>(
        {.section = kPeers,
         .flag = "--max-user-queue-bytes",
         .metavar = "N",
         .help = "bytes of our typed or piped messages queued for their peers, all peers; "
                 "when full, input is not read until there is room",
         .kind = K::kInteger,
         .lo = kMinUserQueueBytes,
         .hi = kMaxUserQueueBytes}),
    bind<O, &O::queue_max_bytes>({.section = kRelay,
                                  .flag = "--queue-bytes",
                                  .key = "queue_max_bytes",
                                  .metavar = "N",
                                  .help = "each link's outgoing queue in bytes",
                                  .kind = K::kInteger,
                                  .lo = kMinQueueBytes,
                                  .hi = kMaxQueueBytes}),
    bind<O, &O::queue_max_msgs>({.section = kRelay,
                                 .flag = "--queue-msgs",
                                 .key = "queue_max_msgs",
                                 .metavar = "N",
                                 .help = "each link's outgoing queue in messages",
                                 .kind = K::kInteger,
                                 .lo = 1,
                                 .hi = kMaxCount}),

    bind<O, &O::json>({.section = kOutput,
                       .flag = "--json",
                       .help = "events on stdout as JSON lines",
                       .kind = K::kSwitch}),
    bind<O, &O::no_shell>({.section = kOutput,
                           .flag = "--no-shell",
                           .help = "headless: no interactive shell, stdin ignored",
                           .kind = K::kSwitch}),
    bind<O, &O::stay>({.section = kOutput,
                       .flag = "--stay",
                       .help = "keep running when piped commands end (default: exit once "
                               "what they sent is delivered or failed)",
                       .kind = K::kSwitch}),
    bind<O, &O::log_file>({.section = kOutput,
                           .flag = "--log-file",
                           .metavar = "PATH",
                           .help = "logs to PATH instead of stderr"}),
    bind<O, &O::chat_log>({.section = kOutput,
                           .flag = "--chat-log",
                           .metavar = "PATH",
                           .help = "append every conversation line (messages in and out, "
                                   "deliveries) to PATH, mode 0600; reopened on SIGHUP"}),
    bind<O, &O::syslog>({.section = kOutput,
                         .flag = "--syslog",
                         .help = "logs to syslog (facility daemon) instead of stderr: the "
                                 "same as --log-format syslog",
                         .kind = K::kSwitch}),
    bind<O, &O::colour>({.section = kOutput,
                         .flag = "--color",
                         .metavar = "auto|always|never",
                         .help = "colour on the terminal; auto: only on a tty, and not when "
                                 "NO_COLOR is set or TERM=dumb",
                         .kind = K::kChoice,
                         .choices = kColourChoices}),
    bind<O, &O::paste_lines>({.section = kOutput,
                              .flag = "--paste-lines",
                              .metavar = "N",
                              .help = "at the prompt, a paste of more than N lines asks before "
                                      "sending (0: never asks; default 5)",
                              .kind = K::kInteger,
                              .lo = 0,
                              .hi = 100000}),
    bind<O, &O::bell>({.section = kOutput,
                       .flag = "--bell",
                       .help = "ring the terminal bell when a direct message arrives",
                       .kind = K::kSwitch}),
};
constexpr auto kRows = join_rows(kOwnRows, shared_option_rows<O>(kOutput));

constexpr const char* kIntro = R"(usage: p2pchat --name NAME --namespace NS [options]
       p2pchat rendezvous [options]      (the rendezvous server; see its --help)
       p2pchat attach [PATH] [-c CMD] [--read-only]  (a --control node's shell)

A chat node: registers with a rendezvous server, discovers peers, keeps links
to them and relays for them. Commands are read from stdin (see /help).
)";

constexpr const char* kOutro =
    "SIGINT/SIGTERM or /quit: say BYE to every peer, UNREGISTER, exit 0. SIGHUP: the\n"
    "same with a terminal; headless (--no-shell or no tty), reopen --log-file and\n"
    "--chat-log and reload the config file's log_level, discovery_interval,\n"
    "ping_interval and relay_share_percent. SIGUSR1: one stats line in the log.\n";

platform::HostPort default_rendezvous() {
    platform::HostPort hp;
    platform::split_host_port(kDefaultRendezvous, hp, false);
    return hp;
}

// rendezvous_port alone names no server; rendezvous_host alone takes the
// default rendezvous port.
bool check_rendezvous_keys(void* target, const std::string& path, std::string& error) {
    O& o = *static_cast<O*>(target);
    if (o.rendezvous.host.empty() && o.rendezvous.port != 0) {
        error = "config file " + path + ": key 'rendezvous_port' needs 'rendezvous_host'";
        return false;
    }
    if (!o.rendezvous.host.empty() && o.rendezvous.port == 0)
        o.rendezvous.port = default_rendezvous().port;
    return true;
}

// Where the node registers and would serve when nothing says otherwise.
bool resolve_rendezvous(std::string_view env_default_rendezvous, O& o, std::string& error) {
    platform::HostPort fallback = default_rendezvous();
    if (!env_default_rendezvous.empty() &&
        !platform::split_host_port(env_default_rendezvous, fallback, false)) {
        error = std::string(kDefaultRendezvousEnv) + ": expected HOST:PORT, got " +
                quoted(env_default_rendezvous);
        return false;
    }
    o.rendezvous_explicit = !o.rendezvous.host.empty();
    if (o.serve_rendezvous && o.serve_at.host.empty()) o.serve_at = fallback;
    if (!o.rendezvous_explicit) {
        // Until the node knows whether someone answers there, the default
        // address is both where it registers and where it would serve.
        o.rendezvous = o.serve_rendezvous ? o.serve_at : fallback;
        if (!o.serve_rendezvous) o.serve_at = fallback;
    }
    return true;
}

// A forced --serve-rendezvous binds without a resolver, so its address
// (perhaps the environment's default) must be numeric. Checked here, not at
// start, so --check-config sees it.
bool check_serve_address(const O& o, std::string& error) {
    platform::SockAddr addr;
    if (o.serve_rendezvous &&
        !platform::parse_numeric_addr(o.serve_at.host, o.serve_at.port, addr)) {
        error = "--serve-rendezvous needs a numeric address, not " + o.serve_at.to_string();
        return false;
    }
    return true;
}

}  // namespace

std::span<const OptionRow> node_option_rows() {
    return kRows;
}

ParseStatus parse_node_options(const std::vector<std::string>& args,
                               std::string_view env_default_rendezvous, const FileReader& read_file,
                               NodeOptions& out, std::string& error) {
    NodeOptions o;
    OptionParser parser{kRows, read_file, check_rendezvous_keys};
    ParseStatus status = parse_with_table(parser, args, &o, o.warnings, error);
    if (status != ParseStatus::kRun) return status;
    if (o.print_fingerprint) {  // needs nothing but the key
        out = std::move(o);
        return ParseStatus::kRun;
    }
    if (o.name.empty()) {
        error = "missing --name (or \"name\" in the config file)";
        return ParseStatus::kError;
    }
    if (o.ns.empty()) {
        error = "missing --namespace (or \"namespace\" in the config file)";
        return ParseStatus::kError;
    }
    if (!resolve_rendezvous(env_default_rendezvous, o, error) || !check_serve_address(o, error))
        return ParseStatus::kError;
    out = std::move(o);
    return ParseStatus::kRun;
}

std::string node_help_text() {
    const NodeOptions defaults;
    return render_help(kRows, &defaults, kIntro, std::string(kOutro) + kExitCodesHelp);
}

NodeConfig engine_config(const NodeOptions& o, std::uint64_t seed) {
    NodeConfig c = o;  // the engine's fields, as the table set them
    if (!o.relay) c.features &= ~kFeatureRelay;
    c.seed = seed;
    return c;
}

}  // namespace p2p::shell
