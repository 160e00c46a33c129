// The option-table machinery on a table of its own: flags and config keys set
// the bound fields (nested ones too), the flag-named key aliases the
// historical one, switches and lists behave, errors name the flag or key, and
// the help is rendered from the rows within 80 columns.
#include "shell/app/option_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

struct Inner {
    std::int64_t window_ms = 60'000;
};

struct Toy {
    std::string label = "toy";
    int count = 3;
    Inner inner;
    std::int64_t period_ms = 1'500;
    bool loud = false;
    bool quiet_off = true;  // cleared by --quiet
    std::vector<platform::HostPort> peers;
    platform::HostPort server;
    int mode = 0;
    std::string config;
};

constexpr OptionChoice kModes[] = {{"fast", 0}, {"slow", 1}};
bool short_text(std::string_view s) {
    return !s.empty() && s.size() < 8;
}

using K = OptionKind;
constexpr OptionRow kRows[] = {
    bind<Toy, &Toy::label>({.section = "Main",
                            .flag = "--label",
                            .metavar = "TEXT",
                            .help = "a label",
                            .check = short_text,
                            .expected = "1..7 characters"}),
    bind<Toy, &Toy::count>({.section = "Main",
                            .flag = "--count",
                            .key = "how_many",
                            .metavar = "N",
                            .help = "how many",
                            .kind = K::kInteger,
                            .lo = 1,
                            .hi = 9}),
    bind<Toy, &Toy::inner, &Inner::window_ms>({.section = "Main",
                                               .flag = "--window",
                                               .metavar = "S",
                                               .help = "window in seconds",
                                               .kind = K::kInteger,
                                               .lo = 1,
                                               .hi = 100,
                                               .scale = 1000}),
    bind<Toy, &Toy::period_ms>({.section = "Main",
                                .flag = "--period",
                                .metavar = "SECONDS",
                                .help = "a period",
                                .kind = K::kSeconds}),
    bind<Toy, &Toy::loud>(
        {.section = "Other", .flag = "--loud", .help = "be loud", .kind = K::kSwitch}),
    bind<Toy, &Toy::quiet_off>({.section = "Other",
                                .flag = "--quiet",
                                .key = "talk",
                                .help = "say nothing",
                                .kind = K::kSwitch,
                                .switch_value = false}),
    bind<Toy, &Toy::peers>({.section = "Other",
                            .flag = "--peer",
                            .key = "peers",
                            .metavar = "HOST:PORT",
                            .help = "a peer",
                            .kind = K::kHostPortList}),
    bind<Toy, &Toy::server>({.section = "Other",
                             .flag = "--server",
                             .metavar = "HOST:PORT",
                             .help = "the server",
                             .kind = K::kHostPort}),
    bind<Toy, &Toy::mode>({.section = "Other",
                           .flag = "--mode",
                           .metavar = "fast|slow",
                           .help = "the mode",
                           .kind = K::kChoice,
                           .choices = kModes}),
    bind<Toy, &Toy::config>({.section = "Other",
                             .flag = "--config",
                             .metavar = "FILE",
                             .help = "settings",
                             .kind = K::kConfigFile}),
    {.section = "Other", .flag = "--version", .help = "the version", .kind = K::kVersion},
    {.section = "Other", .flag = "--help", .help = "this text", .kind = K::kHelp},
};

class OptionTableTest : public ::testing::Test {
  protected:
    std::map<std::string, std::string> files;
    Toy toy;
    std::vector<std::string> warnings;
    std::string error;

    ParseStatus parse(const std::vector<std::string>& args) {
        toy = Toy{};
        warnings.clear();
        error.clear();
        FileReader reader = test::map_reader(files);
        return parse_with_table({kRows, reader, {}}, args, &toy, warnings, error);
    }
    ParseStatus parse_config(const std::string& json, std::vector<std::string> extra = {}) {
        files["t.json"] = json;
        extra.insert(extra.begin(), {"--config", "t.json"});
        return parse(extra);
    }
};

