// The node's settings: command-line flags over a JSON config file over
// defaults (docs/protocol.md §6), all from one option table (option_table.h).
// Parsing is pure: the config file arrives through a reader callback and the
// default-rendezvous environment override as a string, so tests need neither
// files nor a process environment.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/node.h"
#include "core/rendezvous_client.h"
#include "platform/log_sinks.h"
#include "platform/net.h"
#include "platform/terminal.h"
#include "shell/app/option_table.h"
#include "shell/app/shared_options.h"

namespace p2p::shell {

// The rendezvous a node uses when none is configured (docs/protocol.md §6).
inline constexpr const char* kDefaultRendezvous = "127.0.0.1:8080";
// Environment variable that replaces kDefaultRendezvous, so tests can run the
// fallback path without touching port 8080.
inline constexpr const char* kDefaultRendezvousEnv = "P2PCHAT_DEFAULT_RENDEZVOUS";
// Environment variable that turns LAN discovery off whatever the options say
// (set and not "0"): the test suite sets it for every test, so nodes started
// on one machine by different tests never find each other nor announce
// anything beyond loopback.
inline constexpr const char* kNoLanDiscoveryEnv = "P2PCHAT_NO_LAN_DISCOVERY";

// The engine's settings are NodeOptions' own (it is a NodeConfig), so their
// defaults are the engine's; the rendezvous client's defaults likewise come
// from RendezvousClient::Config; the log, control and config-file settings
// are the ones the rendezvous server has too (SharedOptions). What is left is
// the program's.
struct NodeOptions : NodeConfig, SharedOptions {
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 0;  // 0: an ephemeral port, printed at start

    platform::HostPort rendezvous;     // where the client registers
    bool rendezvous_explicit = false;  // set by --rendezvous / the config file
    // Serve the rendezvous in-process at `serve_at`: forced by
    // --serve-rendezvous, or chosen at start when the default is silent.
    bool serve_rendezvous = false;
    platform::HostPort serve_at;
    std::string rendezvous_db;  // persistence of the in-process server ("" = memory only)
    bool discover_all_namespaces = RendezvousClient::Config{}.discover_all_namespaces;
    std::int64_t ttl_s = RendezvousClient::Config{}.ttl_s;
    MonoMs discovery_interval_ms = RendezvousClient::Config{}.discovery_interval_ms;
    std::vector<platform::HostPort> static_peers;
    // false (--no-lan-discovery): no announcements on the LAN, none heard (docs/protocol.md §7).
    bool lan_discovery = true;

    // false (--no-relay): forward nothing, no `relay` feature (docs/protocol.md §5).
    bool relay = (NodeConfig{}.features & kFeatureRelay) != 0;

    std::string log_file;
    std::string chat_log;  // --chat-log: every conversation line appended there
    bool syslog = false;
    platform::ColourChoice colour = platform::ColourChoice::kAuto;
    bool bell = false;  // ring the terminal bell on a direct message
    bool json = false;
    bool no_shell = false;
    bool stay = false;  // keep running when piped commands end
    // Paste guard: a paste of more lines than this asks before sending; 0: never.
    int paste_lines = 5;

    // The identity key file (docs/protocol.md §8); "": platform::default_key_path().
    std::string key_file;
    bool print_fingerprint = false;  // --fingerprint: print it (making the key) and exit

    std::vector<std::string> warnings;  // e.g. unknown config keys (not fatal)
};

// The node's option table: one row per flag / config key.
std::span<const OptionRow> node_option_rows();

// args excludes the program name. env_default_rendezvous is the value of
// kDefaultRendezvousEnv ("" when unset). On kError, `error` says what is
// wrong, naming the flag or config key.
ParseStatus parse_node_options(const std::vector<std::string>& args,
                               std::string_view env_default_rendezvous, const FileReader& read_file,
                               NodeOptions& out, std::string& error);

// The --help text: every row of the table, rendered.
std::string node_help_text();

// The engine's configuration: the options' engine fields, the relay feature
// bit from --no-relay and the seed.
NodeConfig engine_config(const NodeOptions& o, std::uint64_t seed);

}  // namespace p2p::shell
