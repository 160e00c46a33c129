// The terminal's chat habits (shell/ui/console_chat.cpp) and its character
// set rules: what we send is one line with its ACK appended to it, peers in
// stable colours, /me actions, the bell, and on a non-UTF-8 terminal
// non-ASCII text as escapes with widths from wcwidth. Plain and JSON output
// stay what scripts parse.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <set>
#include <string>

#include "shell/ui/console.h"
#include "shell/ui/console_impl.h"
#include "shell/ui/line_builder.h"

namespace p2p::shell {
namespace {

// A screen that knows how many writes reached it, like the line editor.
class ScreenSink final : public ConsoleSink {
  public:
    void write_lines(std::string_view lines) override {
        text.append(lines);
        ++count;
    }
    std::uint64_t output_count() const override { return count; }
    int submitted_rows() const override { return submitted; }
    std::string take() {
        std::string out;
        out.swap(text);
        return out;
    }
    std::string text;
    std::uint64_t count = 1;
    int submitted = 0;  // rows of the line just typed, as the editor says
};

NodeEvent event(EventKind kind, std::string_view peer, std::string_view msg_id = "m-1") {
    NodeEvent ev;
    ev.kind = kind;
    ev.peer_id = peer;
    ev.msg_id = msg_id;
    ev.rtt_ms = 12;
    return ev;
}

// Wide (2 columns) for CJK, 1 otherwise: a stand-in for wcwidth.
int fake_columns(char32_t cp) {
    return cp >= 0x1100 ? 2 : 1;
}

class ConsoleChat : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
    std::unique_ptr<Console> make(ConsoleMode mode, bool colour = false) {
        ConsoleOptions o;
        o.mode = mode;
        o.colour = colour;
        o.self_name = "alice";
        o.bell = bell_;
        o.text = rules_;
        return std::make_unique<Console>(o, sink_, clock_);
    }
    ManualClock clock_{1'000'000, 1'760'000'000'000};  // 08:53:20 UTC
    ScreenSink sink_;
    bool bell_ = false;
    TextRules rules_;
};

TEST_F(ConsoleChat, WhatWeSendIsOneLineAndTheAckIsAppendedToIt) {
    auto c = make(ConsoleMode::kTty);
    c->event(event(EventKind::kSent, "bob@CIC"));  // from inside node.send(): not shown
    c->outgoing("bob@CIC", "hello", "m-1");
    EXPECT_EQ(sink_.take(), "08:53:20 <alice> @bob@CIC hello\n");
    c->event(event(EventKind::kDelivered, "bob@CIC"));
    // Up one row (the line editor has erased its prompt), clear it, and
    // write the same line with the check mark.
    EXPECT_EQ(sink_.take(), "\x1b[A\r\x1b[2K08:53:20 <alice> @bob@CIC hello \xE2\x9C\x93 12 ms\n");
}

// The line just typed (here two rows of it) is still the last thing on the
// screen: the echo is written over it, so a message takes one row (issue
// 15.5), and the ACK still amends only the echo.
TEST_F(ConsoleChat, TheEchoReplacesTheTypedLine) {
    auto c = make(ConsoleMode::kTty);
    sink_.submitted = 2;
    c->outgoing("bob@CIC", "hello", "m-1");
    EXPECT_EQ(sink_.take(), "\x1b[2A\r\x1b[J08:53:20 <alice> @bob@CIC hello\n");
    sink_.submitted = 0;
    c->event(event(EventKind::kDelivered, "bob@CIC"));
    EXPECT_EQ(sink_.take(), "\x1b[A\r\x1b[2K08:53:20 <alice> @bob@CIC hello \xE2\x9C\x93 12 ms\n");
    // A publish is echoed over its line too; anything else leaves it.
    sink_.submitted = 1;
    c->outgoing("#CIC", "all", {});
    EXPECT_EQ(sink_.take(), "\x1b[1A\r\x1b[J08:53:20 <alice> [#CIC] all\n");
    c->info("an answer");
    EXPECT_EQ(sink_.take(), "08:53:20 an answer\n");
}

TEST_F(ConsoleChat, AnythingWrittenInBetweenGetsTheAckItsOwnLine) {
    auto c = make(ConsoleMode::kTty);
    c->outgoing("bob@CIC", "hello", "m-1");
    sink_.write_lines("a log line\n");  // e.g. the editor_log_sink
    sink_.take();
    c->event(event(EventKind::kDelivered, "bob@CIC"));
    EXPECT_EQ(sink_.take(), "08:53:20 delivered to bob@CIC in 12 ms\n");
}

TEST_F(ConsoleChat, AnotherMessagesAckDoesNotAmendTheEcho) {
    auto c = make(ConsoleMode::kTty);
    c->outgoing("bob@CIC", "hello", "m-2");
    sink_.take();
    c->event(event(EventKind::kDelivered, "bob@CIC", "m-1"));
    EXPECT_EQ(sink_.take(), "08:53:20 delivered to bob@CIC in 12 ms\n");
}

TEST_F(ConsoleChat, AsciiTerminalGetsBracketsInsteadOfTheCheckMark) {
    rules_.ascii_only = true;
    auto c = make(ConsoleMode::kTty);
    c->outgoing("bob@CIC", "ol\xC3\xA1", "m-1");
    EXPECT_EQ(sink_.take(), "08:53:20 <alice> @bob@CIC ol\\u00e1\n");
    c->event(event(EventKind::kDelivered, "bob@CIC"));
    EXPECT_EQ(sink_.take(),
              "\x1b[A\r\x1b[2K08:53:20 <alice> @bob@CIC ol\\u00e1 [delivered 12 ms]\n");
}

TEST_F(ConsoleChat, PlainAndJsonKeepTheirSentAndDeliveredLines) {
    auto plain = make(ConsoleMode::kPlain);
    plain->outgoing("bob@CIC", "hello", "m-1");
    EXPECT_EQ(sink_.take(), "") << "scripts read the sent event instead";
    plain->event(event(EventKind::kSent, "bob@CIC"));
    EXPECT_EQ(sink_.take(), "sent m-1 to bob@CIC\n");
    plain->event(event(EventKind::kDelivered, "bob@CIC"));
    EXPECT_EQ(sink_.take(), "delivered m-1 to bob@CIC (12 ms)\n");
    auto json = make(ConsoleMode::kJson);
    json->outgoing("bob@CIC", "hello", "m-1");
    EXPECT_EQ(sink_.take(), "");
}

TEST_F(ConsoleChat, MeIsAnOrdinaryMessageShownAsAnAction) {
    EXPECT_EQ(action_payload("alice", "waves"), "* alice waves");
    EXPECT_TRUE(is_action("* alice waves", "alice@CIC"));
    EXPECT_FALSE(is_action("* bob waves", "alice@CIC")) << "only the sender's own name";
    EXPECT_FALSE(is_action("* alice", "alice@CIC"));
    EXPECT_FALSE(is_action("alice waves", "alice@CIC"));
    auto tty = make(ConsoleMode::kTty);
    NodeEvent m = event(EventKind::kMsg, "alice@CIC");
    m.text = "* alice waves";
    tty->event(m);
    EXPECT_EQ(sink_.take(), "08:53:20 * alice waves\n");
    auto plain = make(ConsoleMode::kPlain);
    plain->event(m);
    EXPECT_EQ(sink_.take(), "msg alice@CIC: * alice waves\n") << "scripts see the payload";
    // Our own /me echo has no "<alice>" in front of "* alice".
    tty->outgoing("bob@CIC", "* alice waves", "m-3");
    EXPECT_EQ(sink_.take(), "08:53:20 @bob@CIC * alice waves\n");
}

TEST_F(ConsoleChat, BellRingsForDirectMessagesOnly) {
    bell_ = true;
    auto c = make(ConsoleMode::kTty);
    NodeEvent m = event(EventKind::kMsg, "bob@CIC");
    m.text = "psst";
    c->event(m);
    EXPECT_EQ(sink_.take(), "08:53:20 \abob@CIC: psst\n");
    NodeEvent p = event(EventKind::kPub, "bob@CIC");
    p.scope = "#CIC";
    p.text = "all";
    c->event(p);
    EXPECT_EQ(sink_.take().find('\a'), std::string::npos);
    bell_ = false;
    auto quiet = make(ConsoleMode::kTty);
    quiet->event(m);
    EXPECT_EQ(sink_.take().find('\a'), std::string::npos);
}

TEST_F(ConsoleChat, EachPeerHasItsOwnStableColour) {
    auto c = make(ConsoleMode::kTty, /*colour=*/true);
    std::set<std::string> colours;
    for (std::string_view peer : {"alice@CIC", "bob@CIC", "carol@CIC", "dave@CIC", "erin@CIC"}) {
        std::string_view colour = console_detail::peer_colour(peer);
        EXPECT_EQ(colour, console_detail::peer_colour(peer)) << "stable";
        colours.insert(std::string(colour));
        NodeEvent m = event(EventKind::kMsg, peer);
        m.text = "hi";
        c->event(m);
        std::string line = sink_.take();
        EXPECT_NE(line.find(std::string(colour) + std::string(peer)), std::string::npos) << line;
    }
    EXPECT_GE(colours.size(), 3u) << "five peers, at least three colours";
}

TEST_F(ConsoleChat, NonUtf8TerminalShowsEscapes) {
    rules_.ascii_only = true;
    auto c = make(ConsoleMode::kTty);
    NodeEvent m = event(EventKind::kMsg, "bob@CIC");
    m.text = "caf\xC3\xA9 \xF0\x9F\x98\x80";
    c->event(m);
    EXPECT_EQ(sink_.take(), "08:53:20 bob@CIC: caf\\u00e9 \\U0001f600\n");
}

TEST(TextRules, WideCharactersCountTwoColumns) {
    TextRules rules{false, fake_columns};
    char buf[512];
    LineBuilder b(buf, sizeof buf);
    b.set_rules(rules);
    b.reset();
    b.cell("\xE6\x97\xA5\xE6\x9C\xAC", 5);  // 日本: 4 columns, 1 pad
    b.label("|");
    b.cell("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 5);  // 日本語: cut to 日本~
    b.label("|");
    b.end_line();
    EXPECT_EQ(std::string(b.view()), "\xE6\x97\xA5\xE6\x9C\xAC |\xE6\x97\xA5\xE6\x9C\xAC~|\n");
    // Wrapping counts the same columns: 6 wide characters at width 20 with
    // a 9-column indent break after the 5th (9 + 10 = 19, + 2 > 20).
    b.reset();
    b.wrap(20, 9, 5);
    b.label("123456789");
    b.text("\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5");
    b.end_line();
    std::string out(b.view());
    EXPECT_EQ(out.find('\n'), std::string("123456789").size() + 5 * 3) << out;
}

}  // namespace
}  // namespace p2p::shell
