// The shell on a serial console (issue 15, "what people expect"): a line at
// 9600 or 115200 baud, TERM=vt100, and no window size (TIOCGWINSZ reports 0x0, as a
// serial getty leaves it). A pty this test owns stands in for the line
// (tests/support/pty_child.h): the prompt is usable and everything drawn fits
// 80 columns; and a line too slow for what arrives (here: not read at all for
// a while) cannot pile output up: the node keeps serving its links, its
// memory stays bounded, at most 20 s of a slow line's speed waits for it
// (platform::terminal_backlog_bytes), and once the line takes output again it
// says how many lines were lost.
#include <gtest/gtest.h>
#include <termios.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/node_process.h"
#include "tests/support/pty_child.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

constexpr long kRssBoundKib = 48 * 1024;

// Screen rows of what was written: CR LF split, escape sequences (CSI, and
// ESC + one byte) and CRs removed, so each row's length is what it took on
// the screen (ASCII text only).
std::vector<std::string> rows_of(const std::string& raw) {
    std::string text = std::regex_replace(raw, std::regex("\x1b\\[[0-9;?]*[@-~]|\x1b[^\\[]"), "");
    std::vector<std::string> rows;
    std::stringstream ss(text);
    std::string row;
    while (std::getline(ss, row)) {
        while (!row.empty() && row.back() == '\r')
            row.pop_back();
        // A CR returns to column 0: what follows it overwrites the row.
        std::size_t cr = row.rfind('\r');
        rows.push_back(cr == std::string::npos ? row : row.substr(cr + 1));
    }
    return rows;
}

class SerialConsole : public ::testing::TestWithParam<speed_t> {
  protected:
    void SetUp() override {
#ifndef P2P_HAVE_LIBEDIT
        GTEST_SKIP() << "built without libedit: no line editor on a terminal";
#endif
        PtyOptions o;
        o.speed = GetParam();  // rows and columns stay 0
        std::string err;
        ASSERT_TRUE(pty_.start(
            P2PCHAT_BIN,
            {"--name", "console", "--namespace", "CIC", "--port", "0", "--listen-host", "127.0.0.1",
             "--rendezvous", "127.0.0.1:" + std::to_string(dead_.port()), "--log-level", "WARN"},
            {"HOME=" + home_.path(), "TERM=vt100", "LC_ALL=C.UTF-8", "NO_COLOR=1"}, o, &err))
            << err;
        ASSERT_TRUE(pty_.wait_output(" as console@CIC", kEventTimeout)) << pty_.output();
        std::smatch m;
        std::string out = pty_.output();
        ASSERT_TRUE(std::regex_search(out, m, std::regex("listening on [0-9.]+:([0-9]+)"))) << out;
        ASSERT_TRUE(raw_.connect(static_cast<std::uint16_t>(std::stoi(m[1]))));
        ASSERT_TRUE(raw_.hello("raw@CIC", {"ack"}));
        ASSERT_TRUE(pty_.wait_output("link raw@CIC up", kEventTimeout)) << pty_.output();
    }

    DeadPort dead_;
    TempDir home_;
    PtyChild pty_;
    RawPeer raw_;
};

TEST_P(SerialConsole, PromptIsUsableAndEverythingFitsEightyColumns) {
    // A long message wraps at 80 columns (not at 0, not unwrapped).
    std::string words;
    for (int i = 0; i < 30; ++i)
        words += "word" + std::to_string(i) + " ";
    std::size_t from = pty_.output().size();
    ASSERT_TRUE(raw_.send_raw(make_send("long-1", "raw@CIC", "console@CIC", words, false)));
    ASSERT_TRUE(pty_.wait_output("word29", kEventTimeout, from)) << pty_.output();

    // A line longer than 80 columns typed at the prompt is sent whole.
    std::string typed = "/msg raw@CIC ";
    for (int i = 0; i < 12; ++i)
        typed += "typed" + std::to_string(i) + " ";
    typed += "end";
    ASSERT_TRUE(pty_.type(typed + "\r"));
    auto send = raw_.read_type("SEND", kEventTimeout);
    ASSERT_TRUE(send) << pty_.output();
    EXPECT_EQ(send->str("payload"), typed.substr(std::string("/msg raw@CIC ").size()));
    ASSERT_TRUE(pty_.wait_output("<console> @raw@CIC typed0", kEventTimeout, from))
        << pty_.output();
    ASSERT_TRUE(pty_.wait_output("typed11 end", kEventTimeout,
                                 pty_.output().find("<console> @raw@CIC typed0", from)))
        << pty_.output();

    // What the console drew (libedit's echo of the typed line is left to the
    // terminal's own margin, as on any terminal).
    std::size_t longest = 0;
    for (const std::string& row : rows_of(pty_.output().substr(from)))
        if (row.find("> /msg") == std::string::npos) longest = std::max(longest, row.size());
    EXPECT_GT(longest, 60u) << "nothing was drawn near the full width";
    EXPECT_LE(longest, 80u) << pty_.output().substr(from);
}

TEST_P(SerialConsole, ALineTooSlowForTheOutputCannotPileItUp) {
    // ~2.5 MB of chat lines while the line takes nothing (the pty's buffer
    // and the 256 KiB queue fill, then lines are dropped).
    pty_.pump();
    std::size_t before = pty_.output().size();
    ASSERT_TRUE(flood_sends(raw_, "m", "raw@CIC", "console@CIC", std::string(400, 'x'), 6000));
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(raw_.send_raw(make_ping("still-there")));
    auto pong = raw_.read_type("PONG", 2s);
    ASSERT_TRUE(pong) << "no PONG within 2 s while the console line is stuck";
    EXPECT_EQ(pong->str("msg_id"), "still-there");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    long rss = rss_kib(pty_.pid());
    EXPECT_GT(rss, 0);
    EXPECT_LT(rss, kRssBoundKib) << "the node buffers what the line cannot take";
    // The line takes output again: the loss is said once the backlog is out.
    ASSERT_TRUE(pty_.wait_output("lines of output dropped: nobody was reading", kEventTimeout))
        << pty_.output().substr(pty_.output().size() > 2000 ? pty_.output().size() - 2000 : 0);
    std::size_t shown = pty_.output().size() - before;
    RecordProperty("bytes_shown_after_the_stall", static_cast<int>(shown));
    // At most 20 s of a slow line's speed waits (at 9600 baud: 19200 bytes, not
    // the 256 KiB a fast terminal may queue: 4.5 minutes of a 9600-baud line),
    // plus what the pty itself buffers.
    std::size_t queued = GetParam() == B9600 ? 9600 / 10 * 20 : 256 * 1024;
    EXPECT_LE(shown, queued + 64 * 1024);
}

INSTANTIATE_TEST_SUITE_P(Baud, SerialConsole, ::testing::Values(B9600, B115200),
                         [](const ::testing::TestParamInfo<speed_t>& baud) {
                             return baud.param == B9600 ? "At9600" : "At115200";
                         });

}  // namespace
}  // namespace p2p::test
