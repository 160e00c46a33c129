#include "shell/app/option_table.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/log.h"
#include "core/number.h"
#include "platform/files.h"
#include "shell/app/config_json.h"

namespace p2p::shell {

namespace {

constexpr double kMaxSeconds = 86400;  // the longest interval any option takes
constexpr std::size_t kHelpColumn = 30;
constexpr std::size_t kHelpWidth = 78;

// ---- values: one parser per kind, shared by flags and config keys ---------------

bool parse_seconds(std::string_view text, std::int64_t& ms) {
    if (text.empty()) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return false;
    if (!std::isfinite(v) || v <= 0 || v > kMaxSeconds) return false;
    ms = std::max<std::int64_t>(1, std::llround(v * 1000.0));
    return true;
}

std::string choice_list(const OptionRow& row) {
    std::string s;
    for (std::size_t i = 0; i < row.choices.size(); ++i) {
        if (i > 0) s += i + 1 == row.choices.size() ? " or " : ", ";
        s += row.choices[i].name;
    }
    return s;
}

// What a value of this row must look like, for error messages.
std::string expected_of(const OptionRow& row) {
    switch (row.kind) {
        case OptionKind::kInteger:
            return "an integer " + std::to_string(row.lo) + ".." + std::to_string(row.hi);
        case OptionKind::kSeconds:
            return "seconds > 0 (e.g. 15 or 0.5)";
        case OptionKind::kHostPort:
        case OptionKind::kHostPortList:
        case OptionKind::kServeAt:
            return "HOST:PORT (IPv6 as [addr]:port)";
        case OptionKind::kChoice:
            return choice_list(row);
        case OptionKind::kLogLevel:
            return "DEBUG, INFO, WARN, ERROR or OFF";
        case OptionKind::kSwitch:
            return "true or false";
        default:
            return std::string(row.expected);
    }
}

// Parses the text of a flag value or a JSON scalar into `out`.
bool parse_value(const OptionRow& row, std::string_view text, OptionValue& out) {
    switch (row.kind) {
        case OptionKind::kInteger:
            if (!parse_decimal(text, row.lo, row.hi, out.number)) return false;
            out.number *= row.scale;
            return true;
        case OptionKind::kSeconds:
            return parse_seconds(text, out.number);
        case OptionKind::kHostPort:
        case OptionKind::kHostPortList:
        case OptionKind::kServeAt: {
            platform::HostPort hp;
            if (!platform::split_host_port(text, hp, row.allow_zero)) return false;
            out.addresses.push_back(std::move(hp));
            out.on = out.given = true;
            return true;
        }
        case OptionKind::kChoice:
            for (const OptionChoice& c : row.choices)
                if (c.name == text) {
                    out.number = c.value;
                    return true;
                }
            return false;
        case OptionKind::kLogLevel: {
            LogLevel level{};
            if (!parse_log_level(text, level)) return false;
            out.number = static_cast<std::int64_t>(level);
            return true;
        }
        default:
            if (row.check && !row.check(text)) return false;
            out.text.assign(text);
            return true;
    }
}

bool value_error(const std::string& what, const OptionRow& row, std::string_view got,
                 std::string& error) {
    error = what + ": expected " + expected_of(row) + ", got " + quoted(got);
    return false;
}

// Rows that set something (and so have config keys): not --config, --help
// or --version.
bool is_setting(const OptionRow& row) {
    return row.kind != OptionKind::kConfigFile && row.kind != OptionKind::kHelp &&
           row.kind != OptionKind::kVersion && row.kind != OptionKind::kCheckConfig;
}

// Flags that are on or off (no value, no default worth showing).
bool is_switch(const OptionRow& row) {
    return row.kind == OptionKind::kSwitch || row.kind == OptionKind::kCheckConfig;
}

// ---- flags -----------------------------------------------------------------------

struct FlagUse {
    const OptionRow* row;
    std::string value;
    bool has_value;
};

bool takes_value(const OptionRow& row) {
    return !is_switch(row) && row.kind != OptionKind::kHelp && row.kind != OptionKind::kVersion &&
           row.kind != OptionKind::kServeAt;
}

const OptionRow* find_flag(std::span<const OptionRow> rows, std::string_view name) {
    if (name == "-h") name = "--help";
    for (const OptionRow& row : rows)
        if (!row.flag.empty() && row.flag == name) return &row;
    return nullptr;
}

// Pairs every flag with its value first, so a value is never mistaken for a
// flag. An unknown flag is reported as unknown even when a value follows.
ParseStatus split_flags(std::span<const OptionRow> rows, const std::vector<std::string>& args,
                        std::vector<FlagUse>& uses, std::string& error) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::string_view name = arg;
        FlagUse use{nullptr, {}, false};
        if (std::size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = arg.substr(0, eq);
            use.value.assign(arg.substr(eq + 1));
            use.has_value = true;
        }
        use.row = find_flag(rows, name);
        if (!use.row) {
            error = arg.rfind("-", 0) == 0 ? "unknown option " + std::string(name)
                                           : "unexpected argument " + quoted(arg);
            return ParseStatus::kError;
        }
        const OptionRow& row = *use.row;
        if (row.kind == OptionKind::kServeAt) {
            // Optional value: the next word is taken when it is not a flag.
            if (!use.has_value && i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0) {
                use.value = args[++i];
                use.has_value = true;
            }
        } else if (takes_value(row) && !use.has_value) {
            if (i + 1 >= args.size()) {
                error = std::string(row.flag) + " needs a value";
                return ParseStatus::kError;
            }
            use.value = args[++i];
            use.has_value = true;
        } else if (!takes_value(row) && use.has_value) {
            error = std::string(row.flag) + " takes no value";
            return ParseStatus::kError;
        }
        if (row.kind == OptionKind::kHelp) return ParseStatus::kHelp;
        if (row.kind == OptionKind::kVersion) return ParseStatus::kVersion;
        uses.push_back(std::move(use));
    }
    return ParseStatus::kRun;
}

