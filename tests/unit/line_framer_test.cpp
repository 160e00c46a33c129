// The line framer (docs/protocol.md §2): every way bytes can arrive, the 32768-byte
// limit on both sides, discard-to-newline after an oversized line, and a
// randomised comparison against a whole-input reference model.
#include "core/line_framer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/limits.h"

namespace p2p {
namespace {

// What the sink saw: lines as strings, kTooLong as the marker below.
constexpr const char* kTooLongMark = "<TOO_LONG>";

struct Harness {
    explicit Harness(std::size_t limit = kMaxLineBytes)
        : limit_(limit),
          partial(LineFramer::kPartialBytes + 1, '\x7e'),
          framer(partial.data(), limit) {}

    // Feeds `bytes` as one read, copied into a fresh buffer with a guard byte
    // after it so writes past the read are caught.
    void feed(const std::string& bytes) {
        std::string read = bytes + '\x7e';
        framer.feed(read.data(), bytes.size(),
                    [&](LineFramer::Event ev, char* line, std::size_t len) {
                        if (ev == LineFramer::Event::kTooLong) {
                            EXPECT_EQ(line, nullptr);
                            EXPECT_EQ(len, 0u);
                            events.emplace_back(kTooLongMark);
                            return;
                        }
                        ASSERT_NE(line, nullptr);
                        EXPECT_LE(len, framer_limit());
                        EXPECT_EQ(line[len], '\0') << "line must be NUL-terminated in place";
                        EXPECT_EQ(std::string(line, len).find('\n'), std::string::npos);
                        events.emplace_back(line, len);
                    });
        EXPECT_EQ(read.back(), '\x7e') << "framer wrote past the end of the read";
        EXPECT_EQ(partial.back(), '\x7e') << "framer wrote past its partial buffer";
        EXPECT_LE(framer.buffered(), framer_limit() + 1);
    }

    void feed_bytewise(const std::string& bytes) {
        for (char c : bytes)
            feed(std::string(1, c));
    }

    std::size_t framer_limit() const { return limit_; }

