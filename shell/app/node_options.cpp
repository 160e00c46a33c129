#include "shell/app/node_options.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <charconv>
#include <cmath>

#include "core/number.h"
#include "core/rendezvous_client.h"
#include "core/text.h"
#include "platform/net.h"

namespace p2p::shell {

namespace {

constexpr std::int64_t kMaxTtlSeconds = 86400;  // the server clamps into 1..86400
constexpr double kMaxIntervalSeconds = 86400;
// The engine needs room for one maximal line plus its control headroom.
constexpr std::int64_t kMinQueueBytes = 36865;
constexpr std::int64_t kMaxQueueBytes = 16 * 1024 * 1024;

// Relay bounds: each settable by a config key and a flag with one meaning.
struct RelayBound {
    std::string_view key;
    std::string_view flag;
};
constexpr RelayBound kRelayBounds[] = {
    {"relay_ttl", "--relay-ttl"},
    {"relay_share_percent", "--relay-share"},
    {"relay_rate_per_origin", "--relay-rate"},
    {"max_routes", "--max-routes"},
    {"route_age", "--route-age"},
    {"max_relay_acks", "--max-relay-acks"},
    {"max_pending_sends", "--max-pending-sends"},
    {"queue_max_bytes", "--queue-bytes"},
    {"queue_max_msgs", "--queue-msgs"},
};

// The config key of a relay bound named by key or flag; empty if none.
std::string_view relay_bound_key(std::string_view name) {
    for (const RelayBound& b : kRelayBounds)
        if (b.key == name || b.flag == name) return b.key;
    return {};
}

// ---- value checks shared by flags and config keys ------------------------------

bool parse_int(std::string_view text, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    return parse_decimal(text, lo, hi, out);
}

bool seconds_to_ms(double seconds, MonoMs& out) {
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > kMaxIntervalSeconds) return false;
    out = static_cast<MonoMs>(std::llround(seconds * 1000.0));
    if (out < 1) out = 1;
    return true;
}

bool parse_seconds(std::string_view text, MonoMs& out) {
    if (text.empty()) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return false;
    return seconds_to_ms(v, out);
}

std::string quoted(std::string_view text) {
    std::string s = "\"";
    for (char c : text.substr(0, 60))
        s += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    if (text.size() > 60) s += "...";
    return s + "\"";
}

// One setting, whether it came from a flag or a config key. `what` names the
// source in errors ("--ttl" or "config key 'ttl_seconds'").
struct Setter {
    NodeOptions& o;
    std::string& error;

    bool fail(const std::string& what, const std::string& expected, std::string_view got) {
        error = what + ": expected " + expected + ", got " + quoted(got);
        return false;
    }

    bool name(const std::string& what, std::string_view v, std::string& dst) {
        if (!is_valid_local_name(v)) return fail(what, "1..64 characters of A-Z a-z 0-9 . _ -", v);
        dst.assign(v);
        return true;
    }
    bool integer(const std::string& what, std::string_view v, std::int64_t lo, std::int64_t hi,
                 std::int64_t& dst) {
        if (!parse_int(v, lo, hi, dst))
            return fail(what, "an integer " + std::to_string(lo) + ".." + std::to_string(hi), v);
        return true;
    }
    bool seconds(const std::string& what, std::string_view v, MonoMs& dst) {
        if (!parse_seconds(v, dst)) return fail(what, "seconds > 0 (e.g. 15 or 0.5)", v);
        return true;
    }
    bool address(const std::string& what, std::string_view v, platform::HostPort& dst,
                 bool allow_zero) {
        if (!platform::split_host_port(v, dst, allow_zero))
            return fail(what, "HOST:PORT (IPv6 as [addr]:port)", v);
        return true;
    }
    bool level(const std::string& what, std::string_view v) {
        if (!parse_log_level(v, o.log_level)) return fail(what, "DEBUG, INFO, WARN or ERROR", v);
        return true;
    }
    // `key` from relay_bound_key().
    bool relay_bound(std::string_view key, const std::string& what, std::string_view v) {
        std::int64_t n = 0;
        if (key == "route_age") return seconds(what, v, o.route_age_ms);
        if (key == "relay_ttl") {
            if (!integer(what, v, 1, 8, n)) return false;
            o.relay_ttl = static_cast<int>(n);
        } else if (key == "relay_share_percent") {
            if (!integer(what, v, 1, 100, n)) return false;
            o.relay_share_percent = static_cast<int>(n);
        } else if (key == "relay_rate_per_origin") {
            if (!integer(what, v, 1, 1'000'000, n)) return false;
            o.relay_rate_per_origin = static_cast<int>(n);
        } else if (key == "queue_max_bytes") {
            if (!integer(what, v, kMinQueueBytes, kMaxQueueBytes, n)) return false;
            o.queue_max_bytes = static_cast<std::size_t>(n);
        } else {
            if (!integer(what, v, 1, 65535, n)) return false;
            std::size_t count = static_cast<std::size_t>(n);
            if (key == "max_routes") o.max_routes = count;
            if (key == "max_relay_acks") o.max_relay_acks = count;
            if (key == "max_pending_sends") o.max_pending_sends = count;
            if (key == "queue_max_msgs") o.queue_max_msgs = count;
        }
        return true;
    }
    bool discover(const std::string& what, std::string_view v) {
        if (v == "all")
            o.discover_all_namespaces = true;
        else if (v == "namespace")
            o.discover_all_namespaces = false;
        else
            return fail(what, "all or namespace", v);
        return true;
    }
};

// ---- the config file ---------------------------------------------------------------

// A JSON scalar as text, so the same checks serve flags and keys. Python
// configs write numbers, sometimes as strings ("8080"); both are accepted.
bool scalar_text(const rapidjson::Value& v, std::string& out) {
    if (v.IsString()) {
        out.assign(v.GetString(), v.GetStringLength());
    } else if (v.IsInt64()) {
        out = std::to_string(v.GetInt64());
    } else if (v.IsDouble()) {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.GetDouble());
        if (ec != std::errc()) return false;
        out.assign(buf, end);
    } else {
        return false;
    }
    return true;
}