bool apply_flag(const FlagUse& use, bool append, void* target, std::string& error) {
    const OptionRow& row = *use.row;
    OptionValue v;
    if (is_switch(row)) {
        v.on = row.switch_value;
    } else if (row.kind == OptionKind::kServeAt && !use.has_value) {
        v.on = true;
    } else if (!parse_value(row, use.value, v)) {
        return value_error(std::string(row.flag), row, use.value, error);
    }
    v.append = append;
    row.set(target, v);
    return true;
}

// ---- the config file --------------------------------------------------------------

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

bool list_value(const std::string& what, const OptionRow& row, const rapidjson::Value& v,
                OptionValue& out, std::string& error) {
    if (!v.IsArray()) {
        error = what + ": expected an array of \"HOST:PORT\" strings";
        return false;
    }
    for (const auto& item : v.GetArray()) {
        if (!item.IsString()) {
            error = what + ": expected \"HOST:PORT\" strings, got " + json_kind(item);
            return false;
        }
        if (!parse_value(row, item.GetString(), out)) {
            return value_error(what, row, item.GetString(), error);
        }
    }
    return true;
}

// One key's JSON value into `out`. `by_flag_name`: the key is the flag's
// name, so a switch's true means "the flag was given".
bool json_value(const std::string& what, const OptionRow& row, bool by_flag_name,
                const rapidjson::Value& v, OptionValue& out, std::string& error) {
    std::string s;
    bool scalar = scalar_text(v, s);
    if (row.kind == OptionKind::kHostPortList) return list_value(what, row, v, out, error);
    if (row.kind == OptionKind::kSwitch || (row.kind == OptionKind::kServeAt && v.IsBool())) {
        if (!v.IsBool()) {
            error = what + ": expected true or false, got " + (scalar ? quoted(s) : json_kind(v));
            return false;
        }
        out.on = v.GetBool();
        if (by_flag_name && !row.switch_value) out.on = !out.on;
        return true;
    }
    if (!scalar) {
        error = what + ": expected a string or number, got " + json_kind(v);
        return false;
    }
    return parse_value(row, s, out) || value_error(what, row, s, error);
}

// The row answering to `key`, and whether it answers by its flag's name.
const OptionRow* find_key(std::span<const OptionRow> rows, std::string_view key,
                          bool& by_flag_name) {
    for (const OptionRow& row : rows) {
        if (!is_setting(row)) continue;
        if (row.key == key) {
            by_flag_name = false;
            return &row;
        }
        if (!row.flag.empty() && flag_key(row.flag) == key) {
            by_flag_name = true;
            return &row;
        }
    }
    return nullptr;
}