    std::size_t limit_;
    std::string partial;  // one guard byte past kPartialBytes
    LineFramer framer;
    std::vector<std::string> events;
};

using Lines = std::vector<std::string>;

TEST(LineFramer, OneLineInOneRead) {
    Harness h;
    h.feed("{\"type\":\"PING\"}\n");
    EXPECT_EQ(h.events, Lines{"{\"type\":\"PING\"}"});
    EXPECT_EQ(h.framer.buffered(), 0u);
}

TEST(LineFramer, SeveralLinesInOneRead) {
    Harness h;
    h.feed("a\nbb\nccc\n");
    EXPECT_EQ(h.events, (Lines{"a", "bb", "ccc"}));
}

TEST(LineFramer, TrailingPartialIsKeptForTheNextRead) {
    Harness h;
    h.feed("one\ntw");
    EXPECT_EQ(h.events, Lines{"one"});
    EXPECT_EQ(h.framer.buffered(), 2u);
    h.feed("o\nthree\n");
    EXPECT_EQ(h.events, (Lines{"one", "two", "three"}));
    EXPECT_EQ(h.framer.buffered(), 0u);
}

TEST(LineFramer, LineSplitByteByByte) {
    Harness h;
    h.feed_bytewise("{\"type\":\"SEND\",\"payload\":\"hi\"}\r\nnext\n");
    EXPECT_EQ(h.events, (Lines{"{\"type\":\"SEND\",\"payload\":\"hi\"}", "next"}));
}

TEST(LineFramer, LineSplitAcrossManyReads) {
    Harness h;
    h.feed("{\"ty");
    h.feed("pe\":");
    h.feed("");
    h.feed("\"PI");
    h.feed("NG\"}");
    EXPECT_TRUE(h.events.empty());
    h.feed("\nx");
    EXPECT_EQ(h.events, Lines{"{\"type\":\"PING\"}"});
}

TEST(LineFramer, CrlfStripsOneCarriageReturn) {
    Harness h;
    h.feed("a\r\nb\r\r\n\r\nc\rd\n");
    EXPECT_EQ(h.events, (Lines{"a", "b\r", "", "c\rd"}));
}

TEST(LineFramer, CarriageReturnSplitFromItsLineFeed) {
    Harness h;
    h.feed("abc\r");
    EXPECT_TRUE(h.events.empty());
    h.feed("\n");
    EXPECT_EQ(h.events, Lines{"abc"});

    Harness h2;  // the '\r' alone in the partial buffer
    h2.feed("abc");
    h2.feed("\r");
    h2.feed("\ndef\n");
    EXPECT_EQ(h2.events, (Lines{"abc", "def"}));
}

TEST(LineFramer, EmptyLinesAreDeliveredEmpty) {
    // The framer reports them; the peer link ignores them and the rendezvous
    // server answers "Empty request line".
    Harness h;
    h.feed("\n\r\n\nx\n");
    EXPECT_EQ(h.events, (Lines{"", "", "", "x"}));
}

TEST(LineFramer, ExactlyTheLimitIsAccepted) {
    std::string line(kMaxLineBytes, 'a');
    for (const char* ending : {"\n", "\r\n"}) {
        Harness whole;
        whole.feed(line + ending);
        ASSERT_EQ(whole.events.size(), 1u);
        EXPECT_EQ(whole.events[0], line);

        Harness split;  // through the partial buffer
        split.feed(line.substr(0, 100));
        split.feed(line.substr(100));
        EXPECT_EQ(split.framer.buffered(), kMaxLineBytes);
        split.feed(ending);
        ASSERT_EQ(split.events.size(), 1u);
        EXPECT_EQ(split.events[0], line);

        Harness cr_alone;  // full line plus '\r' buffered, '\n' later
        cr_alone.feed(line + "\r");
        EXPECT_EQ(cr_alone.framer.buffered(), kMaxLineBytes + 1);
        cr_alone.feed("\n");
        ASSERT_EQ(cr_alone.events.size(), 1u);
        EXPECT_EQ(cr_alone.events[0], line);
    }
}

TEST(LineFramer, OneByteOverTheLimitIsTooLong) {
    std::string line(kMaxLineBytes + 1, 'a');
    Harness whole;
    whole.feed(line + "\nok\n");
    EXPECT_EQ(whole.events, (Lines{kTooLongMark, "ok"}));

    Harness split;
    split.feed(line.substr(0, 5));
    split.feed(line.substr(5));
    split.feed("\nok\n");
    EXPECT_EQ(split.events, (Lines{kTooLongMark, "ok"}));

    Harness crlf;  // 32769 bytes + "\r\n": the '\r' does not rescue it
    crlf.feed(line + "\r\nok\r\n");
    EXPECT_EQ(crlf.events, (Lines{kTooLongMark, "ok"}));
}

TEST(LineFramer, OversizedLineSplitAcrossReadsIsDiscardedToItsNewline) {
    Harness h;
    h.feed("before\n" + std::string(20000, 'x'));
    h.feed(std::string(20000, 'y'));  // now past the limit: reported at once
    EXPECT_EQ(h.events, (Lines{"before", kTooLongMark}));
    EXPECT_TRUE(h.framer.discarding());
    EXPECT_EQ(h.framer.buffered(), 0u);
    h.feed(std::string(50000, 'z'));
    h.feed("zz\r");
    EXPECT_EQ(h.events.size(), 2u) << "one report per oversized line";
    h.feed("\n{\"type\":\"PING\"}\n");
    EXPECT_FALSE(h.framer.discarding());
    EXPECT_EQ(h.events, (Lines{"before", kTooLongMark, "{\"type\":\"PING\"}"}));
}

TEST(LineFramer, OversizedLineWithNoNewlineNeverBuffersBeyondTheLimit) {
    Harness h;
    std::string chunk(4096, 'q');
    for (int i = 0; i < 64; ++i) {  // 256 KiB, no newline ever
        h.feed(chunk);
        EXPECT_LE(h.framer.buffered(), kMaxLineBytes + 1);
    }
    EXPECT_EQ(h.events, Lines{kTooLongMark});
    EXPECT_TRUE(h.framer.discarding());
}

TEST(LineFramer, OversizedLineFedByteByByte) {
    Harness h;
    h.feed(std::string(kMaxLineBytes, 'a'));
    h.feed("a");  // limit + 1: could still be a line ending "\r\n"
    EXPECT_TRUE(h.events.empty());
    h.feed("b");  // limit + 2: cannot
    EXPECT_EQ(h.events, Lines{kTooLongMark});
    h.feed("\n");
    h.feed("k");
    h.feed("\n");
    EXPECT_EQ(h.events, (Lines{kTooLongMark, "k"}));
}

TEST(LineFramer, NulTerminationInPlaceInsideTheCallersBuffer) {
    std::vector<char> partial(LineFramer::kPartialBytes);
    LineFramer framer(partial.data());
    char read[] = "ab\r\ncd\nef";
    std::vector<std::pair<char*, std::size_t>> got;
    framer.feed(read, sizeof read - 1, [&](LineFramer::Event, char* line, std::size_t len) {
        got.emplace_back(line, len);
    });
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].first, read) << "a whole line is handed out in place, not copied";
    EXPECT_EQ(got[0].second, 2u);
    EXPECT_EQ(read[2], '\0') << "the '\\r' slot became the terminator";
    EXPECT_EQ(got[1].first, read + 4);
    EXPECT_EQ(read[6], '\0') << "the '\\n' slot became the terminator";
    EXPECT_EQ(framer.buffered(), 2u);