std::string json_kind(const rapidjson::Value& v) {
    if (v.IsNull()) return "null";
    if (v.IsBool()) return v.GetBool() ? "true" : "false";
    if (v.IsArray()) return "an array";
    if (v.IsObject()) return "an object";
    return "a value";
}

bool apply_config(const std::string& path, const std::string& text, NodeOptions& o,
                  std::string& error) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError()) {
        error = "config file " + path + ": not valid JSON at byte " +
                std::to_string(doc.GetErrorOffset()) + ": " +
                rapidjson::GetParseError_En(doc.GetParseError());
        return false;
    }
    if (!doc.IsObject()) {
        error = "config file " + path + ": expected a JSON object";
        return false;
    }
    Setter set{o, error};
    bool have_rdv_host = false;
    bool have_rdv_port = false;
    platform::HostPort rdv{"", 8080};
    // Const iterators: RapidJSON's mutable ones make C++20 operator!= ambiguous
    // (clang's -Wambiguous-reversed-operator).
    const rapidjson::Value& root = doc;
    for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
        std::string key(it->name.GetString(), it->name.GetStringLength());
        const rapidjson::Value& v = it->value;
        std::string what = "config file " + path + ": key '" + key + "'";
        std::string s;
        bool scalar = scalar_text(v, s);
        std::int64_t n = 0;
        auto need_scalar = [&]() {
            if (!scalar) error = what + ": expected a string or number, got " + json_kind(v);
            return scalar;
        };
        auto need_bool = [&](bool& dst) {
            if (!v.IsBool()) {
                error =
                    what + ": expected true or false, got " + (scalar ? quoted(s) : json_kind(v));
                return false;
            }
            dst = v.GetBool();
            return true;
        };
        bool ok = true;
        if (key == "name") {
            ok = need_scalar() && set.name(what, s, o.name);
        } else if (key == "namespace") {
            ok = need_scalar() && set.name(what, s, o.ns);
        } else if (key == "rendezvous_host") {
            ok = need_scalar();
            if (ok && s.empty()) ok = set.fail(what, "a host name or address", s);
            rdv.host = s;
            have_rdv_host = true;
        } else if (key == "rendezvous_port") {
            ok = need_scalar() && set.integer(what, s, 1, 65535, n);
            rdv.port = static_cast<std::uint16_t>(n);
            have_rdv_port = true;
        } else if (key == "listen_port") {
            ok = need_scalar() && set.integer(what, s, 0, 65535, n);
            o.listen_port = static_cast<std::uint16_t>(n);
        } else if (key == "listen_host") {
            ok = need_scalar();
            if (ok && s.empty()) ok = set.fail(what, "an address", s);
            o.listen_host = s;
        } else if (key == "ttl_seconds") {
            ok = need_scalar() && set.integer(what, s, 1, kMaxTtlSeconds, o.ttl_s);
        } else if (key == "discovery_interval") {
            ok = need_scalar() && set.seconds(what, s, o.discovery_interval_ms);
        } else if (key == "ping_interval") {
            ok = need_scalar() && set.seconds(what, s, o.ping_interval_ms);
        } else if (key == "max_reconnect_attempts") {
            ok = need_scalar() && set.integer(what, s, 0, 1000, n);
            o.max_reconnect_attempts = static_cast<int>(n);
        } else if (key == "max_peers") {
            ok = need_scalar() && set.integer(what, s, 1, 65535, n);
            o.max_peers = static_cast<std::size_t>(n);
        } else if (key == "peers") {
            if (!v.IsArray()) {
                error = what + ": expected an array of \"HOST:PORT\" strings";
                return false;
            }
            o.static_peers.clear();
            for (const auto& item : v.GetArray()) {
                if (!item.IsString()) {
                    error = what + ": expected \"HOST:PORT\" strings, got " + json_kind(item);
                    return false;
                }
                platform::HostPort hp;
                if (!set.address(what, item.GetString(), hp, false)) return false;
                o.static_peers.push_back(hp);
            }
        } else if (key == "log_level") {
            ok = need_scalar() && set.level(what, s);
        } else if (key == "log_file") {
            ok = need_scalar();
            o.log_file = s;
        } else if (key == "syslog") {
            ok = need_bool(o.syslog);
        } else if (key == "json") {
            ok = need_bool(o.json);
        } else if (key == "no_shell") {
            ok = need_bool(o.no_shell);
        } else if (key == "serve_rendezvous") {
            if (v.IsBool()) {
                o.serve_rendezvous = v.GetBool();
            } else {
                ok = need_scalar() && set.address(what, s, o.serve_at, true);
                o.serve_rendezvous = ok;
            }
        } else if (key == "rendezvous_db") {
            ok = need_scalar();
            o.rendezvous_db = s;
        } else if (key == "discover") {
            ok = need_scalar() && set.discover(what, s);
        } else if (key == "relay") {
            ok = need_bool(o.relay);
        } else if (std::string_view bound = relay_bound_key(key); !bound.empty()) {
            ok = need_scalar() && set.relay_bound(bound, what, s);
        } else {
            o.warnings.push_back("config file " + path + ": unknown key '" + key + "' ignored");
        }
        if (!ok) return false;
    }
    if (have_rdv_port && !have_rdv_host) {
        error = "config file " + path + ": key 'rendezvous_port' needs 'rendezvous_host'";
        return false;
    }
    if (have_rdv_host) {
        o.rendezvous = rdv;
        o.rendezvous_explicit = true;
    }
    return true;
}

