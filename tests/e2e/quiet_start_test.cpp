// Issue 15.12: a start logs what is new, and logs and events share a clock.
//   - "descriptor limit 20000 (was 20000)" and "not serving the rendezvous ...
//     Address already in use" were INFO on every start: now the limit is said
//     only when it was raised, and the usual "a rendezvous already runs
//     there" only at DEBUG;
//   - log lines were UTC ("...T20:14:15.616Z") beside console events in local
//     time ("05:14:15"): log lines are now local time with their offset
//     ("...T05:14:15.616+09:00"), "Z" when local time is UTC.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <ctime>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

// A headless node whose default rendezvous is `rdv_port` (it finds it taken
// and uses it), run until it listens and then stopped; its stderr.
std::string start_and_stop_node(std::uint16_t rdv_port, const std::vector<std::string>& env) {
    std::vector<std::string> all = {"P2PCHAT_DEFAULT_RENDEZVOUS=127.0.0.1:" +
                                    std::to_string(rdv_port)};
    all.insert(all.end(), env.begin(), env.end());
    Process node;
    EXPECT_TRUE(node.start(P2PCHAT_BIN, {"--name", "q", "--namespace", "CIC", "--no-shell"}, all));
    EXPECT_TRUE(node.wait_for_line("listening on", kEventTimeout)) << node.dump();
    EXPECT_TRUE(node.send_signal(SIGUSR1));  // one INFO line whatever else is said
    EXPECT_TRUE(node.wait_for_line("stats: peers", kEventTimeout, Stream::kStderr)) << node.dump();
    EXPECT_TRUE(node.send_signal(SIGTERM));
    EXPECT_TRUE(node.wait_exit(kEventTimeout));
    std::string err;
    for (const std::string& l : node.lines(Stream::kStderr))
        err += l + "\n";
    return err;
}

TEST(QuietStart, NothingChangedNothingSaid) {
    rlimit rl{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max;  // the node inherits a limit it cannot raise
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
    RendezvousProcess rdv;
    std::string e;
    ASSERT_TRUE(rdv.start(&e)) << e;
    std::string err = start_and_stop_node(rdv.port(), {});
    EXPECT_EQ(err.find("descriptor limit"), std::string::npos) << err;
    EXPECT_EQ(err.find("not serving"), std::string::npos) << err;
    EXPECT_NE(err.find("stats: peers"), std::string::npos) << err;
}

TEST(QuietStart, ARaisedLimitIsSaidOnce) {
    rlimit rl{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= 256) GTEST_SKIP() << "hard limit too low";
    rl.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
    RendezvousProcess rdv;
    std::string e;
    ASSERT_TRUE(rdv.start(&e)) << e;
    std::string err = start_and_stop_node(rdv.port(), {});
    EXPECT_TRUE(std::regex_search(
        err, std::regex("INFO \\[Node\\] descriptor limit raised to [0-9]+ \\(was 256\\)\n")))
        << err;
}

// The hour and minute UTC+9 shows now, "HH:MM".
std::string hh_mm_at_plus_nine() {
    std::time_t now = std::time(nullptr) + 9 * 3600;
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char out[8];
    std::snprintf(out, sizeof out, "%02d:%02d", tm.tm_hour, tm.tm_min);
    return out;
}

TEST(LogClock, LogLinesAreLocalTimeWithTheirOffset) {
    RendezvousProcess rdv;
    std::string e;
    ASSERT_TRUE(rdv.start(&e)) << e;
    // A POSIX TZ needs no zone database: nine hours east of UTC.
    std::string before = hh_mm_at_plus_nine();
    std::string err = start_and_stop_node(rdv.port(), {"TZ=XXX-9"});
    std::string after = hh_mm_at_plus_nine();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        err, m,
        std::regex("\\d{4}-\\d\\d-\\d\\dT(\\d\\d:\\d\\d):\\d\\d\\.\\d{3}\\+09:00 INFO \\[Node\\] "
                   "stats: peers")))
        << err;
    EXPECT_TRUE(m[1] == before || m[1] == after) << m[1] << " vs " << before;

    std::string utc = start_and_stop_node(rdv.port(), {"TZ=UTC"});
    EXPECT_TRUE(std::regex_search(
        utc, std::regex("T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO \\[Node\\] stats: peers")))
        << utc;
}

// On a terminal the two side by side: a log line above the prompt and an
// event line show the same local clock.
TEST(LogClock, LogAndEventAgreeOnTheTerminal) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
    RendezvousProcess rdv;
    std::string e;
    ASSERT_TRUE(rdv.start(&e)) << e;
    TmuxSession tty;
    std::string before = hh_mm_at_plus_nine();
    tty.start("exec env TZ=XXX-9 HOME=" + TmuxSession::quote(tty.dir()) + " NO_COLOR=1 " +
              TmuxSession::quote(P2PCHAT_BIN) + " --name tty --namespace CIC --rendezvous " +
              "127.0.0.1:" + std::to_string(rdv.port()));
    std::vector<std::string> event;
    ASSERT_TRUE(tty.wait_screen("(\\d\\d:\\d\\d):\\d\\d .*listening on", kEventTimeout, &event))
        << tty.screen();
    pid_t pid = tty.pane_pid();
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGUSR1), 0);  // a log line, drawn above the prompt
    std::vector<std::string> log;
    ASSERT_TRUE(tty.wait_screen("T(\\d\\d:\\d\\d):\\d\\d\\.\\d{3}\\+09:00 INFO \\[Node\\] stats",
                                kEventTimeout, &log))
        << tty.screen();
    std::string after = hh_mm_at_plus_nine();
    EXPECT_TRUE(event[1] == before || event[1] == after) << tty.screen();
    EXPECT_TRUE(log[1] == before || log[1] == after) << tty.screen();
    tty.key("C-d");
}

}  // namespace
}  // namespace p2p::test
