// The options both programs have (shell/app/shared_options.h): the node and
// the rendezvous server must accept and refuse the same values for them, and
// their --help texts and man pages must say the same about them. Any row or
// paragraph that drifts in one program fails here.
#include "shell/app/shared_options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "platform/unix_socket.h"
#include "shell/app/node_options.h"
#include "shell/app/rendezvous_cli.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

constexpr const char* kSharedFlags[] = {"--log-level",     "--log-format", "--control",
                                        "--control-group", "--config",     "--version",
                                        "--help"};

const OptionRow* row_of(std::span<const OptionRow> rows, std::string_view flag) {
    for (const OptionRow& row : rows)
        if (row.flag == flag) return &row;
    return nullptr;
}

TEST(SharedOptions, BothTablesHoldTheSameRowsForTheSharedFlags) {
    for (const char* flag : kSharedFlags) {
        SCOPED_TRACE(flag);
        const OptionRow* node = row_of(node_option_rows(), flag);
        const OptionRow* server = row_of(rendezvous_option_rows(), flag);
        ASSERT_TRUE(node && server);
        EXPECT_EQ(node->key, server->key);
        EXPECT_EQ(node->metavar, server->metavar);
        EXPECT_EQ(node->help, server->help);
        EXPECT_EQ(node->kind, server->kind);
        EXPECT_EQ(node->lo, server->lo);
        EXPECT_EQ(node->hi, server->hi);
        EXPECT_EQ(node->choices.data(), server->choices.data());
        EXPECT_EQ(node->check, server->check);
        EXPECT_EQ(node->expected, server->expected);
    }
}

// What each program makes of one shared flag with one value.
struct Outcome {
    ParseStatus status;
    std::string error;
    std::string shown;  // the field as its row shows it, when parsed
};

Outcome parse_node(const std::vector<std::string>& extra, std::string_view flag) {
    std::map<std::string, std::string> files{{"set.json", R"({"log_level": "WARN"})"}};
    std::vector<std::string> args = {"--name", "a", "--namespace", "b"};
    args.insert(args.end(), extra.begin(), extra.end());
    NodeOptions o;
    Outcome out;
    out.status = parse_node_options(args, "", test::map_reader(files), o, out.error);
    const OptionRow* row = row_of(node_option_rows(), flag);
    if (out.status == ParseStatus::kRun && row->show) out.shown = row->show(&o, *row);
    return out;
}

Outcome parse_server(const std::vector<std::string>& extra, std::string_view flag) {
    std::map<std::string, std::string> files{{"set.json", R"({"log_level": "WARN"})"}};
    RendezvousOptions o;
    Outcome out;
    out.status = parse_rendezvous_options(extra, test::map_reader(files), o, out.error);
    const OptionRow* row = row_of(rendezvous_option_rows(), flag);
    if (out.status == ParseStatus::kRun && row->show) out.shown = row->show(&o, *row);
    return out;
}

TEST(SharedOptions, BothProgramsAcceptAndRefuseTheSameValues) {
    const std::string longest(platform::unix_path_max(), 's');
    struct Case {
        std::vector<std::string> args;
        ParseStatus expected;
    };
    const Case cases[] = {
        {{"--log-level", "DEBUG"}, ParseStatus::kRun},
        {{"--log-level", "warn"}, ParseStatus::kRun},
        {{"--log-level", "OFF"}, ParseStatus::kRun},
        {{"--log-level=off"}, ParseStatus::kRun},
        {{"--log-level", "LOUD"}, ParseStatus::kError},
        {{"--log-level", ""}, ParseStatus::kError},
        {{"--log-level"}, ParseStatus::kError},
        {{"--log-format", "journal"}, ParseStatus::kRun},
        {{"--log-format", "xml"}, ParseStatus::kError},
        {{"--control", "/tmp/p2p.sock"}, ParseStatus::kRun},
        {{"--control", longest}, ParseStatus::kRun},
        {{"--control", longest + "s"}, ParseStatus::kError},
        {{"--control", ""}, ParseStatus::kError},
        {{"--control-group", "wheel"}, ParseStatus::kRun},
        {{"--control-group", ""}, ParseStatus::kError},
        {{"--config", "set.json"}, ParseStatus::kRun},
        {{"--config", "missing.json"}, ParseStatus::kError},
        {{"--version"}, ParseStatus::kVersion},
        {{"--help"}, ParseStatus::kHelp},
        {{"-h"}, ParseStatus::kHelp},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(::testing::PrintToString(c.args));
        std::string flag = c.args[0].substr(0, c.args[0].find('='));
        if (flag == "-h") flag = "--help";
        Outcome node = parse_node(c.args, flag);
        Outcome server = parse_server(c.args, flag);
        EXPECT_EQ(node.status, c.expected) << node.error;
        EXPECT_EQ(server.status, c.expected) << server.error;
        EXPECT_EQ(node.error, server.error);
        EXPECT_EQ(node.shown, server.shown);
    }
}

