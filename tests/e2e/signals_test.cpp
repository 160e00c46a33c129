// Signals, --version and exit codes against the real binary (issue 10.4):
//   SIGHUP with a terminal (tmux)  -> BYE to its peers, UNREGISTER, exit 0;
//   the terminal hanging up (pty    -> the same, whether SIGHUP (the session
//   closed, tmux server killed)       leader) or EIO on stdin tells it first;
//   kill -INT to a node at a prompt -> stops it (Ctrl-C there is a key);
//   SIGHUP headless                -> --log-file reopened, config reloaded,
//                                     changed keys reported, still running;
//   SIGUSR1                        -> one stats line, still running (node and
//                                     rendezvous);
//   --version on both programs     -> exit 0 and the version;
//   a bad option or config file    -> exit 78 (EX_CONFIG).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/node_process.h"
#include "tests/support/program_run.h"
#include "tests/support/pty_child.h"
#include "tests/support/raw_peer.h"
#include "tests/support/tcp_client.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

std::string read_text(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

std::string discover(std::uint16_t rdv_port, const std::string& ns) {
    TcpClient c;
    if (!c.connect(rdv_port)) return {};
    c.send_line("{\"type\":\"DISCOVER\",\"namespace\":\"" + ns + "\"}");
    return c.read_line().value_or("");
}

TEST(Version, BothProgramsPrintItAndExitZero) {
    Ran node = run({"--version"});
    EXPECT_TRUE(node.status.success());
    EXPECT_TRUE(std::regex_search(node.out, std::regex("^p2pchat [0-9]+\\.[0-9]+\\.[0-9]+")))
        << node.out;
    Ran rdv = run({"rendezvous", "--version"});
    EXPECT_TRUE(rdv.status.success()) << rdv.err;
    EXPECT_TRUE(
        std::regex_search(rdv.out, std::regex("^p2pchat rendezvous [0-9]+\\.[0-9]+\\.[0-9]+")))
        << rdv.out;
    // Built from a git checkout: the describe follows the version.
    std::string rdv_first = rdv.out.substr(0, rdv.out.find('\n') + 1);
    EXPECT_EQ(node.out.substr(node.out.find(' ')), rdv_first.substr(rdv_first.find(' ', 9)));
    // Then which registry backends this build has (issue 18).
    EXPECT_EQ(rdv.out.substr(rdv_first.size()),
              P2P_HAVE_REDIS ? "registry backends: memory (--db), redis (--registry)\n"
                             : "registry backends: memory (--db); built without Redis\n");
}

TEST(ExitCodes, BadConfigIsExConfig) {
    TempDir dir;
    std::string conf = dir.path() + "/bad.json";
    write_text(conf, R"({"max_peers": "lots"})");
    Ran node = run({"--name", "a", "--namespace", "CIC", "--config", conf});
    EXPECT_TRUE(node.status.exited);
    EXPECT_EQ(node.status.code, 78) << node.err;
    EXPECT_NE(node.err.find("max_peers"), std::string::npos) << node.err;
    std::string rdv_conf = dir.path() + "/bad_rdv.json";
    write_text(rdv_conf, R"({"rate_limit": "lots"})");
    Ran rdv = run({"rendezvous", "--listen", "127.0.0.1:0", "--config", rdv_conf});
    EXPECT_EQ(rdv.status.code, 78) << rdv.err;
    Ran flag = run({"rendezvous", "--listen", "127.0.0.1:0", "--rate-limit", "-3"});
    EXPECT_EQ(flag.status.code, 78) << flag.err;
    Ran help = run({"--help"});
    EXPECT_NE(help.out.find("78 (EX_CONFIG)"), std::string::npos);
}

TEST(Signals, SigusrOneLogsStatsAndTheNodeKeepsRunning) {
    DeadPort dead;
    NodeProcess node;
    NodeConfig c;
    c.name = "stats";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--no-shell"};
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    ASSERT_TRUE(node.proc().send_signal(SIGUSR1));
    auto line = node.proc().wait_for_line(
        "INFO \\[Node\\] stats: peers [0-9]+, links [0-9]+, relayed [0-9]+, dropped [0-9]+, "
        "refused [0-9]+, queue bytes [0-9]+, rss [0-9]+ KiB$",
        kEventTimeout, Stream::kStderr);
    EXPECT_TRUE(line) << node.dump();
    EXPECT_TRUE(node.proc().running());
    ASSERT_TRUE(node.proc().send_signal(SIGUSR1));
    EXPECT_TRUE(node.proc().wait_for_line("stats: peers", kEventTimeout, Stream::kStderr));
    ASSERT_TRUE(node.proc().send_signal(SIGTERM));
    auto st = node.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << node.dump();
}

TEST(Signals, SigusrOneOnTheRendezvousLogsItsStats) {
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;
    EXPECT_NE(discover(rdv.port(), "CIC"), "");  // one request answered
    ASSERT_TRUE(rdv.proc().send_signal(SIGUSR1));
    auto line = rdv.proc().wait_for_line(
        "\\[Rendezvous\\] stats: registrations 0, connections [0-9]+, requests 1, blocked 0, "
        "rss [0-9]+ KiB$",
        kEventTimeout, Stream::kStderr);
    EXPECT_TRUE(line) << rdv.dump();
    EXPECT_TRUE(rdv.proc().running());
    ASSERT_TRUE(rdv.proc().send_signal(SIGTERM));
    auto st = rdv.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << rdv.dump();
}

// A service: SIGHUP after logrotate renamed the log file. New lines go to a
// new file at the old name, and the config file's reloadable keys apply.
TEST(Signals, SighupHeadlessReopensTheLogAndReloadsTheConfig) {
    TempDir dir;
    DeadPort dead;
    std::string log = dir.path() + "/node.log";
    std::string conf = dir.path() + "/node.json";
    write_text(conf, R"({"log_level": "INFO", "ping_interval": 30, "max_peers": 64})");
    NodeProcess node;
    NodeConfig c;
    c.name = "svc";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--no-shell", "--log-file", log, "--config", conf};
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    ASSERT_TRUE(node.proc().send_signal(SIGUSR1));  // a first line in the log
    ASSERT_TRUE(eventually([&] { return read_text(log).find("stats:") != std::string::npos; }))
        << node.dump();

    ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
    write_text(conf, R"({"log_level": "DEBUG", "ping_interval": 5, "max_peers": 10})");
    ASSERT_TRUE(node.proc().send_signal(SIGHUP));
    ASSERT_TRUE(eventually([&] {
        return read_text(log).find("SIGHUP: reloaded") != std::string::npos;
    })) << node.dump()
        << "\nold log:\n"
        << read_text(log + ".1");
    std::string fresh = read_text(log);
    EXPECT_NE(fresh.find("reopened the log file"), std::string::npos) << fresh;
    EXPECT_NE(fresh.find("log_level INFO -> DEBUG"), std::string::npos) << fresh;
    EXPECT_NE(fresh.find("ping_interval 30 -> 5"), std::string::npos) << fresh;
    EXPECT_NE(fresh.find("need a restart: max_peers"), std::string::npos) << fresh;
    EXPECT_EQ(read_text(log + ".1").find("SIGHUP"), std::string::npos)
        << "the renamed file gets nothing new";
    EXPECT_TRUE(node.proc().running());

    // The new level is in force: a link coming up is logged at DEBUG.
    RawPeer raw;
    ASSERT_TRUE(raw.connect(node.port()));
    ASSERT_TRUE(raw.hello("raw@CIC", {"ack"}));
    EXPECT_TRUE(eventually([&] { return read_text(log).find("link up") != std::string::npos; }))
        << read_text(log);
    EXPECT_NE(read_text(log).find(" DEBUG [Link] raw@CIC"), std::string::npos) << read_text(log);

    ASSERT_TRUE(node.proc().send_signal(SIGTERM));
    auto st = node.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << node.dump();
}

// The SSH session or the tmux pane closes: the terminal sends SIGHUP. The
// node says BYE to its peers, UNREGISTERs and exits 0 (it used to die with
// 129 and stay registered for the ttl).
TEST(Signals, SighupWithATerminalSaysByeUnregistersAndExitsZero) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;
    TmuxSession tty;
    tty.start("exec env HOME=" + TmuxSession::quote(tty.dir()) + " NO_COLOR=1 " +
              TmuxSession::quote(P2PCHAT_BIN) + " --name tty --namespace CIC --rendezvous " +
              "127.0.0.1:" + std::to_string(rdv.port()));
    std::vector<std::string> groups;
    ASSERT_TRUE(tty.wait_screen("listening on [^ ]*:([0-9]+)", kEventTimeout, &groups))
        << tty.screen();
    auto port = static_cast<std::uint16_t>(std::stoi(groups[1]));
    ASSERT_TRUE(eventually(
        [&] { return discover(rdv.port(), "CIC").find("\"name\":\"tty\"") != std::string::npos; }));
    RawPeer raw;
    ASSERT_TRUE(raw.connect(port));
    ASSERT_TRUE(raw.hello("raw@CIC", {"ack"}));
    ASSERT_TRUE(tty.wait_screen("link raw@CIC up", kEventTimeout)) << tty.screen();

    pid_t pid = tty.pane_pid();
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGHUP), 0);
    auto bye = raw.read_type("BYE", 5s);
    ASSERT_TRUE(bye) << tty.screen();
    EXPECT_EQ(bye->str("src"), "tty@CIC");
    ASSERT_TRUE(raw.send_raw("{\"type\":\"BYE_OK\",\"msg_id\":\"" + bye->str("msg_id") +
                             "\",\"src\":\"raw@CIC\",\"dst\":\"tty@CIC\",\"ttl\":1}\n"));
    auto code = tty.wait_exit(kEventTimeout);
    ASSERT_TRUE(code) << tty.screen();
    EXPECT_EQ(*code, 0) << tty.screen();
    EXPECT_EQ(discover(rdv.port(), "CIC").find("\"name\":\"tty\""), std::string::npos)
        << "UNREGISTER before the exit";
}

