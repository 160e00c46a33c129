// --max-user-queue-bytes: the bound on what the user typed or piped that
// waits for its peers, as a flag and a config key, with its default the
// engine's and out-of-range values refused naming the flag.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/node.h"
#include "shell/app/node_options.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

ParseStatus parse(std::vector<std::string> extra, NodeOptions& options, std::string& error,
                  std::map<std::string, std::string> files = {}) {
    std::vector<std::string> args = {"--name", "user", "--namespace", "CIC"};
    args.insert(args.end(), extra.begin(), extra.end());
    FileReader reader = test::map_reader(files);
    return parse_node_options(args, "", reader, options, error);
}

TEST(UserQueueOptions, DefaultIsAtLeastOneMebibyteAndTheEnginesOwn) {
    NodeOptions options;
    std::string error;
    ASSERT_EQ(parse({}, options, error), ParseStatus::kRun) << error;
    EXPECT_GE(options.max_user_queue_bytes, 1024u * 1024);
    EXPECT_EQ(options.max_user_queue_bytes, p2p::NodeConfig{}.max_user_queue_bytes);
}

TEST(UserQueueOptions, FlagAndConfigKeySetTheBound) {
    NodeOptions options;
    std::string error;
    ASSERT_EQ(parse({"--max-user-queue-bytes", "4194304"}, options, error), ParseStatus::kRun)
        << error;
    EXPECT_EQ(engine_config(options, 1).max_user_queue_bytes, 4u * 1024 * 1024);
    NodeOptions from_file;
    ASSERT_EQ(parse({"--config", "n.json"}, from_file, error,
                    {{"n.json", R"({"max_user_queue_bytes": 262144})"}}),
              ParseStatus::kRun)
        << error;
    EXPECT_EQ(from_file.max_user_queue_bytes, 262144u);
}

TEST(UserQueueOptions, TooSmallIsRefusedNamingTheFlag) {
    NodeOptions options;
    std::string error;
    EXPECT_EQ(parse({"--max-user-queue-bytes", "1000"}, options, error), ParseStatus::kError);
    EXPECT_NE(error.find("--max-user-queue-bytes"), std::string::npos) << error;
}

}  // namespace
}  // namespace p2p::shell
