// The rendezvous server's settings: the same option table machinery as the
// node's, so the same flag and key rules, plus its --config FILE.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/registry.h"
#include "shell/app/rendezvous_cli.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

class RendezvousOptionsTest : public ::testing::Test {
  protected:
    std::map<std::string, std::string> files;
    RendezvousOptions options;
    std::string error;

    ParseStatus parse(const std::vector<std::string>& args) {
        error.clear();
        FileReader reader = test::map_reader(files);
        return parse_rendezvous_options(args, reader, options, error);
    }
    void expect_error(const std::vector<std::string>& args, const std::string& message) {
        EXPECT_EQ(parse(args), ParseStatus::kError);
        EXPECT_EQ(error, message);
    }
};

TEST_F(RendezvousOptionsTest, DefaultsAreTheServersAndTheRegistrys) {
    ASSERT_EQ(parse({}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.listen, "0.0.0.0:8080");
    const RendezvousServerConfig server;
    EXPECT_EQ(options.server.db_path, "");
    EXPECT_EQ(options.server.idle_timeout_ms, server.idle_timeout_ms);
    EXPECT_EQ(options.server.max_connections, server.max_connections);
    const RegistryConfig registry;
    EXPECT_EQ(options.server.registry.rate_limit, registry.rate_limit);
    EXPECT_EQ(options.server.registry.rate_window_ms, registry.rate_window_ms);
    EXPECT_EQ(options.log_level, LogLevel::kInfo);
    std::string help = test::collapse_spaces(rendezvous_help_text());
    EXPECT_NE(help.find("(1..86400, default " + std::to_string(registry.rate_window_ms / 1000)),
              std::string::npos)
        << help;
}

TEST_F(RendezvousOptionsTest, TheTableDrivesTheHelp) {
    std::string help = rendezvous_help_text();
    test::expect_help_covers_every_row(rendezvous_option_rows(), help);
    // The e2e test and the README expect "  --flag" at the start of a line.
    for (const OptionRow& row : rendezvous_option_rows())
        EXPECT_NE(help.find("\n  " + std::string(row.kind == OptionKind::kHelp ? "-h, " : "") +
                            std::string(row.flag)),
                  std::string::npos)
            << row.flag;
}

TEST_F(RendezvousOptionsTest, EveryRowWorksAsAFlagAndUnderEachKey) {
    const RendezvousOptions defaults;
    // --max-ttl a year, so any --default-ttl stays within it.
    const std::vector<std::string> base = {"--max-ttl", "31536000"};
    test::expect_every_row_works(
        rendezvous_option_rows(), &defaults,
        [&](const OptionRow& row, std::vector<std::string> args, std::string member,
            std::string& shown, std::string& why, std::vector<std::string>& warnings) {
            std::vector<std::string> all = base;
            if (!member.empty()) {
                files["row.json"] = "{" + member + "}";
                all.insert(all.end(), {"--config", "row.json"});
            }
            all.insert(all.end(), args.begin(), args.end());
            ParseStatus status = parse(all);
            why = error;
            warnings = options.warnings;
            shown = row.show(&options, row);
            return status;
        });
}

TEST_F(RendezvousOptionsTest, ConfigFileWithFlagsOverridingIt) {
    files["r.json"] = R"({"listen": "127.0.0.1:0", "db": "/tmp/reg.json", "rate_window": 5,
        "max_connections": "12", "log_level": "DEBUG", "extra": true})";
    ASSERT_EQ(parse({"--rate-window", "7", "--config", "r.json"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.listen, "127.0.0.1:0");
    EXPECT_EQ(options.server.db_path, "/tmp/reg.json");
    EXPECT_EQ(options.server.registry.rate_window_ms, 7'000) << "the flag wins";
    EXPECT_EQ(options.server.max_connections, 12u);
    EXPECT_EQ(options.log_level, LogLevel::kDebug);
    EXPECT_EQ(options.config_file, "r.json");
    ASSERT_EQ(options.warnings.size(), 1u);
    EXPECT_EQ(options.warnings[0], "config file r.json: unknown key 'extra' ignored");
}

TEST_F(RendezvousOptionsTest, BadConfigFilesNameTheKey) {
    files["r.json"] = R"({"rate_limit": -1})";
    expect_error({"--config", "r.json"},
                 "config file r.json: key 'rate_limit': expected an integer 0..1000000, got "
                 "\"-1\"");
    files["r.json"] = R"({"listen": "nohost"})";
    expect_error({"--config", "r.json"},
                 "config file r.json: key 'listen': expected HOST:PORT with a numeric address or "
                 "localhost, got \"nohost\"");
    files["r.json"] = R"({"db": ["x"]})";
    expect_error({"--config", "r.json"},
                 "config file r.json: key 'db': expected a string or number, got an array");
    files["r.json"] = "[]";
    expect_error({"--config", "r.json"}, "config file r.json: expected a JSON object");
    expect_error({"--config", "missing.json"},
                 "config file missing.json: No such file or directory");
}

TEST_F(RendezvousOptionsTest, FlagErrorsReadLikeTheNodes) {
    expect_error({"--bogus"}, "unknown option --bogus (see --help)");
    expect_error({"--bogus", "1"}, "unknown option --bogus (see --help)");
    expect_error({"--bogus=1"}, "unknown option --bogus (see --help)");
    expect_error({"stray"}, "unexpected argument \"stray\" (see --help)");
    expect_error({"--listen"}, "--listen needs a value (see --help)");
    expect_error({"--rate-limit", "lots"},
                 "--rate-limit: expected an integer 0..1000000, got \"lots\"");
    expect_error({"--listen", "example.com:80"},
                 "--listen: expected HOST:PORT with a numeric address or localhost, got "
                 "\"example.com:80\"");
    expect_error({"--log-level", "LOUD"},
                 "--log-level: expected DEBUG, INFO, WARN, ERROR or OFF, got \"LOUD\"");
    expect_error({"--default-ttl", "100", "--max-ttl", "50"},
                 "--default-ttl must not exceed --max-ttl");
    EXPECT_EQ(parse({"--rate-limit", "5", "--help"}), ParseStatus::kHelp);
    ASSERT_EQ(parse({"--listen=localhost:0", "--idle-timeout", "2"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.server.idle_timeout_ms, 2'000);
}

}  // namespace
}  // namespace p2p::shell
