// The paste guard in a real terminal (issue 15, "what people expect"): the real
// p2pchat in tmux, a paste (tmux paste-buffer: every line written at once) of more
// than --paste-lines lines asks "send N pasted lines to bob@CIC? [y/N]" before any
// of it leaves; y sends them all in order, anything else sends none; a short paste
// and typed lines go at once.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/node_process.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

// Pastes `lines` lines "WORD i" as a terminal does: all at once.
void paste(TmuxSession& tty, int lines, const std::string& word) {
    std::string text;
    for (int i = 1; i <= lines; ++i)
        text += word + " " + std::to_string(i) + "\n";
    tty.tmux("set-buffer -b p " + TmuxSession::quote(text));
    tty.tmux("paste-buffer -d -b p -t t");
}

class PasteGuardTty : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
#ifndef P2P_HAVE_LIBEDIT
        GTEST_SKIP() << "built without libedit: no prompt to paste into";
#endif
        NodeConfig c;
        c.name = "bob";
        c.rendezvous_port = dead_.port();
        std::string err;
        ASSERT_TRUE(bob_.start(c, &err)) << err;
        tty_.start("exec env HOME=" + TmuxSession::quote(tty_.dir()) +
                   " LC_ALL=C.UTF-8 NO_COLOR=1 " + TmuxSession::quote(P2PCHAT_BIN) +
                   " --name alice --namespace CIC --rendezvous 127.0.0.1:" +
                   std::to_string(dead_.port()) + " --peer " + bob_.address());
        ASSERT_TRUE(tty_.wait_screen("link bob@CIC up", kEventTimeout)) << tty_.screen();
        ASSERT_TRUE(bob_.wait_link_up("alice@CIC")) << bob_.dump();
        // The conversation with bob: plain text goes to him from now on.
        tty_.type("/msg bob@CIC hello");
        tty_.key("Enter");
        ASSERT_TRUE(bob_.expect("^msg alice@CIC: hello$")) << bob_.dump();
    }
    void paste(int lines, const std::string& word) {
        test::paste(tty_, lines, word);
    }

    DeadPort dead_;
    NodeProcess bob_;
    TmuxSession tty_{100, 40};
};

TEST_F(PasteGuardTty, ALongPasteAsksFirstAndYesSendsItAllInOrder) {
    paste(12, "pasted");
    ASSERT_TRUE(tty_.wait_screen("send 12 pasted lines to bob@CIC\\? \\[y/N\\] *\n", kEventTimeout))
        << tty_.screen();
    EXPECT_FALSE(bob_.saw("pasted")) << "a line left before the answer:\n" << bob_.dump();
    tty_.type("y");
    tty_.key("Enter");
    for (int i = 1; i <= 12; ++i)
        ASSERT_TRUE(bob_.expect("^msg alice@CIC: pasted " + std::to_string(i) + "$"))
            << bob_.dump();
    // The prompt is the conversation's again.
    EXPECT_TRUE(tty_.wait_screen("\\(to: bob@CIC\\) > *\n", kEventTimeout)) << tty_.screen();
}

TEST_F(PasteGuardTty, AnythingButYesSendsNoneAndAShortPasteGoesAtOnce) {
    paste(7, "unwanted");
    ASSERT_TRUE(tty_.wait_screen("send 7 pasted lines to bob@CIC\\? \\[y/N\\]", kEventTimeout))
        << tty_.screen();
    tty_.key("Enter");  // N, the default
    ASSERT_TRUE(tty_.wait_screen("7 pasted lines not sent", kEventTimeout)) << tty_.screen();
    // A short paste (5 lines, the default limit) and a typed line are not asked about.
    paste(5, "short");
    for (int i = 1; i <= 5; ++i)
        ASSERT_TRUE(bob_.expect("^msg alice@CIC: short " + std::to_string(i) + "$"))
            << bob_.dump() << tty_.screen();
    tty_.type("typed after");
    tty_.key("Enter");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: typed after$")) << bob_.dump();
    EXPECT_FALSE(bob_.saw("unwanted")) << bob_.dump();
    EXPECT_EQ(tty_.screen().find("send 5 pasted"), std::string::npos) << tty_.screen();
}

// `attach` guards its prompt the same way: nothing reaches the node before the answer.
TEST(PasteGuardAttach, ALongPasteIntoAttachAsksFirst) {
    if (!TmuxSession::available()) GTEST_SKIP() << "tmux not installed";
#ifndef P2P_HAVE_LIBEDIT
    GTEST_SKIP() << "built without libedit: no prompt to paste into";
#endif
    DeadPort dead;
    NodeConfig b;
    b.name = "bob";
    b.rendezvous_port = dead.port();
    NodeProcess bob;
    std::string err;
    ASSERT_TRUE(bob.start(b, &err)) << err;
    TmuxSession tty(100, 40);
    std::string control = tty.dir() + "/control";
    NodeConfig c;
    c.name = "carol";
    c.rendezvous_port = dead.port();
    c.peers = {bob.address()};
    c.extra_args = {"--control", control};
    NodeProcess carol;
    ASSERT_TRUE(carol.start(c, &err)) << err;
    ASSERT_TRUE(bob.wait_link_up("carol@CIC")) << bob.dump();
    tty.start("exec env HOME=" + TmuxSession::quote(tty.dir()) + " LC_ALL=C.UTF-8 NO_COLOR=1 " +
              TmuxSession::quote(P2PCHAT_BIN) + " attach " + TmuxSession::quote(control));
    ASSERT_TRUE(tty.wait_screen("attached>", kEventTimeout)) << tty.screen();
    paste(tty, 8, "/msg bob@CIC line");
    ASSERT_TRUE(tty.wait_screen("send 8 pasted lines\\? \\[y/N\\]", kEventTimeout)) << tty.screen();
    EXPECT_FALSE(bob.saw("line")) << bob.dump();
    tty.type("yes");
    tty.key("Enter");
    for (int i = 1; i <= 8; ++i)
        ASSERT_TRUE(bob.expect("^msg carol@CIC: line " + std::to_string(i) + "$")) << bob.dump();
}

}  // namespace
}  // namespace p2p::test