// A node at a terminal, registered at a live rendezvous, with a raw peer
// linked to it: the peer sees its BYE, the rendezvous its UNREGISTER.
class TerminalHangup : public ::testing::Test {
  protected:
    void SetUp() override {
#ifndef P2P_HAVE_LIBEDIT
        GTEST_SKIP() << "built without libedit: no line editor on a terminal";
#endif
        std::string err;
        ASSERT_TRUE(rdv_.start(&err)) << err;
    }
    std::vector<std::string> node_args() const {
        return {"--name",        "tty",
                "--namespace",   "CIC",
                "--port",        "0",
                "--listen-host", "127.0.0.1",
                "--rendezvous",  "127.0.0.1:" + std::to_string(rdv_.port())};
    }
    // The node as a shell command line for a tmux pane.
    std::string node_command(const TmuxSession& tty) const {
        std::string cmd = "env HOME=" + TmuxSession::quote(tty.dir()) + " LC_ALL=C.UTF-8 " +
                          "NO_COLOR=1 " + TmuxSession::quote(P2PCHAT_BIN);
        for (const std::string& a : node_args())
            cmd += " " + TmuxSession::quote(a);
        return cmd;
    }
    bool registered() {
        return discover(rdv_.port(), "CIC").find("\"name\":\"tty\"") != std::string::npos;
    }
    // Links the raw peer to the node listening on `port`.
    void link_raw_peer(std::uint16_t port) {
        ASSERT_TRUE(eventually([&] { return registered(); }));
        ASSERT_TRUE(raw_.connect(port));
        ASSERT_TRUE(raw_.hello("raw@CIC", {"ack"}));
    }
    // After the hangup: BYE to the peer (answered), then UNREGISTER.
    void expect_bye_and_unregister() {
        auto bye = raw_.read_type("BYE", 5s);
        ASSERT_TRUE(bye) << "no BYE after the hangup; " << diagnostics_;
        EXPECT_EQ(bye->str("src"), "tty@CIC");
        ASSERT_TRUE(raw_.send_raw("{\"type\":\"BYE_OK\",\"msg_id\":\"" + bye->str("msg_id") +
                                  "\",\"src\":\"raw@CIC\",\"dst\":\"tty@CIC\",\"ttl\":1}\n"));
        EXPECT_TRUE(eventually([&] { return !registered(); })) << "still registered";
    }

