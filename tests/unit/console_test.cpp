// Console rendering: the exact plain lines scripts match, valid JSON lines,
// the tty form for people, 80-column tables, and the guarantee that nothing a
// peer sends reaches the terminal as a control sequence.
#include "shell/ui/console.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <new>
#include <string>
#include <vector>

// Counts heap allocations so a test can prove that rendering does not allocate.
#include "tests/support/alloc_counter.h"
#include "tests/unit/console_fixture.h"

namespace p2p::shell {
namespace {

// ---- plain: exactly the contract of docs/shell.md "Output" ------------------

TEST_F(ConsoleTest, PlainEventLines) {
    auto c = make(ConsoleMode::kPlain);
    EXPECT_EQ(render(*c, msg("alice@CIC", "hi there")), "msg alice@CIC: hi there\n");

    NodeEvent pub;
    pub.kind = EventKind::kPub;
    pub.scope = "#CIC";
    pub.peer_id = "alice@CIC";
    pub.text = "hello all";
    EXPECT_EQ(render(*c, pub), "pub #CIC alice@CIC: hello all\n");
    pub.scope = "*";
    EXPECT_EQ(render(*c, pub), "pub * alice@CIC: hello all\n");

    NodeEvent sent;
    sent.kind = EventKind::kSent;
    sent.msg_id = "abc-1";
    sent.peer_id = "bob@CIC";
    EXPECT_EQ(render(*c, sent), "sent abc-1 to bob@CIC\n");

    NodeEvent del = sent;
    del.kind = EventKind::kDelivered;
    del.rtt_ms = 12;
    EXPECT_EQ(render(*c, del), "delivered abc-1 to bob@CIC (12 ms)\n");

    NodeEvent to = sent;
    to.kind = EventKind::kAckTimeout;
    to.retry = 2;
    to.max_retries = 3;
    EXPECT_EQ(render(*c, to), "ack_timeout abc-1 to bob@CIC, retry 2/3\n");

    NodeEvent und = sent;
    und.kind = EventKind::kUndelivered;
    und.reason = "no_route";
    EXPECT_EQ(render(*c, und), "undelivered abc-1 to bob@CIC: no_route\n");

    NodeEvent peer;
    peer.kind = EventKind::kPeer;
    peer.peer_id = "bob@CIC";
    peer.state = PeerState::kStale;
    EXPECT_EQ(render(*c, peer), "peer bob@CIC STALE\n");
    peer.reason = "3 pings unanswered";
    EXPECT_EQ(render(*c, peer), "peer bob@CIC STALE 3 pings unanswered\n");

    NodeEvent link;
    link.kind = EventKind::kLink;
    link.peer_id = "bob@CIC";
    link.up = true;
    link.direction = LinkDirection::kInbound;
    EXPECT_EQ(render(*c, link), "link bob@CIC up inbound\n");
    link.up = false;
    link.direction = LinkDirection::kOutbound;
    link.reason = "closed_by_peer";
    EXPECT_EQ(render(*c, link), "link bob@CIC down outbound closed_by_peer\n");

    NodeEvent info;
    info.kind = EventKind::kInfo;
    info.text = "watch on";
    EXPECT_EQ(render(*c, info), "info watch on\n");
    NodeEvent err;
    err.kind = EventKind::kError;
    err.text = "unknown command '/x'";
    EXPECT_EQ(render(*c, err), "error unknown command '/x'\n");

    NodeEvent wire;
    wire.kind = EventKind::kWire;
    wire.peer_id = "bob@CIC";
    wire.outgoing = true;
    wire.line = R"({"type":"PING","ttl":1})";
    EXPECT_EQ(render(*c, wire), "wire >> bob@CIC {\"type\":\"PING\",\"ttl\":1}\n");
    wire.peer_id = "";
    wire.outgoing = false;
    wire.link = 7;
    EXPECT_EQ(render(*c, wire), "wire << link#7 {\"type\":\"PING\",\"ttl\":1}\n");

    c->info("registered as alice@CIC");
    EXPECT_EQ(sink_.take(), "info registered as alice@CIC\n");
    c->error("no target: use /msg first");
    EXPECT_EQ(sink_.take(), "error no target: use /msg first\n");
    c->rendezvous("registered, 3 peers listed");
    EXPECT_EQ(sink_.take(), "rendezvous registered, 3 peers listed\n");
}

TEST_F(ConsoleTest, PlainEmptyPeerIdKeepsFieldsAligned) {
    auto c = make(ConsoleMode::kPlain);
    EXPECT_EQ(render(*c, msg("", "x")), "msg -: x\n");
}

TEST_F(ConsoleTest, PlainLongPayloadIsOneWholeLine) {
    auto c = make(ConsoleMode::kPlain);
    std::string text(30000, 'x');
    for (std::size_t i = 50; i < text.size(); i += 50)
        text[i] = ' ';
    std::string out = render(*c, msg("alice@CIC", text));
    EXPECT_EQ(out, "msg alice@CIC: " + text + "\n");
}

TEST_F(ConsoleTest, PlainEscapesEverythingHostile) {
    auto c = make(ConsoleMode::kPlain);
    std::string out = render(*c, msg("alice@CIC", kHostile));
    EXPECT_EQ(out,
              "msg alice@CIC: a\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07b\\r\\nmsg evil@X: "
              "fake\\x7f\\u009b31mc\\u202ed\\xff\\xfe\\xc3\n");
    expect_terminal_safe(out, false);
    EXPECT_EQ(split_lines(out).size(), 1u);
}

TEST_F(ConsoleTest, HostilePeerIdAndReasonAreEscapedToo) {
    auto c = make(ConsoleMode::kPlain);
    NodeEvent peer;
    peer.kind = EventKind::kPeer;
    peer.peer_id = "x\x1b[31m@y";
    peer.state = PeerState::kGone;
    peer.reason = "bye\nlink z up inbound";
    std::string out = render(*c, peer);
    EXPECT_EQ(out, "peer x\\x1b[31m@y GONE bye\\nlink z up inbound\n");
}

TEST_F(ConsoleTest, ValidUtf8PassesThrough) {
    auto c = make(ConsoleMode::kPlain);
    EXPECT_EQ(render(*c, msg("jo\xc3\xa3o@CIC", "Ol\xc3\xa1! \xf0\x9f\x98\x80 \xe6\x97\xa5")),
              "msg jo\xc3\xa3o@CIC: Ol\xc3\xa1! \xf0\x9f\x98\x80 \xe6\x97\xa5\n");
}

TEST(EscapeText, StopsAtCharacterBoundaryWhenFull) {
    char out[8];
    // "\x1b" needs 4 bytes; after "abc" only 5 remain, then the next escape
    // would not fit whole.
    std::size_t n = escape_text("abc\x1b\x1b", out, sizeof out);
    EXPECT_EQ(std::string(out, n), "abc\\x1b");
    n = escape_text("ab\xc3\xa1\xc3\xa1\xc3\xa1\xc3\xa1", out, sizeof out);
    EXPECT_EQ(std::string(out, n), "ab\xc3\xa1\xc3\xa1\xc3\xa1");
}

TEST(EscapeText, RejectsOverlongAndSurrogateForms) {
    char out[64];
    // Overlong '/', a UTF-16 surrogate, a code point past U+10FFFF.
    std::size_t n = escape_text("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80", out, sizeof out);
    EXPECT_EQ(std::string(out, n), "\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80");
}

// ---- JSON --------------------------------------------------------------------

TEST_F(ConsoleTest, JsonEventObjects) {
    auto c = make(ConsoleMode::kJson);
    EXPECT_EQ(render(*c, msg("alice@CIC", "hi", "m-9")),
              R"({"event":"msg","from":"alice@CIC","text":"hi","msg_id":"m-9"})"
              "\n");
    NodeEvent pub;
    pub.kind = EventKind::kPub;
    pub.scope = "#CIC";
    pub.peer_id = "alice@CIC";
    pub.text = "hi";
    pub.msg_id = "p1";
    EXPECT_EQ(render(*c, pub),
              R"({"event":"pub","scope":"#CIC","from":"alice@CIC","text":"hi","msg_id":"p1"})"
              "\n");
    NodeEvent del;
    del.kind = EventKind::kDelivered;
    del.msg_id = "m-9";
    del.peer_id = "bob@CIC";
    del.rtt_ms = 12;
    EXPECT_EQ(render(*c, del), R"({"event":"delivered","msg_id":"m-9","to":"bob@CIC","rtt_ms":12})"
                               "\n");
    NodeEvent to = del;
    to.kind = EventKind::kAckTimeout;
    to.retry = 1;
    to.max_retries = 3;
    EXPECT_EQ(render(*c, to),
              R"({"event":"ack_timeout","msg_id":"m-9","to":"bob@CIC","retry":1,"max_retries":3})"
              "\n");
    NodeEvent und = del;
    und.kind = EventKind::kUndelivered;
    und.reason = "ack_timeout";
    EXPECT_EQ(render(*c, und),
              R"({"event":"undelivered","msg_id":"m-9","to":"bob@CIC","reason":"ack_timeout"})"
              "\n");
    NodeEvent sent = del;
    sent.kind = EventKind::kSent;
    EXPECT_EQ(render(*c, sent), R"({"event":"sent","msg_id":"m-9","to":"bob@CIC"})"
                                "\n");
    NodeEvent peer;
    peer.kind = EventKind::kPeer;
    peer.peer_id = "bob@CIC";
    peer.state = PeerState::kConnected;
    EXPECT_EQ(render(*c, peer), R"({"event":"peer","peer_id":"bob@CIC","state":"CONNECTED"})"
                                "\n");
    NodeEvent link;
    link.kind = EventKind::kLink;
    link.peer_id = "bob@CIC";
    link.up = false;
    link.direction = LinkDirection::kInbound;
    link.reason = "dead";
    EXPECT_EQ(
        render(*c, link),
        R"({"event":"link","peer_id":"bob@CIC","up":false,"direction":"inbound","reason":"dead"})"
        "\n");
    NodeEvent wire;
    wire.kind = EventKind::kWire;
    wire.peer_id = "bob@CIC";
    wire.link = 3;
    wire.outgoing = true;
    wire.line = R"({"type":"PONG"})";
    EXPECT_EQ(
        render(*c, wire),
        R"({"event":"wire","peer_id":"bob@CIC","link":3,"direction":"out","line":"{\"type\":\"PONG\"}"})"
        "\n");
    c->error("bad");
    EXPECT_EQ(sink_.take(), R"({"event":"error","text":"bad"})"
                            "\n");
    c->info("ok");
    EXPECT_EQ(sink_.take(), R"({"event":"info","text":"ok"})"
                            "\n");
    c->rendezvous("registered");
    EXPECT_EQ(sink_.take(), R"({"event":"rendezvous","text":"registered"})"
                            "\n");
}

TEST_F(ConsoleTest, JsonEscapesAndRepairsText) {
    auto c = make(ConsoleMode::kJson);
    std::string out = render(*c, msg("alice@CIC", kHostile));
    ASSERT_EQ(out.back(), '\n');
    EXPECT_EQ(out.find('\n'), out.size() - 1);
    // ASCII only: no raw control, C1, bidi or invalid bytes at all.
    for (unsigned char ch : out.substr(0, out.size() - 1)) {
        EXPECT_GE(ch, 0x20);
        EXPECT_LT(ch, 0x80);
    }
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size() - 1);
    ASSERT_FALSE(d.HasParseError());
    std::string text(d["text"].GetString(), d["text"].GetStringLength());
    // Everything valid survives exactly; each invalid byte became U+FFFD.
    EXPECT_EQ(text,
              "a\x1b[2J\x1b[H\x1b]0;pwned\x07"
              "b\r\nmsg evil@X: fake\x7f\xc2\x9b"
              "31mc\xe2\x80\xae"
              "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_F(ConsoleTest, JsonNonAsciiIsEscapedButRoundTrips) {
    auto c = make(ConsoleMode::kJson);
    std::string out = render(*c, msg("a@CIC", "Ol\xc3\xa1 \xf0\x9f\x98\x80"));
    EXPECT_EQ(out, R"({"event":"msg","from":"a@CIC","text":"Ol\u00E1 \uD83D\uDE00","msg_id":"m1"})"
                   "\n");
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size() - 1);
    ASSERT_FALSE(d.HasParseError());
    EXPECT_STREQ(d["text"].GetString(), "Ol\xc3\xa1 \xf0\x9f\x98\x80");
}

