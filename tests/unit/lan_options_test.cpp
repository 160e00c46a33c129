// --no-lan-discovery and its config keys (docs/protocol.md §7): on by
// default, off by the flag, by "lan_discovery": false or "no_lan_discovery": true.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "shell/app/node_options.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

ParseStatus parse(std::vector<std::string> extra, NodeOptions& out,
                  const std::string& config = "") {
    std::map<std::string, std::string> files;
    std::vector<std::string> args = {"--name", "alice", "--namespace", "CIC"};
    if (!config.empty()) {
        files["node.json"] = config;
        args.insert(args.end(), {"--config", "node.json"});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    std::string error;
    return parse_node_options(args, "", test::map_reader(files), out, error);
}

TEST(LanOptions, OnByDefaultOffByTheFlagOrTheConfig) {
    NodeOptions on;
    ASSERT_EQ(parse({}, on), ParseStatus::kRun);
    EXPECT_TRUE(on.lan_discovery);

    NodeOptions flag;
    ASSERT_EQ(parse({"--no-lan-discovery"}, flag), ParseStatus::kRun);
    EXPECT_FALSE(flag.lan_discovery);

    NodeOptions key;
    ASSERT_EQ(parse({}, key, R"({"lan_discovery": false})"), ParseStatus::kRun);
    EXPECT_FALSE(key.lan_discovery);

    NodeOptions flag_key;
    ASSERT_EQ(parse({}, flag_key, R"({"no_lan_discovery": true})"), ParseStatus::kRun);
    EXPECT_FALSE(flag_key.lan_discovery);

    NodeOptions back_on;  // a flag-less command line keeps what the file says
    ASSERT_EQ(parse({}, back_on, R"({"lan_discovery": true})"), ParseStatus::kRun);
    EXPECT_TRUE(back_on.lan_discovery);
}

TEST(LanOptions, TheHelpSaysWhatItTurnsOff) {
    std::string help = node_help_text();
    EXPECT_NE(help.find("--no-lan-discovery"), std::string::npos);
    EXPECT_NE(help.find("47474"), std::string::npos);
    EXPECT_NE(help.find("P2PCHAT_NO_LAN_DISCOVERY"), std::string::npos);
}

}  // namespace
}  // namespace p2p::shell
