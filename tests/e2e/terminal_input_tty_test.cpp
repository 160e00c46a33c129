// Typing at a real terminal, as a person does (issue 15, defects 1 and 2):
//   - Portuguese, CJK, emoji and combining marks typed at the node's prompt
//     and in `p2pchat attach` (tmux, a UTF-8 locale) arrive byte-exact at
//     the other node (a plain-mode node, so its stdout shows the bytes);
//   - Ctrl-C clears the half-typed line (never sent), the node or attach
//     runs on, and Ctrl-C on an empty line says how to quit; a hangup of
//     attach's terminal ends attach, never the node.
// The node's own terminal hanging up, and kill -INT at a prompt: signals_test.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/node_process.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

// "não, ação café 世界 👋" and an e followed by U+0301 COMBINING ACUTE ACCENT.
const std::string kTyped =
    "n\xC3\xA3o, a\xC3\xA7\xC3\xA3o caf\xC3\xA9 \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x91\x8B "
    "e\xCC\x81";

std::string env_prefix(const TmuxSession& tty, const std::string& locale = "C.UTF-8") {
    return "env HOME=" + TmuxSession::quote(tty.dir()) + " LC_ALL=" + locale + " NO_COLOR=1 ";
}

bool pane_alive(TmuxSession& tty) {
    return tty.tmux("display -p -t t '#{pane_dead}'").find('0') == 0;
}

class TerminalInputTty : public ::testing::Test {
  protected:
    void SetUp() override {
#ifndef P2P_HAVE_LIBEDIT
        GTEST_SKIP() << "built without libedit: no line editor on a terminal";
#endif
        if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
        NodeConfig c;
        c.name = "bob";
        c.rendezvous_port = dead_.port();
        std::string err;
        ASSERT_TRUE(bob_.start(c, &err)) << err;
    }
    // alice at the terminal, with a static link to bob.
    void start_alice(const std::string& locale = "C.UTF-8") {
        tty_.start("exec " + env_prefix(tty_, locale) + TmuxSession::quote(P2PCHAT_BIN) +
                   " --name alice --namespace CIC --rendezvous 127.0.0.1:" +
                   std::to_string(dead_.port()) + " --peer " + bob_.address());
        ASSERT_TRUE(tty_.wait_screen("link bob@CIC up", kEventTimeout)) << tty_.screen();
        ASSERT_TRUE(bob_.wait_link_up("alice@CIC")) << bob_.dump();
    }
    // alice headless with a control socket, and `p2pchat attach` at the terminal.
    void start_attached_alice() {
        NodeConfig c;
        c.name = "alice";
        c.rendezvous_port = dead_.port();
        c.peers = {bob_.address()};
        control_ = alice_dir_.path() + "/control.sock";
        c.extra_args = {"--control", control_};
        std::string err;
        ASSERT_TRUE(alice_.start(c, &err)) << err;
        ASSERT_TRUE(alice_.wait_link_up("bob@CIC")) << alice_.dump();
        tty_.start("exec " + env_prefix(tty_) + TmuxSession::quote(P2PCHAT_BIN) + " attach " +
                   TmuxSession::quote(control_));
        ASSERT_TRUE(tty_.wait_screen("attached to", kEventTimeout)) << tty_.screen();
    }
    void send(const std::string& line) {
        tty_.type(line);
        tty_.key("Enter");
    }
    // Types a line, Ctrl-C: the line is gone from the screen and never sent.
    // `prompt_re` without its trailing space (capture-pane drops those).
    void type_then_interrupt(const std::string& prompt_re) {
        tty_.type("/msg bob@CIC never sent");
        ASSERT_TRUE(tty_.wait_screen(prompt_re + " /msg bob@CIC never sent", kEventTimeout))
            << tty_.screen();
        tty_.key("C-c");
        ASSERT_TRUE(eventually([&] {
            return tty_.screen().find("never sent") == std::string::npos;
        })) << tty_.screen();
        EXPECT_TRUE(tty_.wait_screen("\n" + prompt_re + " *\n", kEventTimeout)) << tty_.screen();
    }

    DeadPort dead_;
    NodeProcess bob_;
    NodeProcess alice_;
    TempDir alice_dir_;
    std::string control_;
    TmuxSession tty_{100, 30};
};

TEST_F(TerminalInputTty, NonAsciiTypedAtThePromptArrivesByteExact) {
    start_alice();
    if (HasFatalFailure()) return;
    send("/msg bob@CIC " + kTyped);
    EXPECT_TRUE(bob_.expect("^msg alice@CIC: " + regex_escape(kTyped) + "$")) << bob_.dump();
    // Plain text to the /reply target takes the same path.
    ASSERT_TRUE(bob_.command("/msg alice@CIC oi"));
    // Bob's line shown, and the prompt says where plain text goes: to bob.
    ASSERT_TRUE(tty_.wait_screen("bob@CIC.* oi *\n", kEventTimeout)) << tty_.screen();
    ASSERT_TRUE(tty_.wait_screen("\\(to: bob@CIC\\) > *\n", kEventTimeout)) << tty_.screen();
    send(kTyped + " de novo");
    EXPECT_TRUE(bob_.expect("^msg alice@CIC: " + regex_escape(kTyped + " de novo") + "$"))
        << bob_.dump();
}