TEST_F(ConsoleTest, JsonLargestPayloadFitsWhole) {
    auto c = make(ConsoleMode::kJson);
    // Worst case for JSON: every byte a control character (6 bytes each).
    std::string text(kMaxLineBytes - 200, '\x01');
    std::string out = render(*c, msg("a@CIC", text));
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size() - 1);
    ASSERT_FALSE(d.HasParseError()) << out.substr(0, 200);
    EXPECT_EQ(d["text"].GetStringLength(), text.size());
}

// ---- tty -------------------------------------------------------------------------

TEST_F(ConsoleTest, TtyShowsTimeAndReadableForms) {
    auto c = make(ConsoleMode::kTty);
    EXPECT_EQ(render(*c, msg("alice@CIC", "hi")), "08:53:20 alice@CIC: hi\n");
    NodeEvent pub;
    pub.kind = EventKind::kPub;
    pub.scope = "#CIC";
    pub.peer_id = "alice@CIC";
    pub.text = "all";
    EXPECT_EQ(render(*c, pub), "08:53:20 [#CIC] alice@CIC: all\n");
    NodeEvent del;
    del.kind = EventKind::kDelivered;
    del.msg_id = "m-9";
    del.peer_id = "bob@CIC";
    del.rtt_ms = 12;
    // Without the echo of what we sent (Console::outgoing), the ACK is a
    // short line of its own, without the msg_id.
    EXPECT_EQ(render(*c, del), "08:53:20 delivered to bob@CIC in 12 ms\n");
    NodeEvent to = del;
    to.kind = EventKind::kAckTimeout;
    to.retry = 1;
    to.max_retries = 3;
    EXPECT_EQ(render(*c, to), "08:53:20 no ACK yet from bob@CIC, retry 1/3 (m-9)\n");
    NodeEvent und = del;
    und.kind = EventKind::kUndelivered;
    und.reason = "ack_timeout";
    EXPECT_EQ(render(*c, und), "08:53:20 NOT delivered to bob@CIC: ack_timeout (m-9)\n");
    clock_.advance(61'000);
    c->error("no target");
    EXPECT_EQ(sink_.take(), "08:54:21 error: no target\n");
    c->info("watch on");
    EXPECT_EQ(sink_.take(), "08:54:21 watch on\n");
}

TEST_F(ConsoleTest, TtyColourIsSgrOnly) {
    auto c = make(ConsoleMode::kTty, /*colour=*/true);
    // The sender's name in its own colour (peer_colour of alice@CIC).
    EXPECT_EQ(render(*c, msg("alice@CIC", "hi")),
              "\x1b[2m08:53:20\x1b[0m \x1b[91malice@CIC\x1b[0m: hi\x1b[0m\n");
    std::string out = render(*c, msg("alice@CIC", kHostile));
    expect_terminal_safe(out, /*allow_sgr=*/true);
}

TEST_F(ConsoleTest, TtyWrapsLongTextAtWordsWithIndent) {
    auto c = make(ConsoleMode::kTty, false, 40);
    std::string text = "the quick brown fox jumps over the lazy dog and keeps running far away";
    std::string out = render(*c, msg("alice@CIC", text));
    std::vector<std::string> lines = split_lines(out);
    ASSERT_GE(lines.size(), 3u);
    EXPECT_EQ(lines[0], "08:53:20 alice@CIC: the quick brown fox");
    std::string joined = lines[0].substr(20);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_LE(display_columns(lines[i]), 40u) << lines[i];
        if (i > 0) {
            EXPECT_EQ(lines[i].substr(0, 9), std::string(9, ' '));
            EXPECT_NE(lines[i][9], ' ');
            joined += " " + lines[i].substr(9);
        }
    }
    EXPECT_EQ(joined, text);
}