// ---- flags ---------------------------------------------------------------------------

struct Flag {
    std::string_view name;
    bool takes_value;
};

constexpr Flag kFlags[] = {
    {"--name", true},
    {"--namespace", true},
    {"--port", true},
    {"--listen-host", true},
    {"--rendezvous", true},
    {"--serve-rendezvous", false},  // optional value
    {"--rendezvous-db", true},
    {"--discover", true},
    {"--ttl", true},
    {"--discovery-interval", true},
    {"--ping-interval", true},
    {"--max-reconnect-attempts", true},
    {"--max-peers", true},
    {"--peer", true},
    {"--config", true},
    {"--log-level", true},
    {"--log-file", true},
    {"--syslog", false},
    {"--json", false},
    {"--no-shell", false},
    {"--help", false},
    {"--no-relay", false},
    {"--relay-ttl", true},
    {"--relay-share", true},
    {"--relay-rate", true},
    {"--max-routes", true},
    {"--route-age", true},
    {"--max-relay-acks", true},
    {"--max-pending-sends", true},
    {"--queue-bytes", true},
    {"--queue-msgs", true},
};

const Flag* find_flag(std::string_view name) {
    for (const Flag& f : kFlags)
        if (f.name == name) return &f;
    return nullptr;
}

}  // namespace

