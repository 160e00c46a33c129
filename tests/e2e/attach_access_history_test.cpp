// Issue 15.10, against the real binary:
//   - `attach` as a user who may not use the socket said "is the node running
//     with --control?"; it now says permission denied and who may attach;
//   - every node and attach shared ~/.p2pchat_history and the last to exit
//     overwrote it; now one file per node (~/.p2pchat_history.NAME@NS, also
//     what an attached shell of that node uses), and each session appends
//     only its own lines.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/program_run.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool have_setpriv() {
    return ::access("/usr/bin/setpriv", X_OK) == 0;
}

// `attach -c /peers SOCKET` as user and group nobody (65534).
Ran attach_as_nobody(const std::string& socket) {
    Process p;
    Ran r;
    EXPECT_TRUE(p.start("/usr/bin/setpriv", {"--reuid=65534", "--regid=65534", "--clear-groups",
                                             P2PCHAT_BIN, "attach", "-c", "/peers", socket}));
    auto st = p.wait_exit(kEventTimeout);
    EXPECT_TRUE(st);
    if (st) r.status = *st;
    for (const std::string& l : p.lines(Stream::kStderr))
        r.err += l + "\n";
    return r;
}

TEST(AttachAccess, AnotherUserHearsPermissionDeniedAndWhoMayAttach) {
    if (::getuid() != 0 || !have_setpriv()) GTEST_SKIP() << "needs root and setpriv";
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // nobody may reach the socket
    DeadPort dead;
    std::string owner_only = dir.path() + "/owner";
    std::string with_group = dir.path() + "/group";
    NodeProcess a, b;
    NodeConfig c;
    c.name = "a";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--no-shell", "--control", owner_only};
    std::string err;
    ASSERT_TRUE(a.start(c, &err)) << err;
    c.name = "b";
    c.extra_args = {"--no-shell", "--control", with_group, "--control-group", "0"};
    ASSERT_TRUE(b.start(c, &err)) << err;

    Ran r = attach_as_nobody(owner_only);
    EXPECT_EQ(r.status.code, 3) << r.err;
    EXPECT_NE(r.err.find("Permission denied (permission denied: only root (the node's "
                         "--control-group GROUP lets a group's members in too) may attach"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("is the node running"), std::string::npos) << r.err;

    Ran g = attach_as_nobody(with_group);
    EXPECT_EQ(g.status.code, 3) << g.err;
    EXPECT_NE(g.err.find("only root and members of group root may attach"), std::string::npos)
        << g.err;
}

// A node in a terminal: type `line`, then /quit.
void type_and_quit(const std::string& home, const std::string& name, std::uint16_t rdv,
                   const std::string& line) {
    TmuxSession tty;
    tty.start("exec env HOME=" + TmuxSession::quote(home) + " NO_COLOR=1 " +
              TmuxSession::quote(P2PCHAT_BIN) + " --name " + name +
              " --namespace CIC --rendezvous 127.0.0.1:" + std::to_string(rdv));
    ASSERT_TRUE(tty.wait_screen("listening on", kEventTimeout)) << tty.screen();
    tty.type(line);
    tty.key("Enter");
    tty.type("/quit");
    tty.key("Enter");
    auto code = tty.wait_exit(kEventTimeout);
    ASSERT_TRUE(code) << tty.screen();
}

TEST(History, OneFilePerNode) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
    TempDir home;
    DeadPort dead;
    type_and_quit(home.path(), "ana", dead.port(), "/peers");
    type_and_quit(home.path(), "bia", dead.port(), "/rtt");
    std::string ana = read_text(home.path() + "/.p2pchat_history.ana@CIC");
    std::string bia = read_text(home.path() + "/.p2pchat_history.bia@CIC");
    EXPECT_NE(ana.find("/peers"), std::string::npos) << ana;
    EXPECT_EQ(ana.find("/rtt"), std::string::npos) << ana;
    EXPECT_NE(bia.find("/rtt"), std::string::npos) << bia;
    EXPECT_EQ(bia.find("/peers"), std::string::npos) << bia;
    struct stat st {};
    ASSERT_EQ(::stat((home.path() + "/.p2pchat_history.ana@CIC").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(::access((home.path() + "/.p2pchat_history").c_str(), F_OK), 0);
}

// Two shells attached to one node at once: each appends its own lines, so the
// one that leaves last does not erase what the other typed.
TEST(History, TwoAttachedShellsBothKeepTheirLines) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
    TempDir home;
    DeadPort dead;
    std::string control = home.path() + "/control";
    NodeProcess node;
    NodeConfig c;
    c.name = "target";
    c.rendezvous_port = dead.port();
    c.extra_args = {"--no-shell", "--control", control};
    std::string err;
    ASSERT_TRUE(node.start(c, &err)) << err;
    std::string attach = "exec env HOME=" + TmuxSession::quote(home.path()) + " NO_COLOR=1 " +
                         TmuxSession::quote(P2PCHAT_BIN) + " attach " + TmuxSession::quote(control);
    TmuxSession one, two;
    one.start(attach);
    two.start(attach);
    ASSERT_TRUE(one.wait_screen("attached>", kEventTimeout)) << one.screen();
    ASSERT_TRUE(two.wait_screen("attached>", kEventTimeout)) << two.screen();
    one.type("/peers");
    one.key("Enter");
    two.type("/peers #CIC");
    two.key("Enter");
    ASSERT_TRUE(one.wait_screen("0 peers", kEventTimeout)) << one.screen();
    ASSERT_TRUE(two.wait_screen("0 peers", kEventTimeout)) << two.screen();
    one.key("C-d");
    ASSERT_TRUE(one.wait_exit(kEventTimeout)) << one.screen();
    two.key("C-d");
    ASSERT_TRUE(two.wait_exit(kEventTimeout)) << two.screen();
    std::string history = read_text(home.path() + "/.p2pchat_history.target@CIC");
    EXPECT_NE(history.find("/peers"), std::string::npos) << history;
    EXPECT_NE(history.find("#CIC"), std::string::npos) << history;
}

}  // namespace
}  // namespace p2p::test