TEST_F(TerminalInputTty, NonAsciiTypedInAttachArrivesByteExact) {
    start_attached_alice();
    if (HasFatalFailure()) return;
    send("/msg bob@CIC " + kTyped);
    EXPECT_TRUE(bob_.expect("^msg alice@CIC: " + regex_escape(kTyped) + "$")) << bob_.dump();
}

// Wide characters take two columns: a half-typed line of them that wraps
// survives events printed above it (erased and redrawn whole, no stale rows
// left behind), and is then sent whole.
TEST_F(TerminalInputTty, WideCharactersWrappingTheLineSurviveEvents) {
    start_alice();
    if (HasFatalFailure()) return;
    std::string wide;
    for (int i = 0; i < 60; ++i)
        wide += "\xE4\xB8\x96";  // 世: 120 columns, two rows and more of 100
    tty_.type("/msg bob@CIC " + wide);
    auto count_wide = [&] {
        std::string screen = tty_.screen();
        std::size_t n = 0;
        for (std::size_t at = screen.find("\xE4\xB8\x96"); at != std::string::npos;
             at = screen.find("\xE4\xB8\x96", at + 3))
            ++n;
        return n;
    };
    ASSERT_TRUE(eventually([&] { return count_wide() == 60; })) << tty_.screen();
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(bob_.command("/msg alice@CIC event " + std::to_string(i)));
        ASSERT_TRUE(tty_.wait_screen("bob@CIC: event " + std::to_string(i), kEventTimeout))
            << tty_.screen();
    }
    EXPECT_TRUE(eventually([&] { return count_wide() == 60; })) << tty_.screen();
    tty_.key("Enter");
    EXPECT_TRUE(bob_.expect("^msg alice@CIC: " + wide + "$")) << bob_.dump();
}

// Under LANG=C the terminal cannot carry those letters: the shell says so
// once, and what can be sent is sent.
TEST_F(TerminalInputTty, AsciiLocaleSaysSoOnceAndSendsWhatItCan) {
    start_alice("C");
    if (HasFatalFailure()) return;
    EXPECT_TRUE(tty_.wait_screen("locale \\(ANSI_X3.4-1968\\) is not UTF-8", kEventTimeout))
        << tty_.screen();
    send("/msg bob@CIC " + kTyped + " ok");
    EXPECT_TRUE(bob_.expect("^msg alice@CIC: no, ao caf   e ok$")) << bob_.dump();
    std::string screen = tty_.screen();
    EXPECT_EQ(screen.find("is not UTF-8"), screen.rfind("is not UTF-8")) << screen;
}

TEST_F(TerminalInputTty, CtrlCClearsTheLineAndTheNodeRunsOn) {
    start_alice();
    if (HasFatalFailure()) return;
    type_then_interrupt(">");
    if (HasFatalFailure()) return;
    ASSERT_TRUE(pane_alive(tty_)) << tty_.screen();
    // Again on the empty line: how to quit, and still running.
    tty_.key("C-c");
    EXPECT_TRUE(tty_.wait_screen("Ctrl-C clears the line; /quit or Ctrl-D on an empty line quits",
                                 kEventTimeout))
        << tty_.screen();
    send("/msg bob@CIC after ctrl-c");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: after ctrl-c$")) << bob_.dump();
    EXPECT_FALSE(bob_.saw("never sent")) << bob_.dump();
    EXPECT_TRUE(pane_alive(tty_));
}

TEST_F(TerminalInputTty, CtrlCInAttachClearsTheLineAndHangupDetachesOnly) {
    start_attached_alice();
    if (HasFatalFailure()) return;
    type_then_interrupt("attached>");
    if (HasFatalFailure()) return;
    tty_.key("C-c");
    EXPECT_TRUE(tty_.wait_screen("/detach or Ctrl-D on an empty line leaves the node running",
                                 kEventTimeout))
        << tty_.screen();
    send("/msg bob@CIC after ctrl-c");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: after ctrl-c$")) << bob_.dump();
    EXPECT_FALSE(bob_.saw("never sent")) << bob_.dump();
    ASSERT_TRUE(pane_alive(tty_));

    // The terminal of `attach` hangs up: attach ends, the node never does.
    pid_t attach_pid = tty_.pane_pid();
    ASSERT_GT(attach_pid, 0);
    tty_.tmux("kill-server");
    EXPECT_TRUE(eventually([&] { return ::kill(attach_pid, 0) != 0; })) << "attach still runs";
    ASSERT_TRUE(alice_.command("/msg bob@CIC still here"));
    EXPECT_TRUE(bob_.expect("^msg alice@CIC: still here$")) << bob_.dump() << alice_.dump();
}

}  // namespace
}  // namespace p2p::test