ParseStatus parse_node_options(const std::vector<std::string>& args,
                               std::string_view env_default_rendezvous, const FileReader& read_file,
                               NodeOptions& out, std::string& error) {
    NodeOptions o;
    Setter set{o, error};

    // Split "--flag=value" and pair flags with their values first, so a
    // value is never mistaken for a flag and --config can be applied before
    // every other flag (flags override the file wherever they stand).
    struct Item {
        const Flag* flag;
        std::string value;
        bool has_value;
    };
    std::vector<Item> items;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "-h") arg = "--help";
        std::string_view name = arg;
        std::string value;
        bool inline_value = false;
        if (std::size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = arg.substr(0, eq);
            value.assign(arg.substr(eq + 1));
            inline_value = true;
        }
        const Flag* flag = find_flag(name);
        if (!flag) {
            error = arg.rfind("-", 0) == 0 ? "unknown option " + std::string(arg)
                                           : "unexpected argument " + quoted(arg);
            error += " (see --help)";
            return ParseStatus::kError;
        }
        Item item{flag, value, inline_value};
        if (flag->name == "--serve-rendezvous") {
            // Optional HOST:PORT: taken when the next word is not a flag.
            if (!inline_value && i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) {
                item.value = args[++i];
                item.has_value = true;
            }
        } else if (flag->takes_value && !inline_value) {
            if (i + 1 >= args.size()) {
                error = std::string(flag->name) + " needs a value (see --help)";
                return ParseStatus::kError;
            }
            item.value = args[++i];
            item.has_value = true;
        } else if (!flag->takes_value && inline_value) {
            error = std::string(flag->name) + " takes no value";
            return ParseStatus::kError;
        }
        if (flag->name == "--help") return ParseStatus::kHelp;
        items.push_back(std::move(item));
    }

    for (const Item& item : items) {
        if (item.flag->name != "--config") continue;
        o.config_file = item.value;
        std::string text;
        std::string why;
        if (!read_file(item.value, text, why)) {
            error = "config file " + item.value + ": " + why;
            return ParseStatus::kError;
        }
        if (!apply_config(item.value, text, o, error)) return ParseStatus::kError;
    }

    bool peers_from_flags = false;
    for (const Item& item : items) {
        const std::string what(item.flag->name);
        const std::string& v = item.value;
        std::string_view f = item.flag->name;
        std::int64_t n = 0;
        bool ok = true;
        if (f == "--config") {
            continue;
        } else if (f == "--name") {
            ok = set.name(what, v, o.name);
        } else if (f == "--namespace") {
            ok = set.name(what, v, o.ns);
        } else if (f == "--port") {
            ok = set.integer(what, v, 0, 65535, n);
            o.listen_port = static_cast<std::uint16_t>(n);
        } else if (f == "--listen-host") {
            ok = !v.empty() || set.fail(what, "an address", v);
            o.listen_host = v;
        } else if (f == "--rendezvous") {
            ok = set.address(what, v, o.rendezvous, false);
            o.rendezvous_explicit = true;
        } else if (f == "--serve-rendezvous") {
            o.serve_rendezvous = true;
            o.serve_at = platform::HostPort{};
            if (item.has_value) ok = set.address(what, v, o.serve_at, true);
        } else if (f == "--rendezvous-db") {
            o.rendezvous_db = v;
        } else if (f == "--discover") {
            ok = set.discover(what, v);
        } else if (f == "--ttl") {
            ok = set.integer(what, v, 1, kMaxTtlSeconds, o.ttl_s);
        } else if (f == "--discovery-interval") {
            ok = set.seconds(what, v, o.discovery_interval_ms);
        } else if (f == "--ping-interval") {
            ok = set.seconds(what, v, o.ping_interval_ms);
        } else if (f == "--max-reconnect-attempts") {
            ok = set.integer(what, v, 0, 1000, n);
            o.max_reconnect_attempts = static_cast<int>(n);
        } else if (f == "--max-peers") {
            ok = set.integer(what, v, 1, 65535, n);
            o.max_peers = static_cast<std::size_t>(n);
        } else if (f == "--peer") {
            if (!peers_from_flags) o.static_peers.clear();  // flags replace the file's list
            peers_from_flags = true;
            platform::HostPort hp;
            ok = set.address(what, v, hp, false);
            o.static_peers.push_back(hp);
        } else if (f == "--log-level") {
            ok = set.level(what, v);
        } else if (f == "--log-file") {
            o.log_file = v;
        } else if (f == "--syslog") {
            o.syslog = true;
        } else if (f == "--json") {
            o.json = true;
        } else if (f == "--no-shell") {
            o.no_shell = true;
        } else if (f == "--no-relay") {
            o.relay = false;
        } else if (std::string_view bound = relay_bound_key(f); !bound.empty()) {
            ok = set.relay_bound(bound, what, v);
        }
        if (!ok) return ParseStatus::kError;
    }

    if (o.name.empty()) {
        error = "missing --name (or \"name\" in the config file)";
        return ParseStatus::kError;
    }
    if (o.ns.empty()) {
        error = "missing --namespace (or \"namespace\" in the config file)";
        return ParseStatus::kError;
    }

    platform::HostPort fallback;
    if (!env_default_rendezvous.empty()) {
        if (!platform::split_host_port(env_default_rendezvous, fallback, false)) {
            error = std::string(kDefaultRendezvousEnv) + ": expected HOST:PORT, got " +
                    quoted(env_default_rendezvous);
            return ParseStatus::kError;
        }
    } else {
        platform::split_host_port(kDefaultRendezvous, fallback, false);
    }
    if (o.serve_rendezvous && o.serve_at.host.empty()) o.serve_at = fallback;
    if (!o.rendezvous_explicit) {
        // Until the node knows whether someone answers there, the default
        // address is both where it registers and where it would serve.
        o.rendezvous = o.serve_rendezvous ? o.serve_at : fallback;
        if (!o.serve_rendezvous) o.serve_at = fallback;
    }
    out = std::move(o);
    return ParseStatus::kRun;
}

