// Logs under a supervisor (issue 10.5), against the real binary: with
// --log-format journal, or JOURNAL_STREAM naming stderr as systemd sets it,
// every stderr log line starts with an sd-daemon priority (<4> warning,
// <6> info, <7> debug) and carries no timestamp of ours; a JOURNAL_STREAM
// that names another file leaves the plain format. Events (link up,
// "listening on") are printed once, on stdout, not logged again at INFO.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

const std::regex kTimestamp("^[0-9]{4}-[0-9]{2}-[0-9]{2}T");

class JournalFormat : public ::testing::Test {
  protected:
    // A headless node whose config has an unknown key (a WARN at start).
    // `via_shell` runs it under sh so that JOURNAL_STREAM can be computed
    // from the very stderr the node inherits.
    void start(const std::vector<std::string>& extra, const std::string& journal_stream = "") {
        std::ofstream(dir_.path() + "/c.json") << R"({"no_such_key": 1})";
        std::vector<std::string> args = {"--name",
                                         "j",
                                         "--namespace",
                                         "CIC",
                                         "--no-shell",
                                         "--rendezvous",
                                         "127.0.0.1:" + std::to_string(dead_.port()),
                                         "--config",
                                         dir_.path() + "/c.json"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::string err;
        if (journal_stream.empty()) {
            ASSERT_TRUE(proc_.start(P2PCHAT_BIN, args, {}, &err)) << err;
        } else {
            std::string script = journal_stream == "stderr"
                                     ? "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) "
                                       "exec \"$0\" \"$@\""
                                     : "JOURNAL_STREAM=" + journal_stream + " exec \"$0\" \"$@\"";
            args.insert(args.begin(), {"-c", script, P2PCHAT_BIN});
            ASSERT_TRUE(proc_.start("/bin/sh", args, {}, &err)) << err;
        }
        ASSERT_TRUE(proc_.wait_for_line("listening on", kEventTimeout)) << proc_.dump();
    }
    // Asks for an INFO line (SIGUSR1's stats) and waits for it.
    std::optional<std::string> stats_line() {
        if (!proc_.send_signal(SIGUSR1)) return std::nullopt;
        return proc_.wait_for_line("stats: peers", kEventTimeout, Stream::kStderr);
    }
    void expect_journal_lines() {
        auto warn =
            proc_.wait_for_line("unknown key 'no_such_key'", kEventTimeout, Stream::kStderr);
        ASSERT_TRUE(warn) << proc_.dump();
        EXPECT_EQ(warn->rfind("<4>[Node] config file ", 0), 0u) << *warn;
        auto info = stats_line();
        ASSERT_TRUE(info) << proc_.dump();
        EXPECT_EQ(info->rfind("<6>[Node] stats: peers ", 0), 0u) << *info;
        for (const std::string& line : proc_.lines(Stream::kStderr)) {
            EXPECT_TRUE(std::regex_search(line, std::regex("^<[3467]>"))) << line;
            EXPECT_FALSE(std::regex_search(line, kTimestamp)) << line;
        }
    }

    TempDir dir_;
    DeadPort dead_;
    Process proc_;
};

// A rendezvous that refuses: one warning-priority line with the cause (issue
// 15.6), the retries at debug priority only.
TEST_F(JournalFormat, RendezvousFailureIsOneWarningWithItsCause) {
    start({"--log-format", "journal", "--log-level", "debug"});
    ASSERT_TRUE(proc_.wait_for_line("^<7>\\[Rendezvous\\] REGISTER failed \\(.*\\), retry 2 in",
                                    kEventTimeout, Stream::kStderr))
        << proc_.dump();
    std::regex warning("^<4>\\[Rendezvous\\] 127\\.0\\.0\\.1:" + std::to_string(dead_.port()) +
                       ": REGISTER failed: unreachable: Connection refused; retry in");
    int warnings = 0;
    for (const std::string& line : proc_.lines(Stream::kStderr)) {
        warnings += std::regex_search(line, warning) ? 1 : 0;
        bool about_it = line.find("REGISTER failed") != std::string::npos;
        EXPECT_TRUE(!about_it || line.rfind("<4>", 0) == 0 || line.rfind("<7>", 0) == 0) << line;
    }
    EXPECT_EQ(warnings, 1) << proc_.dump();
}

TEST_F(JournalFormat, LogFormatJournalWritesPrioritiesAndNoTimestamp) {
    start({"--log-format", "journal"});
    expect_journal_lines();
}

TEST_F(JournalFormat, JournalStreamNamingStderrSelectsIt) {
    start({}, "stderr");
    expect_journal_lines();
}

TEST_F(JournalFormat, JournalStreamNamingAnotherFileIsIgnored) {
    start({}, "1:1");
    auto info = stats_line();
    ASSERT_TRUE(info) << proc_.dump();
    EXPECT_TRUE(std::regex_search(*info, kTimestamp)) << *info;
    EXPECT_NE(info->find(" INFO [Node] stats: peers"), std::string::npos) << *info;
}

TEST_F(JournalFormat, PlainFormatWinsOverJournalStream) {
    start({"--log-format", "plain"}, "stderr");
    auto info = stats_line();
    ASSERT_TRUE(info) << proc_.dump();
    EXPECT_TRUE(std::regex_search(*info, kTimestamp)) << *info;
}

TEST_F(JournalFormat, DebugLinesCarryPrioritySeven) {
    start({"--log-format", "journal", "--log-level", "DEBUG"});
    auto debug = proc_.wait_for_line("^<7>\\[", kEventTimeout, Stream::kStderr);
    EXPECT_TRUE(debug) << proc_.dump();
}

// Every console event used to be logged at INFO as well, so a terminal
// showed "link up" and "listening on" twice (stdout and stderr).
TEST(EventsOnce, LinkUpAndListeningAreEventsNotInfoLogLines) {
    DeadPort dead;
    NodeProcess a;
    NodeProcess b;
    NodeConfig ca;
    ca.name = "a";
    ca.rendezvous_port = dead.port();
    std::string err;
    ASSERT_TRUE(a.start(ca, &err)) << err;
    NodeConfig cb = ca;
    cb.name = "b";
    cb.peers = {a.address()};
    ASSERT_TRUE(b.start(cb, &err)) << err;
    ASSERT_TRUE(b.wait_link_up("a@CIC")) << b.dump();
    ASSERT_TRUE(a.wait_link_up("b@CIC")) << a.dump();
    EXPECT_TRUE(b.saw("listening on"));
    // Something logged after the link came up, so stderr is known to be
    // caught up with it.
    ASSERT_TRUE(b.proc().send_signal(SIGUSR1));
    ASSERT_TRUE(b.proc().wait_for_line("stats: peers", kEventTimeout, Stream::kStderr));
    for (const std::string& line : b.proc().lines(Stream::kStderr)) {
        EXPECT_EQ(line.find("link up"), std::string::npos) << line;
        EXPECT_EQ(line.find("listening on"), std::string::npos) << line;
    }
    a.quit();
    b.quit();
}

}  // namespace
}  // namespace p2p::test
