// The relay settings of the node: --no-relay, --relay-ttl and the relay
// bounds, as flags and as config keys, with errors naming the culprit.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/node.h"
#include "shell/app/node_options.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

class RelayOptionsTest : public ::testing::Test {
  protected:
    std::map<std::string, std::string> files;
    NodeOptions options;
    std::string error;

    ParseStatus parse(std::vector<std::string> extra) {
        std::vector<std::string> args = {"--name", "relay", "--namespace", "CIC"};
        args.insert(args.end(), extra.begin(), extra.end());
        error.clear();
        FileReader reader = test::map_reader(files);
        return parse_node_options(args, "", reader, options, error);
    }
    ParseStatus parse_config(const std::string& json, std::vector<std::string> extra = {}) {
        files["relay.json"] = json;
        extra.insert(extra.begin(), {"--config", "relay.json"});
        return parse(std::move(extra));
    }
    void expect_error(std::vector<std::string> extra, const std::string& fragment) {
        EXPECT_EQ(parse(std::move(extra)), ParseStatus::kError);
        EXPECT_NE(error.find(fragment), std::string::npos)
            << "error \"" << error << "\" should mention \"" << fragment << "\"";
    }
    void expect_config_error(const std::string& json, const std::string& fragment) {
        EXPECT_EQ(parse_config(json), ParseStatus::kError) << json;
        EXPECT_NE(error.find(fragment), std::string::npos)
            << "error \"" << error << "\" should mention \"" << fragment << "\"";
    }
};