// The entry of `flag` in a --help text: its first line up to the next entry.
std::string help_entry(const std::string& help, std::string_view flag_name) {
    const std::string flag(flag_name);
    std::size_t start = help.find("\n  " + flag + " ");
    if (start == std::string::npos) start = help.find("\n  " + flag + "\n");
    if (start == std::string::npos) start = help.find("\n  -h, " + flag);
    if (start == std::string::npos) return "";
    std::size_t end = start + 1;
    do {
        end = help.find('\n', end) + 1;
    } while (end < help.size() && help.compare(end, 4, "    ") == 0);
    return help.substr(start + 1, end - start - 1);
}

// Each shared flag has an entry in the node's text, and the same in the server's.
void expect_same_entries(const std::string& node, const std::string& server,
                         std::string (*entry_of)(const std::string&, std::string_view)) {
    for (const char* flag : kSharedFlags) {
        SCOPED_TRACE(flag);
        std::string entry = entry_of(node, flag);
        EXPECT_FALSE(entry.empty());
        EXPECT_EQ(entry, entry_of(server, flag));
    }
}

TEST(SharedOptions, BothHelpTextsDocumentThemAlike) {
    const std::string node = node_help_text();
    const std::string server = rendezvous_help_text();
    expect_same_entries(node, server, help_entry);
    EXPECT_NE(help_entry(node, "--log-level").find("OFF"), std::string::npos);
    EXPECT_NE(node.find(kExitCodesHelp), std::string::npos);
    EXPECT_NE(server.find(kExitCodesHelp), std::string::npos);
}

std::string read_page(const char* name) {
    std::ifstream in(std::filesystem::path(P2P_SOURCE_DIR) / "docs" / "man" / name);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The paragraph of `flag` in a man page's OPTIONS: its .TP heading line
// ("\fB\-\-control\fR \fIPATH\fR", as shell/app/option_docs.cpp writes it, or
// ".BI \-\-control " PATH"") up to the next .TP, .SS or .SH.
std::string page_entry(const std::string& page, std::string_view flag) {
    std::string roff;
    for (char c : flag) {
        if (c == '-') roff += '\\';
        roff += c;
    }
    std::size_t options = page.find("\n.SH OPTIONS\n");
    std::size_t start = std::string::npos;
    for (const char* macro : {".B ", ".BI ", ".BR \\-h \", \" ", "\\fB", "\\fB\\-h\\fR, \\fB"}) {
        for (std::size_t at = page.find(std::string(".TP\n") + macro + roff, options);
             at != std::string::npos && start == std::string::npos;
             at = page.find(std::string(".TP\n") + macro + roff, at + 1)) {
            char after = page[at + 4 + std::string_view(macro).size() + roff.size()];
            if (after == ' ' || after == '\n' || after == '\\') start = at;
        }
    }
    if (start == std::string::npos) return "";
    std::size_t end = page.size();
    for (const char* next : {"\n.TP\n", "\n.SS ", "\n.SH "})
        end = std::min(end, page.find(next, start + 4));
    return page.substr(start, end - start);
}

TEST(SharedOptions, BothManPagesDescribeThemAlike) {
    const std::string node = read_page("p2pchat.1");
    const std::string server = read_page("p2pchat-rendezvous.1");
    ASSERT_FALSE(node.empty());
    ASSERT_FALSE(server.empty());
    expect_same_entries(node, server, page_entry);
    EXPECT_NE(page_entry(node, "--log-level").find("OFF"), std::string::npos);
    EXPECT_NE(page_entry(node, "--control").find(kDefaultControlPath), std::string::npos);
}

}  // namespace
}  // namespace p2p::shell