TEST_F(ConsoleTest, TtyBreaksWordsLongerThanALine) {
    auto c = make(ConsoleMode::kTty, false, 30);
    std::string text(100, 'z');
    std::string out = render(*c, msg("a@b", text));
    std::string joined;
    for (const std::string& line : split_lines(out)) {
        EXPECT_LE(display_columns(line), 30u) << line;
        joined += line;
    }
    EXPECT_NE(joined.find(std::string(21, 'z')), std::string::npos);
    std::size_t zs = 0;
    for (char ch : joined)
        zs += ch == 'z';
    EXPECT_EQ(zs, 100u);
}

TEST_F(ConsoleTest, TtyCutsHugePayloadAndSaysHowMuch) {
    auto c = make(ConsoleMode::kTty, false, 80);
    std::string text(kMaxLineBytes - 100, 'y');
    std::string out = render(*c, msg("a@b", text));
    std::vector<std::string> lines = split_lines(out);
    EXPECT_EQ(lines.size(), 21u);  // 20 lines of text, then the note
    std::size_t shown = 0;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        EXPECT_LE(display_columns(lines[i]), 80u);
        for (char ch : lines[i])
            shown += ch == 'y';
    }
    EXPECT_EQ(lines.back(),
              "         [... " + std::to_string(text.size() - shown) + " more bytes]");
}

