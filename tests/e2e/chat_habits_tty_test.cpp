// Chat habits in a real terminal (issue 10.6), the real p2pchat in tmux
// talking to a plain-mode node: a /msg is one line that gets its ✓ on the
// same line when the ACK comes; a direct message rings the bell (a BEL byte
// reaches the terminal) with --bell and makes its sender the /reply target
// shown in the prompt; /me sends "* name action" (the other node, a script,
// sees the plain text); under LANG=C the ACK is "[delivered N ms]" and
// non-ASCII text shows as escapes.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

class ChatHabitsTty : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
        NodeConfig c;
        c.name = "bob";
        c.rendezvous_port = dead_.port();
        std::string err;
        ASSERT_TRUE(bob_.start(c, &err)) << err;
    }
    // alice in the terminal, with a static link to bob.
    void start_alice(const std::string& locale, const std::string& extra = "") {
        tty_.start("exec env HOME=" + TmuxSession::quote(tty_.dir()) + " LC_ALL=" + locale +
                   " NO_COLOR=1 " + TmuxSession::quote(P2PCHAT_BIN) +
                   " --name alice --namespace CIC --rendezvous 127.0.0.1:" +
                   std::to_string(dead_.port()) + " --peer " + bob_.address() + " " + extra);
        ASSERT_TRUE(tty_.wait_screen("link bob@CIC up", kEventTimeout)) << tty_.screen();
        ASSERT_TRUE(bob_.wait_link_up("alice@CIC")) << bob_.dump();
    }
    int rows_with(const std::string& text) { return count_on_screen(tty_.screen(), text); }
    void send(const std::string& line) {
        tty_.type(line);
        tty_.key("Enter");
    }

    DeadPort dead_;
    NodeProcess bob_;
    TmuxSession tty_{100, 30};
};

TEST_F(ChatHabitsTty, SendIsOneLineWithItsCheckMarkAndBellAndReplyPrompt) {
    start_alice("C.UTF-8", "--bell");
    send("/msg bob@CIC hello bob");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: hello bob$")) << bob_.dump();
    // The echo, then the ✓ appended to that very line.
    ASSERT_TRUE(tty_.wait_screen(
        "\n[0-9:]{8} <alice> @bob@CIC hello bob \xE2\x9C\x93 [0-9]+ ms *\n", kEventTimeout))
        << tty_.screen();
    std::string screen = tty_.screen();
    EXPECT_EQ(screen.find("sent to"), std::string::npos) << screen;
    EXPECT_EQ(screen.find("delivered to"), std::string::npos) << screen;
    // One row per message, as in irssi: the echo is written over the line
    // that was typed (issue 15.5), which is no longer on the screen.
    EXPECT_EQ(rows_with("hello bob"), 1) << screen;
    EXPECT_EQ(screen.find("> /msg bob@CIC hello bob"), std::string::npos) << screen;

    // A direct message rings the bell and becomes the /reply target.
    ASSERT_TRUE(bob_.command("/msg alice@CIC hi alice"));
    ASSERT_TRUE(tty_.wait_screen("bob@CIC: hi alice", kEventTimeout)) << tty_.screen();
    EXPECT_TRUE(tty_.wait_raw("\a", kEventTimeout)) << "no BEL byte reached the terminal";
    EXPECT_TRUE(tty_.wait_screen("\\(to: bob@CIC\\) > *\n", kEventTimeout)) << tty_.screen();

    // /me: an action where plain text goes; bob (plain mode) sees the text.
    send("/me waves");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: \\* alice waves$")) << bob_.dump();
    EXPECT_TRUE(tty_.wait_screen("@bob@CIC \\* alice waves \xE2\x9C\x93 [0-9]+ ms", kEventTimeout))
        << tty_.screen();
}

