// Checks shared by the node's and the rendezvous server's option tests: every
// row of a table works as a flag and under each of its config keys, and the
// --help text carries every row's flag with its help sentence.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "shell/app/option_table.h"

namespace p2p::shell::test {

// A FileReader over in-memory files, so tests need no file system.
inline FileReader map_reader(const std::map<std::string, std::string>& files) {
    return [&files](const std::string& path, std::string& out, std::string& why) {
        auto it = files.find(path);
        if (it == files.end()) {
            why = "No such file or directory";
            return false;
        }
        out = it->second;
        return true;
    };
}

// Every line of a --help text fits 80 columns.
inline void expect_lines_fit_80_columns(std::string_view help) {
    std::size_t start = 0;
    while (start < help.size()) {
        std::size_t end = help.find('\n', start);
        if (end == std::string::npos) end = help.size();
        EXPECT_LE(end - start, 80u) << help.substr(start, end - start);
        start = end + 1;
    }
}

// A value for `row` unlike its default, as a flag's value, as JSON, and as
// row.show prints it once set.
struct RowSample {
    std::string flag_value;
    std::string json;
    std::string shown;
};

inline RowSample sample_for(const OptionRow& row, const void* defaults) {
    std::string was = row.show ? row.show(defaults, row) : "";
    switch (row.kind) {
        case OptionKind::kInteger: {
            std::string v = std::to_string(row.hi);
            if (v == was) v = std::to_string(row.lo);
            return {v, v, v};
        }
        case OptionKind::kSeconds:
            return {"0.25", "0.25", "0.25"};
        case OptionKind::kHostPort:
            return {"10.9.8.7:4321", "\"10.9.8.7:4321\"", "10.9.8.7:4321"};
        case OptionKind::kHostPortList:
            return {"10.9.8.7:4321", "[\"10.9.8.7:4321\"]", "10.9.8.7:4321"};
        case OptionKind::kServeAt:
            return {"10.9.8.7:0", "\"10.9.8.7:0\"", ""};
        case OptionKind::kLogLevel:
            return {"ERROR", "\"ERROR\"", "ERROR"};
        case OptionKind::kSwitch:
            return {"", "true", row.switch_value ? "true" : "false"};
        case OptionKind::kChoice:
            for (const OptionChoice& c : row.choices)
                if (c.name != was)
                    return {std::string(c.name), "\"" + std::string(c.name) + "\"",
                            std::string(c.name)};
            return {};
        default:
            for (std::string v : {"abc", "10.9.8.7", "127.0.0.1:4321", "redis://10.9.8.7:4321"})
                if (v != was && (!row.check || row.check(v))) return {v, "\"" + v + "\"", v};
            return {};
    }
}

// parse(extra_args, extra_json_member, out_shown_of_row, error, warnings):
// parses the program's required flags plus `extra_args`, with a config file
// holding the required keys plus `extra_json_member` ("\"k\": v") when that
// is not empty, and returns what row.show prints of the result.
using RowParse = std::function<ParseStatus(const OptionRow& row, std::vector<std::string> args,
                                           std::string json_member, std::string& shown,
                                           std::string& error, std::vector<std::string>& warnings)>;

inline void expect_every_row_works(std::span<const OptionRow> rows, const void* defaults,
                                   const RowParse& parse) {
    for (const OptionRow& row : rows) {
        if (row.kind == OptionKind::kConfigFile || row.kind == OptionKind::kHelp ||
            row.kind == OptionKind::kVersion || row.kind == OptionKind::kCheckConfig)
            continue;
        SCOPED_TRACE(std::string(row.flag.empty() ? row.key : row.flag));
        RowSample sample = sample_for(row, defaults);
        std::vector<std::string> keys = row_keys(row);
        EXPECT_FALSE(keys.empty()) << "every option is settable in the config file";
        std::string shown;
        std::string error;
        std::vector<std::string> warnings;
        if (!row.flag.empty()) {
            std::vector<std::string> args = {std::string(row.flag)};
            if (!sample.flag_value.empty()) args.push_back(sample.flag_value);
            ASSERT_EQ(parse(row, args, "", shown, error, warnings), ParseStatus::kRun) << error;
            if (row.show) {
                EXPECT_EQ(shown, sample.shown);
            }
        }
        for (const std::string& key : keys) {
            SCOPED_TRACE("key " + key);
            std::string json = sample.json;
            // A switch's historical key holds the field's value, not "given".
            if (row.kind == OptionKind::kSwitch && key == row.key && !row.flag.empty() &&
                key != flag_key(row.flag))
                json = row.switch_value ? "true" : "false";
            warnings.clear();
            ASSERT_EQ(parse(row, {}, "\"" + key + "\": " + json, shown, error, warnings),
                      ParseStatus::kRun)
                << error;
            EXPECT_TRUE(warnings.empty()) << warnings.front();
            if (row.show) {
                EXPECT_EQ(shown, sample.shown);
            }
        }
    }
}

// Whitespace runs as one space, so wrapped help compares with one-line text.
inline std::string collapse_spaces(std::string_view text) {
    std::string out;
    for (char c : text) {
        bool space = c == ' ' || c == '\n';
        if (space && (out.empty() || out.back() == ' ')) continue;
        out += space ? ' ' : c;
    }
    return out;
}

// Every row's flag (or key-only row's key), metavar and help sentence.
inline void expect_help_covers_every_row(std::span<const OptionRow> rows, std::string_view help) {
    std::string flat = collapse_spaces(help);
    for (const OptionRow& row : rows) {
        std::string head(row.flag.empty() ? row.key : row.flag);
        if (!row.metavar.empty()) head += " " + std::string(row.metavar);
        std::string line = head + " " + collapse_spaces(row.help);
        EXPECT_NE(flat.find(line), std::string::npos) << line;
    }
    // Each section's heading once (issue 15.10: "Peers:" and "Relay" came twice
    // when a row of one section stood among another's).
    for (const OptionRow& row : rows) {
        if (row.flag.empty()) continue;
        std::string heading = "\n" + std::string(row.section) + ":\n";
        std::size_t first = help.find(heading);
        EXPECT_NE(first, std::string_view::npos) << heading;
        EXPECT_EQ(help.find(heading, first + 1), std::string_view::npos) << "twice: " << heading;
    }
    expect_lines_fit_80_columns(help);
}

}  // namespace p2p::shell::test