TEST_F(RelayOptionsTest, DefaultsAreTheProtocolsAndTheEnginesDefaults) {
    ASSERT_EQ(parse({}), ParseStatus::kRun) << error;
    EXPECT_TRUE(options.relay);
    EXPECT_EQ(options.relay_ttl, 1);  // docs/protocol.md §5: one relay at most
    EXPECT_EQ(options.relay_share_percent, 50);
    EXPECT_EQ(options.relay_rate_per_origin, 50);
    EXPECT_EQ(options.max_routes, 128u);
    EXPECT_EQ(options.route_ttl_ms, 120'000);  // routes cached 120 s
    EXPECT_EQ(options.max_relay_acks, 512u);
    EXPECT_EQ(options.max_pending_sends, 64u);
    EXPECT_EQ(options.queue_max_bytes, 64u * 1024);
    EXPECT_EQ(options.queue_max_msgs, 256u);
    // The same as the engine's own defaults, so a node without flags behaves
    // as the simulation tests measured.
    const p2p::NodeConfig engine;
    EXPECT_EQ(options.relay_ttl, engine.relay_ttl);
    EXPECT_EQ(options.relay_share_percent, engine.relay_share_percent);
    EXPECT_EQ(options.relay_rate_per_origin, engine.relay_rate_per_origin);
    EXPECT_EQ(options.relay_rate_per_link, engine.relay_rate_per_link);
    EXPECT_EQ(options.slow_reader_ms, engine.slow_reader_ms);
    EXPECT_EQ(options.max_routes, engine.max_routes);
    EXPECT_EQ(options.route_ttl_ms, engine.route_ttl_ms);
    EXPECT_EQ(options.max_relay_acks, engine.max_relay_acks);
    EXPECT_EQ(options.max_pending_sends, engine.max_pending_sends);
    EXPECT_EQ(options.queue_max_bytes, engine.queue_max_bytes);
    EXPECT_EQ(options.queue_max_msgs, engine.queue_max_msgs);
}

TEST_F(RelayOptionsTest, FlagsSetEveryBound) {
    ASSERT_EQ(parse({"--no-relay", "--relay-ttl", "8", "--relay-share=25", "--relay-rate", "7",
                     "--max-routes", "16", "--route-age", "2.5", "--max-relay-acks", "32",
                     "--max-pending-sends", "9", "--queue-bytes", "40000", "--queue-msgs", "12"}),
              ParseStatus::kRun)
        << error;
    EXPECT_FALSE(options.relay);
    EXPECT_EQ(options.relay_ttl, 8);
    EXPECT_EQ(options.relay_share_percent, 25);
    EXPECT_EQ(options.relay_rate_per_origin, 7);
    EXPECT_EQ(options.max_routes, 16u);
    EXPECT_EQ(options.route_ttl_ms, 2'500);
    EXPECT_EQ(options.max_relay_acks, 32u);
    EXPECT_EQ(options.max_pending_sends, 9u);
    EXPECT_EQ(options.queue_max_bytes, 40'000u);
    EXPECT_EQ(options.queue_max_msgs, 12u);
}

TEST_F(RelayOptionsTest, RelayTtlOutsideOneToEightIsRefused) {
    expect_error({"--relay-ttl", "9"}, "--relay-ttl: expected an integer 1..8, got \"9\"");
    expect_error({"--relay-ttl", "0"}, "--relay-ttl: expected an integer 1..8, got \"0\"");
    expect_error({"--relay-ttl", "-1"}, "--relay-ttl");
    expect_error({"--relay-ttl", "two"}, "--relay-ttl");
    expect_error({"--relay-ttl"}, "--relay-ttl needs a value");
    ASSERT_EQ(parse({"--relay-ttl", "1"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.relay_ttl, 1);
}

TEST_F(RelayOptionsTest, BoundsOutOfRangeAreRefusedNamingTheFlag) {
    expect_error({"--relay-share", "0"}, "--relay-share: expected an integer 1..100");
    expect_error({"--relay-share", "101"}, "--relay-share");
    expect_error({"--relay-rate", "0"}, "--relay-rate: expected an integer 1..1000000");
    expect_error({"--max-routes", "0"}, "--max-routes: expected an integer 1..65535");
    expect_error({"--route-age", "0"}, "--route-age: expected seconds > 0");
    expect_error({"--max-relay-acks", "70000"}, "--max-relay-acks");
    expect_error({"--max-pending-sends", "0"}, "--max-pending-sends");
    // Smaller than one maximal line plus control headroom: the engine could
    // not queue a full-size message.
    expect_error({"--queue-bytes", "1024"}, "--queue-bytes: expected an integer 36865..16777216");
    expect_error({"--queue-msgs", "0"}, "--queue-msgs");
    expect_error({"--no-relay=yes"}, "--no-relay takes no value");
}

TEST_F(RelayOptionsTest, ConfigKeysSetEveryBound) {
    ASSERT_EQ(parse_config(R"({"relay": false, "relay_ttl": 3, "relay_share_percent": "40",
                               "relay_rate_per_origin": 100, "max_routes": 8, "route_age": 0.5,
                               "relay_rate_per_link": 300, "slow_reader": 1.5,
                               "max_relay_acks": 64, "max_pending_sends": 5,
                               "queue_max_bytes": 131072, "queue_max_msgs": 1000})"),
              ParseStatus::kRun)
        << error;
    EXPECT_FALSE(options.relay);
    EXPECT_EQ(options.relay_ttl, 3);
    EXPECT_EQ(options.relay_share_percent, 40);
    EXPECT_EQ(options.relay_rate_per_origin, 100);
    EXPECT_EQ(options.relay_rate_per_link, 300);
    EXPECT_EQ(options.slow_reader_ms, 1'500);
    EXPECT_EQ(options.max_routes, 8u);
    EXPECT_EQ(options.route_ttl_ms, 500);
    EXPECT_EQ(options.max_relay_acks, 64u);
    EXPECT_EQ(options.max_pending_sends, 5u);
    EXPECT_EQ(options.queue_max_bytes, 131'072u);
    EXPECT_EQ(options.queue_max_msgs, 1000u);
    EXPECT_TRUE(options.warnings.empty());
}

TEST_F(RelayOptionsTest, FlagsOverrideTheConfigFile) {
    ASSERT_EQ(
        parse_config(R"({"relay_ttl": 3, "relay": true})", {"--relay-ttl", "2", "--no-relay"}),
        ParseStatus::kRun)
        << error;
    EXPECT_EQ(options.relay_ttl, 2);
    EXPECT_FALSE(options.relay);
}

TEST_F(RelayOptionsTest, BadConfigValuesNameTheKey) {
    expect_config_error(R"({"relay_ttl": 9})",
                        "key 'relay_ttl': expected an integer 1..8, got \"9\"");
    expect_config_error(R"({"relay_ttl": 0})", "key 'relay_ttl'");
    expect_config_error(R"({"relay": "no"})", "key 'relay': expected true or false");
    expect_config_error(R"({"max_routes": [1]})",
                        "key 'max_routes': expected a string or number, got an array");
    expect_config_error(R"({"queue_max_bytes": 100})", "key 'queue_max_bytes'");
    expect_config_error(R"({"route_age": -1})", "key 'route_age': expected seconds > 0");
    expect_config_error(R"({"relay_share_percent": 0})", "key 'relay_share_percent'");
}

}  // namespace
}  // namespace p2p::shell