    RendezvousProcess rdv_;
    RawPeer raw_;
    std::string diagnostics_;
};

// The kernel's own hangup: the pty's master side closes (the SSH session
// drops). The node is the session leader, so it gets SIGHUP, and its reads
// fail with EIO. It used to take that SIGHUP for a headless reload and run on.
TEST_F(TerminalHangup, PtyClosedSighupToTheSessionLeaderSaysByeAndExitsZero) {
    PtyChild pty;
    TempDir home;
    std::string err;
    PtyOptions o;
    o.rows = 30;
    o.columns = 100;
    ASSERT_TRUE(pty.start(P2PCHAT_BIN, node_args(),
                          {"HOME=" + home.path(), "LC_ALL=C.UTF-8", "NO_COLOR=1", "TERM=xterm"}, o,
                          &err))
        << err;
    ASSERT_TRUE(pty.wait_output(" as tty@CIC", kEventTimeout)) << pty.output();
    std::smatch m;
    std::string out = pty.output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("listening on [0-9.]+:([0-9]+)"))) << out;
    link_raw_peer(static_cast<std::uint16_t>(std::stoi(m[1])));
    if (HasFatalFailure()) return;
    ASSERT_TRUE(pty.wait_output("link raw@CIC up", kEventTimeout)) << pty.output();

    diagnostics_ = pty.output();
    pty.hang_up();
    expect_bye_and_unregister();
    auto code = pty.wait_exit(kEventTimeout);
    ASSERT_TRUE(code) << "the node runs on after its terminal hung up";
    EXPECT_EQ(*code, 0);
}