    char rest[] = "\n";
    framer.feed(rest, 1, [&](LineFramer::Event, char* line, std::size_t len) {
        EXPECT_EQ(line, partial.data()) << "a joined line comes from the partial buffer";
        EXPECT_EQ(std::string(line, len), "ef");
        EXPECT_EQ(line[len], '\0');
    });
}

TEST(LineFramer, ResetDropsStateAfterAnOversizedLine) {
    Harness h;
    h.feed(std::string(kMaxLineBytes + 10, 'x'));
    EXPECT_TRUE(h.framer.discarding());
    h.framer.reset();
    EXPECT_FALSE(h.framer.discarding());
    h.feed("fresh\n");
    EXPECT_EQ(h.events, (Lines{kTooLongMark, "fresh"}));
}

// Whole-input model of §2: split at '\n', strip one '\r', too long if over
// the limit; an unterminated tail over limit + 1 bytes is already too long.
Lines reference_events(const std::string& input, std::size_t limit) {
    Lines out;
    std::size_t start = 0;
    while (true) {
        std::size_t nl = input.find('\n', start);
        if (nl == std::string::npos) {
            if (input.size() - start > limit + 1) out.emplace_back(kTooLongMark);
            return out;
        }
        std::string line = input.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line.size() > limit ? std::string(kTooLongMark) : line);
        start = nl + 1;
    }
}

TEST(LineFramer, RandomChunkingMatchesTheReferenceModel) {
    std::mt19937 rng(2024);
    for (int round = 0; round < 400; ++round) {
        std::size_t limit = 1 + rng() % 40;
        std::string input;
        std::size_t target = rng() % 400;
        const char alphabet[] = {'a', 'b', '\r', '\n', '{', '"'};
        while (input.size() < target) {
            unsigned r = rng() % 100;
            if (r < 5) {
                input += std::string(limit + rng() % 3, 'L');  // around the limit
            } else {
                input += alphabet[rng() % (r < 30 ? 6 : 2)];
            }
        }
        Harness h(limit);
        std::size_t pos = 0;
        while (pos < input.size()) {
            std::size_t n = std::min<std::size_t>(input.size() - pos, 1 + rng() % (2 * limit + 4));
            h.feed(input.substr(pos, n));
            pos += n;
        }
        ASSERT_EQ(h.events, reference_events(input, limit))
            << "round " << round << " limit " << limit;
    }
}