TEST_F(OptionTableTest, FlagsSetTheirFields) {
    ASSERT_EQ(parse({"--label", "x", "--count=7", "--window", "5", "--period", "0.25", "--loud",
                     "--quiet", "--peer", "1.2.3.4:5", "--peer", "[::1]:6", "--server", "h:1",
                     "--mode", "slow"}),
              ParseStatus::kRun)
        << error;
    EXPECT_EQ(toy.label, "x");
    EXPECT_EQ(toy.count, 7);
    EXPECT_EQ(toy.inner.window_ms, 5'000) << "whole seconds scaled into the nested field";
    EXPECT_EQ(toy.period_ms, 250);
    EXPECT_TRUE(toy.loud);
    EXPECT_FALSE(toy.quiet_off);
    ASSERT_EQ(toy.peers.size(), 2u);
    EXPECT_EQ(toy.peers[1].to_string(), "[::1]:6");
    EXPECT_EQ(toy.server.to_string(), "h:1");
    EXPECT_EQ(toy.mode, 1);
}

TEST_F(OptionTableTest, HistoricalAndFlagNamedKeysAreAliases) {
    EXPECT_EQ(flag_key("--max-peers"), "max_peers");
    ASSERT_EQ(parse_config(R"({"how_many": 4})"), ParseStatus::kRun) << error;
    EXPECT_EQ(toy.count, 4);
    ASSERT_EQ(parse_config(R"({"count": 5})"), ParseStatus::kRun) << error;
    EXPECT_EQ(toy.count, 5);
    // The historical key holds the field's value; the flag's name means "given".
    ASSERT_EQ(parse_config(R"({"talk": false})"), ParseStatus::kRun) << error;
    EXPECT_FALSE(toy.quiet_off);
    ASSERT_EQ(parse_config(R"({"quiet": true})"), ParseStatus::kRun) << error;
    EXPECT_FALSE(toy.quiet_off);
    ASSERT_EQ(parse_config(R"({"quiet": false})"), ParseStatus::kRun) << error;
    EXPECT_TRUE(toy.quiet_off);
    ASSERT_EQ(parse_config(R"({"peer": ["1.1.1.1:1"], "window": "7", "period": 2})"),
              ParseStatus::kRun)
        << error;
    EXPECT_EQ(toy.peers.size(), 1u);
    EXPECT_EQ(toy.inner.window_ms, 7'000);
    EXPECT_EQ(toy.period_ms, 2'000);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(row_keys(kRows[1]), (std::vector<std::string>{"how_many", "count"}));
    EXPECT_EQ(row_keys(kRows[0]), (std::vector<std::string>{"label"}));
    EXPECT_TRUE(row_keys(kRows[9]).empty()) << "--config is no key";
}

TEST_F(OptionTableTest, RepeatedFlagReplacesTheFilesListThenAdds) {
    ASSERT_EQ(parse_config(R"({"peers": ["1.1.1.1:1", "2.2.2.2:2"]})",
                           {"--peer", "3.3.3.3:3", "--peer", "4.4.4.4:4"}),
              ParseStatus::kRun)
        << error;
    ASSERT_EQ(toy.peers.size(), 2u);
    EXPECT_EQ(toy.peers[0].to_string(), "3.3.3.3:3");
    EXPECT_EQ(toy.peers[1].to_string(), "4.4.4.4:4");
}

TEST_F(OptionTableTest, ErrorsNameTheFlagOrKey) {
    EXPECT_EQ(parse({"--count", "10"}), ParseStatus::kError);
    EXPECT_EQ(error, "--count: expected an integer 1..9, got \"10\"");
    EXPECT_EQ(parse({"--label", "far too long"}), ParseStatus::kError);
    EXPECT_EQ(error, "--label: expected 1..7 characters, got \"far too long\"");
    EXPECT_EQ(parse({"--mode", "medium"}), ParseStatus::kError);
    EXPECT_EQ(error, "--mode: expected fast or slow, got \"medium\"");
    EXPECT_EQ(parse_config(R"({"how_many": 0})"), ParseStatus::kError);
    EXPECT_EQ(error, "config file t.json: key 'how_many': expected an integer 1..9, got \"0\"");
    EXPECT_EQ(parse_config(R"({"loud": 1})"), ParseStatus::kError);
    EXPECT_EQ(error, "config file t.json: key 'loud': expected true or false, got \"1\"");
    EXPECT_EQ(parse_config(R"({"peers": "1.1.1.1:1"})"), ParseStatus::kError);
    EXPECT_NE(error.find("key 'peers': expected an array"), std::string::npos) << error;
    ASSERT_EQ(parse_config(R"({"nope": 1})"), ParseStatus::kRun);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "config file t.json: unknown key 'nope' ignored");
}

TEST_F(OptionTableTest, CommandLineShapeErrors) {
    EXPECT_EQ(parse({"--bogus"}), ParseStatus::kError);
    EXPECT_EQ(error, "unknown option --bogus (see --help)");
    EXPECT_EQ(parse({"--bogus", "1"}), ParseStatus::kError);
    EXPECT_EQ(error, "unknown option --bogus (see --help)");
    EXPECT_EQ(parse({"--bogus=1"}), ParseStatus::kError);
    EXPECT_EQ(error, "unknown option --bogus (see --help)");
    EXPECT_EQ(parse({"-x"}), ParseStatus::kError);
    EXPECT_EQ(error, "unknown option -x (see --help)");
    EXPECT_EQ(parse({"stray"}), ParseStatus::kError);
    EXPECT_EQ(error, "unexpected argument \"stray\" (see --help)");
    EXPECT_EQ(parse({"--count"}), ParseStatus::kError);
    EXPECT_EQ(error, "--count needs a value (see --help)");
    EXPECT_EQ(parse({"--loud=yes"}), ParseStatus::kError);
    EXPECT_EQ(error, "--loud takes no value (see --help)");
    EXPECT_EQ(parse({"--count", "2", "-h"}), ParseStatus::kHelp);
}

// --version stops parsing like --help: nothing after it is checked, it
// takes no value, and it is no config key.
TEST_F(OptionTableTest, VersionStopsParsingAndIsNoKey) {
    EXPECT_EQ(parse({"--version"}), ParseStatus::kVersion);
    EXPECT_EQ(parse({"--version", "--count", "0"}), ParseStatus::kVersion);
    EXPECT_EQ(parse({"--help", "--version"}), ParseStatus::kHelp);
    EXPECT_EQ(parse({"--version=1"}), ParseStatus::kError);
    EXPECT_NE(error.find("--version takes no value"), std::string::npos) << error;
    ASSERT_EQ(parse_config(R"({"version": true})"), ParseStatus::kRun) << error;
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("unknown key 'version'"), std::string::npos) << warnings[0];
}

TEST_F(OptionTableTest, HelpComesFromTheRows) {
    const Toy defaults;
    std::string help = render_help(kRows, &defaults, "intro\n", "outro\n");
    EXPECT_EQ(help.rfind("intro\n\nMain:\n", 0), 0u) << help;
    EXPECT_NE(help.find("  --count N                   how many (1..9, default 3)\n"),
              std::string::npos)
        << help;
    EXPECT_NE(help.find("window in seconds (1..100, default 60)"), std::string::npos) << help;
    EXPECT_NE(help.find("a period (default 1.5)"), std::string::npos) << help;
    EXPECT_NE(help.find("the mode (default fast)"), std::string::npos) << help;
    EXPECT_NE(help.find("a label (default toy)"), std::string::npos) << help;
    EXPECT_NE(help.find("  --loud                      be loud\n"), std::string::npos) << help;
    EXPECT_NE(help.find("  -h, --help"), std::string::npos) << help;
    EXPECT_NE(help.find("how_many (--count)"), std::string::npos) << help;
    EXPECT_NE(help.find("talk (false = --quiet)"), std::string::npos) << help;
    EXPECT_EQ(help.substr(help.size() - 6), "outro\n");
}

}  // namespace
}  // namespace p2p::shell
