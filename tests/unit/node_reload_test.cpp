// What a headless SIGHUP may change in a running node (shell/app/node_signals.h):
// the reloadable keys are applied and named with their old and new values,
// every other changed key is named as needing a restart and left alone.
#include "shell/app/node_signals.h"

#include <gtest/gtest.h>

#include <map>

#include "core/clock.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

NodeOptions parsed(const std::string& json) {
    std::map<std::string, std::string> files{{"c.json", json}};
    FileReader reader = test::map_reader(files);
    NodeOptions o;
    std::string error;
    EXPECT_EQ(parse_node_options({"--name", "a", "--namespace", "CIC", "--config", "c.json"}, "",
                                 reader, o, error),
              ParseStatus::kRun)
        << error;
    return o;
}

struct NoHost final : NodeHost {
    bool dial(LinkId, std::string_view, std::uint16_t) override { return false; }
    void close_link(LinkId) override {}
    void want_write(LinkId) override {}
    void emit(const NodeEvent&) override {}
    void quit_complete() override {}
};

TEST(NodeReload, ReloadableKeysApplyOthersNeedARestart) {
    NodeOptions running =
        parsed(R"({"log_level": "INFO", "ping_interval": 30, "max_peers": 64, "relay_share": 50})");
    NodeOptions fresh = parsed(
        R"({"log_level": "DEBUG", "ping_interval": 5, "max_peers": 10, "relay_share": 20, "port": 9})");
    ReloadReport r = apply_reload(running, fresh);
    EXPECT_EQ(r.changed,
              (std::vector<std::string>{"ping_interval 30 -> 5", "relay_share_percent 50 -> 20",
                                        "log_level INFO -> DEBUG"}));
    EXPECT_EQ(r.needs_restart, (std::vector<std::string>{"listen_port", "max_peers"}));
    EXPECT_EQ(running.log_level, LogLevel::kDebug);
    EXPECT_EQ(running.ping_interval_ms, 5'000);
    EXPECT_EQ(running.relay_share_percent, 20);
    EXPECT_EQ(running.max_peers, 64u) << "not reloadable: the running value stays";
    EXPECT_EQ(running.listen_port, 0);
    // Reloading the same file again changes nothing.
    ReloadReport again = apply_reload(running, fresh);
    EXPECT_TRUE(again.changed.empty());
}

TEST(NodeReload, EngineFollowsTheReloadedKeys) {
    ManualClock clock;
    NoHost host;
    NodeOptions o = parsed(R"({"ping_interval": 2, "relay_share": 7})");
    Node node(engine_config(o, 1), clock, host);
    NodeOptions fresh = parsed(R"({"ping_interval": 9, "relay_share": 60})");
    logger().set_level(LogLevel::kWarn);  // as if typed with /log
    ReloadReport r = apply_reload(o, fresh);
    apply_reloadable(o, r, node, nullptr);
    EXPECT_EQ(node.config().ping_interval_ms, 9'000);
    EXPECT_EQ(node.config().relay_share_percent, 60);
    EXPECT_EQ(logger().level(), LogLevel::kWarn) << "log_level did not change in the file";
    logger().set_level(LogLevel::kInfo);
}

TEST(NodeReload, StatsLineNamesEveryFigure) {
    ManualClock clock;
    NoHost host;
    Node node(engine_config(parsed("{}"), 1), clock, host);
    EXPECT_EQ(node_stats_line(node, 1234),
              "stats: peers 0, links 0, relayed 0, dropped 0, refused 0, queue bytes 0, rss "
              "1234 KiB");
}

}  // namespace
}  // namespace p2p::shell