std::string node_help_text() {
    return R"(usage: p2pchat --name NAME --namespace NS [options]
       p2pchat rendezvous [options]      (the rendezvous server; see its --help)

A chat node: registers with a rendezvous server, discovers peers, keeps links
to them and relays for them. Commands are read from stdin (see /help).

Identity and listening:
  --name NAME                 local name, 1..64 of A-Z a-z 0-9 . _ - (required)
  --namespace NS              local namespace, same characters (required)
  --port PORT                 TCP port peers dial; 0 = any free port, printed
                              at start (default 0)
  --listen-host ADDR          address to listen on (default 0.0.0.0)

Rendezvous:
  --rendezvous HOST:PORT      the rendezvous server (default 127.0.0.1:8080;
                              if nothing answers there the node serves it
                              in-process on that address). The environment
                              variable P2PCHAT_DEFAULT_RENDEZVOUS=HOST:PORT
                              replaces that default (tests use it).
  --serve-rendezvous [HOST:PORT]
                              serve the rendezvous in-process (default address
                              as above; 0.0.0.0:8080 serves the LAN) and
                              register with it
  --rendezvous-db PATH        registrations file of the in-process server
                              (default: kept in memory only)
  --ttl SECONDS               registration ttl, 1..86400 (default 7200); the
                              node registers again at ttl/2
  --discovery-interval SECONDS
                              DISCOVER period (default 15; decimals allowed)
  --discover all|namespace    list every namespace (default) or only ours

Peers:
  --peer HOST:PORT            a static peer to dial (repeatable); meshes
                              without any rendezvous
  --max-peers N               peer table size (default 64)
  --ping-interval SECONDS     PING period per link (default 30)
  --max-reconnect-attempts N  redials of a lost peer before it stays STALE
                              (default 5)

Relay (forwarding for peers that cannot reach each other):
  --no-relay                  forward nothing for others and do not announce
                              the relay feature (config: "relay": false)
  --relay-ttl N               relays our messages may cross, 1..8 (default 1)
  --relay-share PERCENT       share of each link's outgoing queue relayed
                              traffic may use, 1..100 (default 50); past it
                              the relay answers busy
  --relay-rate N              relayed messages per origin per second,
                              1..1000000 (default 50); past it over_quota
  --max-routes N              cached routes, 1..65535 (default 128)
  --route-age SECONDS         how long a learnt route is used (default 120)
  --max-relay-acks N          forwarded SENDs whose ACK is passed back,
                              1..65535 (default 512)
  --max-pending-sends N       our SENDs awaiting an ACK or a route (pending
                              WHO_HAS), 1..65535 (default 64)
  --queue-bytes N             each link's outgoing queue in bytes,
                              36865..16777216 (default 65536)
  --queue-msgs N              each link's outgoing queue in messages,
                              1..65535 (default 256)

Output and logs:
  --json                      events on stdout as JSON lines
  --no-shell                  headless: no interactive shell, stdin ignored
  --log-level LEVEL           DEBUG, INFO, WARN or ERROR (default INFO)
  --log-file PATH             logs to PATH instead of stderr
  --syslog                    logs to syslog instead of stderr
  --config FILE               JSON settings; flags override it. Keys: name,
                              namespace, rendezvous_host, rendezvous_port,
                              listen_port, ttl_seconds, discovery_interval,
                              ping_interval, max_reconnect_attempts, and
                              listen_host, max_peers, peers (["HOST:PORT"]),
                              serve_rendezvous (true or "HOST:PORT"),
                              rendezvous_db, discover, log_level, log_file,
                              syslog, json, no_shell; relay (true/false),
                              relay_ttl, relay_share_percent,
                              relay_rate_per_origin, max_routes, route_age,
                              max_relay_acks, max_pending_sends,
                              queue_max_bytes, queue_max_msgs
  -h, --help                  this text

SIGINT/SIGTERM or /quit: say BYE to every peer, UNREGISTER, exit 0.
)";
}

}  // namespace p2p::shell