// The tmux server killed under a node that is not the session leader (a
// shell started it and ignores SIGHUP): the node learns of the hangup only
// from its stdin (EIO, POLLHUP). It used to log "stdin closed" and run on.
TEST_F(TerminalHangup, TmuxServerKilledStdinEndsSaysByeAndExitsZero) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
    TmuxSession tty;
    std::string status = tty.dir() + "/status";
    tty.start("trap '' HUP; " + node_command(tty) + "; echo $? > " + TmuxSession::quote(status));
    std::vector<std::string> groups;
    ASSERT_TRUE(tty.wait_screen("listening on [^ ]*:([0-9]+)", kEventTimeout, &groups))
        << tty.screen();
    link_raw_peer(static_cast<std::uint16_t>(std::stoi(groups[1])));
    if (HasFatalFailure()) return;
    ASSERT_TRUE(tty.wait_screen("link raw@CIC up", kEventTimeout)) << tty.screen();

    tty.tmux("kill-server");
    expect_bye_and_unregister();
    ASSERT_TRUE(eventually([&] { return !read_text(status).empty(); }))
        << "the node runs on after its terminal hung up";
    EXPECT_EQ(read_text(status), "0\n");
}

// Ctrl-C is a key at the prompt; SIGINT sent with kill(1) still stops the
// node (headless SIGINT: node_discovery_test's UNREGISTER test).
TEST_F(TerminalHangup, KillIntStillStopsANodeAtAPrompt) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
    TmuxSession tty;
    tty.start("exec " + node_command(tty));
    ASSERT_TRUE(tty.wait_screen("registered tty@CIC", kEventTimeout)) << tty.screen();
    ASSERT_EQ(::kill(tty.pane_pid(), SIGINT), 0);
    auto code = tty.wait_exit(kEventTimeout);
    ASSERT_TRUE(code) << tty.screen();
    EXPECT_EQ(*code, 0);
    EXPECT_TRUE(eventually([&] { return !registered(); }));
}

}  // namespace
}  // namespace p2p::test