// ---- help ---------------------------------------------------------------------------

// Appends `text` word-wrapped: the first line continues `line`, the others
// start at `indent`.
void wrap_into(std::string& out, std::string line, std::string_view text, std::size_t indent) {
    std::size_t pos = 0;
    bool first_word = true;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(pos, end - pos);
        pos = end + 1;
        if (word.empty()) continue;
        if (!first_word && line.size() + 1 + word.size() > kHelpWidth) {
            out += line + "\n";
            line.assign(indent, ' ');
            first_word = true;
        }
        if (!first_word) line += ' ';
        line += word;
        first_word = false;
    }
    out += line + "\n";
}

// "(1..8, default 1)" from the range and the default target's value.
std::string range_and_default(const OptionRow& row, const void* defaults) {
    std::string parts;
    if (row.kind == OptionKind::kInteger)
        parts = std::to_string(row.lo) + ".." + std::to_string(row.hi);
    // A switch is off unless given: no default to show.
    bool show = row.show && !is_switch(row);
    std::string shown = show ? row.show(defaults, row) : "";
    if (!shown.empty()) parts += (parts.empty() ? "default " : ", default ") + shown;
    return parts.empty() ? "" : " (" + parts + ")";
}

void render_row(std::string& out, const OptionRow& row, std::string_view name,
                const void* defaults) {
    std::string head = "  ";
    if (row.kind == OptionKind::kHelp) head += "-h, ";
    head += name;
    if (!row.metavar.empty()) head += " " + std::string(row.metavar);
    if (head.size() + 2 > kHelpColumn) {
        out += head + "\n";
        head.clear();
    }
    head.resize(kHelpColumn, ' ');
    wrap_into(out, head, row_help(row, defaults), kHelpColumn);
}

// Every key, the historical ones with the flag they stand for, then the
// rows that are keys only.
void render_keys(std::string& out, std::span<const OptionRow> rows, const void* defaults) {
    std::string keys;
    for (const OptionRow& row : rows) {
        for (const std::string& key : row_keys(row)) {
            keys += keys.empty() ? "" : ", ";
            keys += key;
            if (row.flag.empty() || key == flag_key(row.flag)) continue;
            keys += " (";
            if (row.kind == OptionKind::kSwitch && !row.switch_value) keys += "false = ";
            keys += std::string(row.flag) + ")";
        }
    }
    out += "\nConfig file keys:\n";
    wrap_into(out, "  ",
              "--config FILE reads a JSON object. Every flag is a key, named without the dashes "
              "and with '_' for '-' (--log-level: log_level); a switch takes true or false. "
              "Flags override the file. Keys: " +
                  keys + ".",
              2);
    for (const OptionRow& row : rows)
        if (row.flag.empty()) render_row(out, row, row.key, defaults);
}

}  // namespace

std::string quoted(std::string_view text) {
    std::string s = "\"";
    for (char c : text.substr(0, 60))
        s += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    if (text.size() > 60) s += "...";
    return s + "\"";
}

FileReader disk_file_reader() {
    return [](const std::string& path, std::string& out, std::string& why) {
        return platform::read_file(path, out, &why);
    };
}

std::string flag_key(std::string_view flag) {
    std::string key(flag.substr(flag.find_first_not_of('-')));
    for (char& c : key)
        if (c == '-') c = '_';
    return key;
}

std::vector<std::string> row_keys(const OptionRow& row) {
    std::vector<std::string> keys;
    if (!is_setting(row)) return keys;
    if (!row.key.empty()) keys.emplace_back(row.key);
    if (!row.flag.empty() && flag_key(row.flag) != row.key) keys.push_back(flag_key(row.flag));
    return keys;
}

