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
    // Pastes `lines` (each ending in a newline) as a terminal does: all at once.
    void paste(int lines, const std::string& word) {
        std::string text;
        for (int i = 1; i <= lines; ++i)
            text += word + " " + std::to_string(i) + "\n";
        tty_.tmux("set-buffer -b p " + TmuxSession::quote(text));
        tty_.tmux("paste-buffer -d -b p -t t");
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

}  // namespace
}  // namespace p2p::test
