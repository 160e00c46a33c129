// A program's options as one table, in the spirit of Redis's config.c: one
// row per option names its flag, its config-file key, the kind of value and
// its range, its help text and the field it sets. The same rows drive flag
// parsing, the JSON config file (--config), the --help text and, through the
// fields they set, whatever the program builds from its settings. Defaults
// are never written in a row: they are the target struct's own initialisers,
// read from a default-constructed target when the help is rendered.
//
// Key rules (both programs): a row's `key` is the historical key (the Python
// client's where it has one); the flag's name without the leading dashes and
// with '_' for '-' (--max-peers -> max_peers) is accepted as a key too. For a
// switch such as --no-relay, that flag-named key means "the flag was given"
// (no_relay: true), while the historical key holds the field's value
// (relay: false).
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "platform/net.h"

namespace p2p::shell {

enum class ParseStatus { kRun, kHelp, kVersion, kError };

// Exit codes of both programs (documented in their --help and in
// docs/deployment.md). A bad option or config file is EX_CONFIG (78, from
// BSD sysexits.h) so a service manager can tell it from a runtime failure
// and stop restarting (systemd's RestartPreventExitStatus=78).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // at run time: cannot listen, cannot open the log
inline constexpr int kExitConfig = 78;

// Reads a whole file; false with *error set when it cannot.
using FileReader =
    std::function<bool(const std::string& path, std::string& out, std::string& error)>;
// The FileReader of the programs: the file system.
FileReader disk_file_reader();

enum class OptionKind : std::uint8_t {
    kText,          // a string; `check` (if set) validates it
    kSwitch,        // a flag without a value; JSON true/false
    kInteger,       // lo..hi, stored times `scale` (1000: whole seconds into ms)
    kSeconds,       // seconds > 0, decimals allowed, stored as milliseconds
    kHostPort,      // HOST:PORT ([v6]:PORT); port 0 only with `allow_zero`
    kHostPortList,  // repeatable flag; JSON array of "HOST:PORT"
    kServeAt,       // flag with an optional HOST:PORT; JSON true/false or "HOST:PORT"
    kChoice,        // one of `choices`
    kLogLevel,      // DEBUG, INFO, WARN, ERROR or OFF, any case
    kConfigFile,    // --config FILE: read before every other flag
    kHelp,          // --help / -h
    kCheckConfig,   // --check-config: a flag without a value and without a config key
    kVersion,       // --version
};

// What a flag or key parsed to, handed to the row's setter.
struct OptionValue {
    std::int64_t number = 0;  // integer (scaled), milliseconds, choice value, log level
    bool on = false;          // switch; kServeAt: serve or not
    bool given = false;       // kServeAt: an address came with it
    bool append = false;      // kHostPortList: add to the list instead of replacing it
    std::string text;
    std::vector<platform::HostPort> addresses;  // kHostPort: one; kHostPortList: many
};

struct OptionChoice {
    std::string_view name;
    std::int64_t value;
};

struct OptionRow {
    std::string_view section{};  // help heading, printed when it changes
    std::string_view flag{};     // "--max-peers"; empty: a config key only
    std::string_view key{};      // historical config key; empty: the flag's name
    std::string_view metavar{};  // "N", "SECONDS" (flags that take a value)
    std::string_view help{};     // one sentence; wrapped by the help renderer
    OptionKind kind = OptionKind::kText;
    std::int64_t lo = 0;  // kInteger range, in the unit the user writes
    std::int64_t hi = 0;
    std::int64_t scale = 1;
    bool allow_zero = false;   // kHostPort, kServeAt: port 0 (pick one)
    bool switch_value = true;  // kSwitch: what the flag stores
    std::span<const OptionChoice> choices{};
    bool (*check)(std::string_view) = nullptr;  // kText
    std::string_view expected{};                // kText with check: the error's wording
    void (*set)(void* target, const OptionValue&) = nullptr;
    // The field's value as the user would write it ("" when unset); the help
    // shows it as the default. Null for rows bound with bind_setter.
    std::string (*show)(const void* target, const OptionRow&) = nullptr;
};

// The config key spelled like the flag: "--relay-share" -> "relay_share".
std::string flag_key(std::string_view flag);
// The keys a row answers to: its historical key and its flag-named key.
std::vector<std::string> row_keys(const OptionRow& row);

struct OptionParser {
    std::span<const OptionRow> rows;
    FileReader read_file;
    // Run after each config file, before the flags: checks that span several
    // keys. Optional.
    std::function<bool(void* target, const std::string& path, std::string& error)> after_config;
};

// Parses args (without the program name) into `target` (the rows' type):
// --help (or --version, whichever comes first) wins, then every --config file in order, then the
// other flags in order, so flags override the file wherever they stand. Unknown config keys become
// warnings. Errors name the flag ("--ttl: expected ...") or the key
// ("config file F: key 'ttl_seconds': expected ..."); an unknown flag is
// "unknown option --x", a flag without its value "--x needs a value"; such
// errors about the command line's shape end with "(see --help)".
ParseStatus parse_with_table(const OptionParser& parser, const std::vector<std::string>& args,
                             void* target, std::vector<std::string>& warnings, std::string& error);

// Applies one JSON config text to `target`.
bool apply_config_text(std::span<const OptionRow> rows, const std::string& path,
                       const std::string& text, void* target, std::vector<std::string>& warnings,
                       std::string& error);

// The --help text: `intro`, the flag sections (render_flag_sections), the
// config-key rules with every historical key that differs from its flag,
// then `outro`. Lines fit 80 columns.
std::string render_help(std::span<const OptionRow> rows, const void* defaults,
                        std::string_view intro, std::string_view outro);

// Every row with a flag under its section's heading ("Peers:"), each section
// once, in the order sections first appear in the table: the options part of
// --help, which the README quotes (shell/app/option_docs.h).
std::string render_flag_sections(std::span<const OptionRow> rows, const void* defaults);

// The sections of the rows with a flag, each once, in order of first appearance.
std::vector<std::string_view> flag_sections(std::span<const OptionRow> rows);

// A row's help sentence followed by its range and default ("(1..8, default 1)").
std::string row_help(const OptionRow& row, const void* defaults);

// "\"text\"", control characters as '?', cut at 60 characters.
std::string quoted(std::string_view text);

// ---- typed setters: rows name a field (or a path of fields) of T ---------------

namespace option_detail {

template <class T, auto... Path>
auto& field(void* target) {
    return (*static_cast<T*>(target).*....*Path);
}
template <class T, auto... Path>
const auto& field(const void* target) {
    return (*static_cast<const T*>(target).*....*Path);
}

std::string show_number(std::int64_t value, const OptionRow& row);
std::string show_address(const platform::HostPort& hp);
std::string show_text(const std::string& text);

template <class T, auto... Path>
void set_value(void* target, const OptionValue& v) {
    auto& f = field<T, Path...>(target);
    using F = std::remove_reference_t<decltype(f)>;
    if constexpr (std::is_same_v<F, bool>) {
        f = v.on;
    } else if constexpr (std::is_same_v<F, std::string>) {
        f = v.text;
    } else if constexpr (std::is_same_v<F, platform::HostPort>) {
        f = v.addresses.front();
    } else if constexpr (std::is_same_v<F, std::vector<platform::HostPort>>) {
        if (!v.append) f.clear();
        f.insert(f.end(), v.addresses.begin(), v.addresses.end());
    } else {
        f = static_cast<F>(v.number);  // integers, milliseconds, enums
    }
}

template <class T, auto... Path>
std::string show_value(const void* target, const OptionRow& row) {
    const auto& f = field<T, Path...>(target);
    using F = std::remove_cvref_t<decltype(f)>;
    if constexpr (std::is_same_v<F, bool>) {
        if (row.kind == OptionKind::kSwitch) return f ? "true" : "false";
        return show_number(f ? 1 : 0, row);
    } else if constexpr (std::is_same_v<F, std::string>) {
        return show_text(f);
    } else if constexpr (std::is_same_v<F, platform::HostPort>) {
        return show_address(f);
    } else if constexpr (std::is_same_v<F, std::vector<platform::HostPort>>) {
        std::string all;
        for (const platform::HostPort& hp : f)
            all += (all.empty() ? "" : " ") + show_address(hp);
        return all;
    } else {
        return show_number(static_cast<std::int64_t>(f), row);
    }
}

}  // namespace option_detail

// Binds a row to the field T.*Path (e.g. bind<NodeOptions, &NodeOptions::max_peers>,
// or a nested field: bind<Opts, &Opts::server, &ServerConfig::db_path>).
template <class T, auto... Path>
constexpr OptionRow bind(OptionRow row) {
    row.set = &option_detail::set_value<T, Path...>;
    row.show = &option_detail::show_value<T, Path...>;
    return row;
}

// One table from two lists of rows: a program's own, then a block it shares
// with the other program (shell/app/shared_options.h).
template <std::size_t A, std::size_t B>
constexpr std::array<OptionRow, A + B> join_rows(const OptionRow (&own)[A],
                                                 const std::array<OptionRow, B>& shared) {
    std::array<OptionRow, A + B> all{};
    std::copy(std::begin(own), std::end(own), all.begin());
    std::copy(shared.begin(), shared.end(), all.begin() + A);
    return all;
}

// Binds a row to a setter of one's own, for settings that are not one field.
template <class T, void (*Set)(T&, const OptionValue&)>
constexpr OptionRow bind_setter(OptionRow row) {
    row.set = [](void* target, const OptionValue& v) { Set(*static_cast<T*>(target), v); };
    return row;
}

}  // namespace p2p::shell
