// Issue 14.1: a config file that nests an array 200 000 deep. RapidJSON's
// recursive parse overflowed the stack: SIGSEGV at start (both programs) and,
// for a running headless node, at the SIGHUP logrotate sends. The parse is
// now iterative with a depth limit (shell/app/config_json.h): exit 78 with the
// reason at start, "kept the previous settings" and still running on SIGHUP.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/program_run.h"

namespace p2p::test {
namespace {

constexpr int kDeep = 200'000;

std::string deep_config() {
    return "{\"log_level\": " + std::string(kDeep, '[') + std::string(kDeep, ']') + "}";
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

void expect_refused_at_start(const Ran& r, const std::string& conf) {
    EXPECT_TRUE(r.status.exited) << "killed by signal " << r.status.signal << "\n" << r.err;
    EXPECT_EQ(r.status.code, 78) << r.err;
    EXPECT_NE(r.err.find("config file " + conf + ": nested deeper than 16 levels at byte"),
              std::string::npos)
        << r.err;
}

TEST(AttackConfigFile, DeepNestingAtStartIsExConfigForTheNode) {
    TempDir dir;
    std::string conf = dir.path() + "/deep.json";
    write_text(conf, deep_config());
    expect_refused_at_start(run({"--name", "a", "--namespace", "CIC", "--config", conf}), conf);
}

TEST(AttackConfigFile, DeepNestingAtStartIsExConfigForTheRendezvous) {
    TempDir dir;
    std::string conf = dir.path() + "/deep.json";
    write_text(conf, deep_config());
    expect_refused_at_start(run({"rendezvous", "--listen", "127.0.0.1:0", "--config", conf}), conf);
}

// logrotate's SIGHUP after someone wrote the file: the node keeps what it
// runs with and says why, and still answers signals afterwards.
TEST(AttackConfigFile, DeepNestingAtSighupKeepsTheNodeRunning) {
    TempDir dir;
    DeadPort dead;
    std::string conf = dir.path() + "/node.json";
    write_text(conf, R"({"ping_interval": 30})");
    NodeProcess node;
    NodeConfig c;
    c.name = "svc";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--no-shell", "--config", conf};
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;

    write_text(conf, deep_config());
    ASSERT_TRUE(node.proc().send_signal(SIGHUP));
    EXPECT_TRUE(node.proc().wait_for_line(
        "WARN \\[Node\\] SIGHUP: kept the previous settings: config file .*: nested deeper "
        "than 16 levels",
        kEventTimeout, Stream::kStderr))
        << node.dump();
    ASSERT_TRUE(node.proc().running()) << node.dump();
    ASSERT_TRUE(node.proc().send_signal(SIGUSR1));
    EXPECT_TRUE(node.proc().wait_for_line("stats: peers", kEventTimeout, Stream::kStderr))
        << node.dump();
    ASSERT_TRUE(node.proc().send_signal(SIGTERM));
    auto st = node.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << node.dump();
}

// The rendezvous reads its config only at start; a headless SIGHUP with the
// file replaced must leave it serving all the same.
TEST(AttackConfigFile, DeepNestingAtSighupKeepsTheRendezvousServing) {
    TempDir dir;
    std::string conf = dir.path() + "/rdv.json";
    write_text(conf, R"({"rate_limit": 100})");
    Process rdv;
    ASSERT_TRUE(
        rdv.start(P2PCHAT_BIN, {"rendezvous", "--listen", "127.0.0.1:0", "--config", conf}));
    ASSERT_TRUE(rdv.wait_for_line("listening on", kEventTimeout)) << rdv.dump();
    write_text(conf, deep_config());
    ASSERT_TRUE(rdv.send_signal(SIGHUP));
    EXPECT_TRUE(rdv.wait_for_line("SIGHUP: nothing to reload; still serving", kEventTimeout,
                                  Stream::kStderr))
        << rdv.dump();
    EXPECT_TRUE(rdv.running());
    ASSERT_TRUE(rdv.send_signal(SIGTERM));
    auto st = rdv.wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << rdv.dump();
}

}  // namespace
}  // namespace p2p::test
