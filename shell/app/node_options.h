// The node's settings: command-line flags over a JSON config file over
// defaults (PROTOCOL.md §6). Parsing is pure: the config file arrives through
// a reader callback and the default-rendezvous environment override as a
// string, so tests need neither files nor a process environment.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "platform/net.h"

namespace p2p::shell {

// The rendezvous a node uses when none is configured (PROTOCOL.md §6).
inline constexpr const char* kDefaultRendezvous = "127.0.0.1:8080";
// Environment variable that replaces kDefaultRendezvous, so tests can run the
// fallback path without touching port 8080.
inline constexpr const char* kDefaultRendezvousEnv = "P2PCHAT_DEFAULT_RENDEZVOUS";

struct NodeOptions {
    std::string name;
    std::string ns;
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 0;  // 0: an ephemeral port, printed at start

    platform::HostPort rendezvous;     // where the client registers
    bool rendezvous_explicit = false;  // set by --rendezvous / the config file
    // Serve the rendezvous in-process at `serve_at`: forced by
    // --serve-rendezvous, or chosen at start when the default is silent.
    bool serve_rendezvous = false;
    platform::HostPort serve_at;
    std::string rendezvous_db;  // persistence of the in-process server ("" = memory only)
    bool discover_all_namespaces = true;

    std::int64_t ttl_s = 7200;
    MonoMs discovery_interval_ms = 15'000;
    MonoMs ping_interval_ms = 30'000;
    int max_reconnect_attempts = 5;
    std::size_t max_peers = 64;
    std::vector<platform::HostPort> static_peers;

    // Relay (PROTOCOL.md §5); the defaults are the engine's.
    bool relay = true;                   // false (--no-relay): forward nothing, no `relay` feature
    int relay_ttl = 1;                   // origin ttl of our SEND/PUB/WHO_HAS, 1..8
    int relay_share_percent = 50;        // of each link's outgoing queue usable by relayed traffic
    int relay_rate_per_origin = 50;      // relayed messages per origin per second
    std::size_t max_routes = 128;        // cached routes dst -> via
    MonoMs route_age_ms = 120'000;       // how long a cached route is used
    std::size_t max_relay_acks = 512;    // forwarded SENDs whose ACK is passed back
    std::size_t max_pending_sends = 64;  // our SENDs awaiting ACK or a WHO_HAS answer
    std::size_t queue_max_bytes = 64 * 1024;  // each link's outgoing queue
    std::size_t queue_max_msgs = 256;

    LogLevel log_level = LogLevel::kInfo;
    std::string log_file;
    bool syslog = false;
    bool json = false;
    bool no_shell = false;

    std::string config_file;
    std::vector<std::string> warnings;  // e.g. unknown config keys (not fatal)
};

enum class ParseStatus { kRun, kHelp, kError };

// Reads a whole file; false with *error set when it cannot.
using FileReader =
    std::function<bool(const std::string& path, std::string& out, std::string& error)>;

// args excludes the program name. env_default_rendezvous is the value of
// kDefaultRendezvousEnv ("" when unset). On kError, `error` says what is
// wrong, naming the flag or config key.
ParseStatus parse_node_options(const std::vector<std::string>& args,
                               std::string_view env_default_rendezvous, const FileReader& read_file,
                               NodeOptions& out, std::string& error);

// The --help text: every flag and config key.
std::string node_help_text();

}  // namespace p2p::shell