bool apply_config_text(std::span<const OptionRow> rows, const std::string& path,
                       const std::string& text, void* target, std::vector<std::string>& warnings,
                       std::string& error) {
    rapidjson::Document doc;
    std::string why;
    if (!parse_config_json(text, doc, why)) {
        error = "config file " + path + ": " + why;
        return false;
    }
    if (!doc.IsObject()) {
        error = "config file " + path + ": expected a JSON object";
        return false;
    }
    // Const iterators: RapidJSON's mutable ones make C++20 operator!= ambiguous
    // (clang's -Wambiguous-reversed-operator).
    const rapidjson::Value& root = doc;
    for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
        std::string key(it->name.GetString(), it->name.GetStringLength());
        bool by_flag_name = false;
        const OptionRow* row = find_key(rows, key, by_flag_name);
        if (!row) {
            warnings.push_back("config file " + path + ": unknown key '" + key + "' ignored");
            continue;
        }
        OptionValue v;
        if (!json_value("config file " + path + ": key '" + key + "'", *row, by_flag_name,
                        it->value, v, error))
            return false;
        row->set(target, v);
    }
    return true;
}

ParseStatus parse_with_table(const OptionParser& parser, const std::vector<std::string>& args,
                             void* target, std::vector<std::string>& warnings, std::string& error) {
    std::vector<FlagUse> uses;
    ParseStatus status = split_flags(parser.rows, args, uses, error);
    if (status == ParseStatus::kError) error += " (see --help)";
    if (status != ParseStatus::kRun) return status;

    for (const FlagUse& use : uses) {
        if (use.row->kind != OptionKind::kConfigFile) continue;
        if (!apply_flag(use, false, target, error)) return ParseStatus::kError;
        std::string text;
        std::string why;
        if (!parser.read_file(use.value, text, why)) {
            error = "config file " + use.value + ": " + why;
            return ParseStatus::kError;
        }
        if (!apply_config_text(parser.rows, use.value, text, target, warnings, error) ||
            (parser.after_config && !parser.after_config(target, use.value, error)))
            return ParseStatus::kError;
    }
    // A repeated flag (--peer) replaces the file's list, then adds to it.
    std::vector<const OptionRow*> seen;
    for (const FlagUse& use : uses) {
        if (use.row->kind == OptionKind::kConfigFile) continue;
        bool again = std::find(seen.begin(), seen.end(), use.row) != seen.end();
        if (!again) seen.push_back(use.row);
        if (!apply_flag(use, again, target, error)) return ParseStatus::kError;
    }
    return ParseStatus::kRun;
}

std::string row_help(const OptionRow& row, const void* defaults) {
    return std::string(row.help) + range_and_default(row, defaults);
}

std::vector<std::string_view> flag_sections(std::span<const OptionRow> rows) {
    std::vector<std::string_view> sections;
    for (const OptionRow& row : rows)
        if (!row.flag.empty() &&
            std::find(sections.begin(), sections.end(), row.section) == sections.end())
            sections.push_back(row.section);
    return sections;
}

std::string render_flag_sections(std::span<const OptionRow> rows, const void* defaults) {
    std::string out;
    for (std::string_view section : flag_sections(rows)) {
        out += "\n" + std::string(section) + ":\n";
        for (const OptionRow& row : rows)
            if (!row.flag.empty() && row.section == section)
                render_row(out, row, row.flag, defaults);
    }
    return out;
}

std::string render_help(std::span<const OptionRow> rows, const void* defaults,
                        std::string_view intro, std::string_view outro) {
    std::string out(intro);
    out += render_flag_sections(rows, defaults);
    render_keys(out, rows, defaults);
    out += "\n";
    out += outro;
    return out;
}

namespace option_detail {

std::string show_number(std::int64_t value, const OptionRow& row) {
    switch (row.kind) {
        case OptionKind::kSeconds: {
            char buf[32];
            auto [end, ec] =
                std::to_chars(buf, buf + sizeof buf, static_cast<double>(value) / 1000);
            return ec == std::errc() ? std::string(buf, end) : std::string();
        }
        case OptionKind::kChoice:
            for (const OptionChoice& c : row.choices)
                if (c.value == value) return std::string(c.name);
            return "";
        case OptionKind::kLogLevel:
            return log_level_name(static_cast<LogLevel>(value));
        default:
            return std::to_string(value / row.scale);
    }
}

std::string show_address(const platform::HostPort& hp) {
    return hp.host.empty() ? "" : hp.to_string();
}

std::string show_text(const std::string& text) {
    return text;
}

}  // namespace option_detail

}  // namespace p2p::shell