// ---- backpressure: lines held while the caller cannot take them ------------------------

struct GatedHarness {
    std::string partial = std::string(LineFramer::kPartialBytes + 1, '\0');
    LineFramer framer{partial.data()};
    std::vector<std::string> lines;
    std::size_t take = 0;  // lines the caller accepts before saying "not now"

    auto ready() {
        return [this] { return lines.size() < take; };
    }
    auto sink() {
        return [this](LineFramer::Event ev, char* line, std::size_t len) {
            lines.emplace_back(ev == LineFramer::Event::kTooLong ? std::string(kTooLongMark)
                                                                 : std::string(line, len));
        };
    }
    void feed(std::string bytes) { framer.feed_gated(bytes.data(), bytes.size(), ready(), sink()); }
    void release() { framer.release_held(ready(), sink()); }
};

TEST(LineFramerGated, HoldsTheRestOfAReadAndReleasesItInOrder) {
    GatedHarness h;
    h.take = 2;
    h.feed("a\nb\nc\r\nd\npart");
    EXPECT_EQ(h.lines, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(h.framer.holding());
    // More bytes while held are kept behind the held lines.
    h.feed("ial\ne\n");
    EXPECT_EQ(h.lines.size(), 2u);
    h.take = 4;
    h.release();
    EXPECT_EQ(h.lines, (std::vector<std::string>{"a", "b", "c", "d"}));
    EXPECT_TRUE(h.framer.holding());
    h.take = 100;
    h.release();
    EXPECT_FALSE(h.framer.holding());
    EXPECT_EQ(h.lines, (std::vector<std::string>{"a", "b", "c", "d", "partial", "e"}));
    h.feed("f\n");
    EXPECT_EQ(h.lines.back(), "f");
}

TEST(LineFramerGated, HoldsALineThatCompletesAPartialOne) {
    GatedHarness h;
    h.take = 0;
    h.feed("begin");  // no complete line: nothing to ask about
    h.feed("-end\nnext\n");
    EXPECT_TRUE(h.lines.empty());
    EXPECT_EQ(h.framer.room(), LineFramer::kPartialBytes - std::string("begin-end\nnext\n").size());
    h.take = 100;
    h.release();
    EXPECT_EQ(h.lines, (std::vector<std::string>{"begin-end", "next"}));
}

TEST(LineFramerGated, ReadsWithinRoomAreNeverLostAndTooMuchIsHandedOutAnyway) {
    GatedHarness h;
    h.take = 1;
    std::string line(1000, 'x');
    std::string read;
    for (int i = 0; i < 20; ++i)
        read += line + "\n";
    h.feed(read);
    ASSERT_EQ(h.lines.size(), 1u);
    std::size_t room = h.framer.room();
    EXPECT_EQ(room, LineFramer::kPartialBytes - 19 * 1001);
    // A host that ignores room(): what does not fit is handed out rather
    // than dropped, and holding resumes as soon as the rest fits.
    std::string big;
    for (int i = 0; i < 40; ++i)
        big += line + "\n";
    ASSERT_GT(big.size(), LineFramer::kPartialBytes);
    h.feed(big);
    EXPECT_GT(h.lines.size(), 20u);
    EXPECT_TRUE(h.framer.holding());
    h.take = 1000;
    h.release();
    EXPECT_EQ(h.lines.size(), 60u);
    EXPECT_FALSE(h.framer.holding());
    for (const std::string& l : h.lines)
        EXPECT_EQ(l, line);
}

}  // namespace
}  // namespace p2p