TEST_F(ConsoleTest, TtyWrapDoesNotSplitEscapes) {
    auto c = make(ConsoleMode::kTty, false, 24);
    std::string text(5, 'a');
    for (int i = 0; i < 10; ++i)
        text += "\x1b";
    std::string out = render(*c, msg("a@b", text));
    for (const std::string& line : split_lines(out)) {
        std::size_t pos = 0;
        // Every backslash on a line starts a complete \xNN escape.
        while ((pos = line.find('\\', pos)) != std::string::npos) {
            ASSERT_LE(pos + 4, line.size()) << line;
            EXPECT_EQ(line.substr(pos, 4), "\\x1b");
            pos += 4;
        }
    }
}

// ---- memory ------------------------------------------------------------------------

TEST_F(ConsoleTest, EventsDoNotAllocate) {
    for (ConsoleMode mode : {ConsoleMode::kPlain, ConsoleMode::kJson, ConsoleMode::kTty}) {
        auto c = make(mode, true, 60);
        sink_.text.reserve(1 << 20);
        std::string big_text(20000, 'w');
        NodeEvent big = msg("alice@CIC", big_text);
        std::string hostile_text = kHostile;
        NodeEvent hostile = msg("alice@CIC", hostile_text);
        c->event(big);  // first use: nothing left to grow after this
        sink_.text.clear();
        long before = p2p::test::allocations();
        for (int i = 0; i < 100; ++i) {
            c->event(hostile);
            c->event(big);
            c->info("tick");
            sink_.text.clear();
        }
        EXPECT_EQ(p2p::test::allocations() - before, 0) << "mode " << int(mode);
    }
}

}  // namespace
}  // namespace p2p::shell