// The prompt says where plain text goes, and stays true (issue 15.3): a /msg
// that fails changes neither the prompt nor where plain text goes; a message
// from someone else adds the /reply target to it.
TEST_F(ChatHabitsTty, PromptNamesWherePlainTextGoesAndAFailedMsgKeepsIt) {
    start_alice("C.UTF-8");
    send("/msg bob@CIC first");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: first$")) << bob_.dump();
    ASSERT_TRUE(tty_.wait_screen("\\(to: bob@CIC\\) > *\n", kEventTimeout)) << tty_.screen();
    send("/msg nobody@CIC lost");
    // bob relays, so the node asks him (WHO_HAS) and says so at once.
    ASSERT_TRUE(tty_.wait_screen("nobody@CIC is not known here yet", kEventTimeout))
        << tty_.screen();
    EXPECT_EQ(tty_.screen().find("@nobody@CIC lost"), std::string::npos)
        << "echoed as sent: " << tty_.screen();
    ASSERT_TRUE(tty_.wait_screen("\\(to: bob@CIC\\) > *\n", kEventTimeout)) << tty_.screen();
    send("/msg bad name@CIC x");
    ASSERT_TRUE(tty_.wait_screen("'bad name@CIC' is not a peer id", kEventTimeout))
        << tty_.screen();
    send("plain text");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: plain text$")) << bob_.dump();
    ASSERT_TRUE(tty_.wait_screen("<alice> @bob@CIC plain text \xE2\x9C\x93", kEventTimeout))
        << tty_.screen();
    EXPECT_EQ(rows_with("plain text"), 1) << tty_.screen();
    EXPECT_FALSE(bob_.saw("^msg alice@CIC: name@CIC x$")) << bob_.dump();
}

// No relay to ask: a /msg to a peer nobody knows is refused at once, said
// once (not also as "NOT delivered ... no_route (<uuid>)"), never echoed.
TEST_F(ChatHabitsTty, UnknownPeerIsSaidAtOnceAndOnce) {
    start_alice("C.UTF-8", "--no-relay");
    send("/msg nobody@CIC hi");
    ASSERT_TRUE(tty_.wait_screen("error: unknown peer nobody@CIC", kEventTimeout)) << tty_.screen();
    std::string screen = tty_.screen();
    EXPECT_EQ(screen.find("NOT delivered"), std::string::npos) << screen;
    EXPECT_EQ(screen.find("@nobody@CIC hi"), std::string::npos) << screen;
}

TEST_F(ChatHabitsTty, NoBellWithoutTheFlag) {
    start_alice("C.UTF-8");
    ASSERT_TRUE(bob_.command("/msg alice@CIC quiet please"));
    ASSERT_TRUE(tty_.wait_screen("bob@CIC: quiet please", kEventTimeout)) << tty_.screen();
    EXPECT_EQ(tty_.raw_output().find('\a'), std::string::npos);
}

TEST_F(ChatHabitsTty, AsciiLocaleEscapesAndBrackets) {
    start_alice("C");
    ASSERT_TRUE(bob_.command("/msg alice@CIC caf\xC3\xA9"));
    ASSERT_TRUE(tty_.wait_screen("bob@CIC: caf\\\\u00e9", kEventTimeout)) << tty_.screen();
    send("/msg bob@CIC ok");
    EXPECT_TRUE(tty_.wait_screen("<alice> @bob@CIC ok \\[delivered [0-9]+ ms\\]", kEventTimeout))
        << tty_.screen();
}

// Colour on the terminal: on by default, off with NO_COLOR (non-empty) or
// TERM=dumb, and --color=always|never win over both. Our colour shows as the
// dim timestamp (ESC[2m HH:MM:SS) in the raw bytes the pane received.
TEST_F(ChatHabitsTty, ColourFollowsFlagNoColorAndDumbTerminals) {
    auto coloured = [&](const std::string& env, const std::string& flags) {
        TmuxSession pane(100, 30);
        pane.start("exec env HOME=" + TmuxSession::quote(pane.dir()) + " TERM=xterm " + env + " " +
                   TmuxSession::quote(P2PCHAT_BIN) +
                   " --name carol --namespace CIC --rendezvous 127.0.0.1:" +
                   std::to_string(dead_.port()) + " " + flags);
        EXPECT_TRUE(pane.wait_screen("listening on", kEventTimeout)) << pane.screen();
        EXPECT_TRUE(pane.wait_raw("listening on", kEventTimeout));
        static const std::regex kDimTime("\x1b\\[2m[0-9]{2}:[0-9]{2}:[0-9]{2}");
        return std::regex_search(pane.raw_output(), kDimTime);
    };
    EXPECT_TRUE(coloured("", ""));
    EXPECT_FALSE(coloured("NO_COLOR=1", ""));
    EXPECT_TRUE(coloured("NO_COLOR=", "")) << "an empty NO_COLOR is ignored";
    EXPECT_FALSE(coloured("TERM=dumb", ""));
    EXPECT_TRUE(coloured("NO_COLOR=1", "--color=always"));
    EXPECT_FALSE(coloured("", "--color=never"));
}

}  // namespace
}  // namespace p2p::test
