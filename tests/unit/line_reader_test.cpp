// The plain line reader over a real pipe: lines split across reads, several
// lines in one read, CRLF, over-long lines refused and skipped (never run in
// pieces), the last unterminated line at EOF. Also the LineEditor in its
// non-terminal mode on a real EventLoop, and Tab-completion candidates.
#include "shell/ui/line_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "platform/event_loop.h"
#include "platform/terminal.h"
#include "shell/ui/line_editor.h"
#include "tests/support/temp_path.h"

namespace p2p::shell {
namespace {

struct Recorder final : LineHandler {
    void on_line(std::string_view line) override { lines.emplace_back(line); }
    void on_input_error(std::string_view message) override { errors.emplace_back(message); }
    void on_eof() override { ++eofs; }
    std::vector<std::string> lines;
    std::vector<std::string> errors;
    int eofs = 0;
};

class Pipe {
  public:
    Pipe() {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        if (r >= 0) ::close(r);
        close_write();
    }
    void write(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::write(w, s.data(), s.size());
            ASSERT_GT(n, 0);
            s.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    void close_write() {
        if (w >= 0) ::close(w);
        w = -1;
    }
    int r = -1;
    int w = -1;
};

TEST(LineReader, PartialLineWaitsForItsNewline) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec);
    p.write("/msg bob@CIC hel");
    EXPECT_TRUE(reader.feed(p.r));
    EXPECT_TRUE(rec.lines.empty());
    EXPECT_EQ(reader.buffered(), 16u);
    p.write("lo\n");
    EXPECT_TRUE(reader.feed(p.r));
    ASSERT_EQ(rec.lines.size(), 1u);
    EXPECT_EQ(rec.lines[0], "/msg bob@CIC hello");
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LineReader, SeveralLinesInOneRead) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec);
    p.write("/peers\n/conn\r\n\nhello there\n/ru");
    EXPECT_TRUE(reader.feed(p.r));
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"/peers", "/conn", "", "hello there"}));
    EXPECT_EQ(reader.buffered(), 3u);
    p.write("n\n");
    EXPECT_TRUE(reader.feed(p.r));
    EXPECT_EQ(rec.lines.back(), "/run");
}

TEST(LineReader, ByteAtATime) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec);
    std::string input = "a\nbc\r\n\xc3\xa1\n";
    for (char c : input) {
        p.write(std::string_view(&c, 1));
        EXPECT_TRUE(reader.feed(p.r));
    }
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"a", "bc", "\xc3\xa1"}));
}

TEST(LineReader, LongestLineIsAcceptedOneMoreIsRefused) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec, 16);
    p.write(std::string(16, 'a') + "\n");
    EXPECT_TRUE(reader.feed(p.r));
    ASSERT_EQ(rec.lines.size(), 1u);
    EXPECT_EQ(rec.lines[0], std::string(16, 'a'));
    EXPECT_TRUE(rec.errors.empty());

    p.write(std::string(17, 'b') + "\n/quit\n");
    while (rec.lines.size() < 2 && reader.feed(p.r)) {
    }
    ASSERT_EQ(rec.errors.size(), 1u);
    EXPECT_EQ(rec.errors[0], "input line longer than 16 bytes ignored");
    // Nothing of the refused line ran; the next line did.
    EXPECT_EQ(rec.lines, (std::vector<std::string>{std::string(16, 'a'), "/quit"}));
}

TEST(LineReader, HugeLineOverManyReadsIsRefusedOnce) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec, 64);
    // 10 KiB without a newline, arriving in pieces, then a good line.
    for (int i = 0; i < 10; ++i) {
        p.write(std::string(1024, 'x'));
        while (platform::bytes_readable(p.r) > 0)
            reader.feed(p.r);
    }
    EXPECT_EQ(rec.errors.size(), 1u);
    EXPECT_TRUE(rec.lines.empty());
    EXPECT_LE(reader.buffered(), 65u);
    p.write("tail of the long line\nok\n");
    while (platform::bytes_readable(p.r) > 0)
        reader.feed(p.r);
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"ok"}));
    EXPECT_EQ(rec.errors.size(), 1u);
}

TEST(LineReader, DefaultLimitIsTheProtocolLine) {
    Recorder rec;
    LineReader reader(rec);
    EXPECT_EQ(reader.max_line(), kMaxLineBytes);
    reader.push(std::string(kMaxLineBytes, 'm') + "\n");
    ASSERT_EQ(rec.lines.size(), 1u);
    EXPECT_EQ(rec.lines[0].size(), kMaxLineBytes);
    reader.push(std::string(kMaxLineBytes + 1, 'm') + "\n");
    EXPECT_EQ(rec.lines.size(), 1u);
    ASSERT_EQ(rec.errors.size(), 1u);
}

TEST(LineReader, EofDeliversUnterminatedLastLine) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec);
    p.write("/peers\n/quit");
    p.close_write();
    while (reader.feed(p.r)) {
    }
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"/peers", "/quit"}));
    EXPECT_EQ(rec.eofs, 1);
    EXPECT_TRUE(reader.finished());
    EXPECT_FALSE(reader.feed(p.r));
    EXPECT_EQ(rec.eofs, 1);
}

TEST(LineReader, EofInsideRefusedLineRunsNothing) {
    Pipe p;
    Recorder rec;
    LineReader reader(rec, 8);
    p.write(std::string(40, 'z'));
    p.close_write();
    while (reader.feed(p.r)) {
    }
    EXPECT_TRUE(rec.lines.empty());
    EXPECT_EQ(rec.errors.size(), 1u);
    EXPECT_EQ(rec.eofs, 1);
}

TEST(LineReader, NonBlockingEmptyPipeIsNotEof) {
    Pipe p;
    ASSERT_EQ(::fcntl(p.r, F_SETFL, ::fcntl(p.r, F_GETFL) | O_NONBLOCK), 0);
    Recorder rec;
    LineReader reader(rec);
    EXPECT_TRUE(reader.feed(p.r));
    EXPECT_EQ(rec.eofs, 0);
}

TEST(LineReader, ReadErrorEndsInput) {
    Recorder rec;
    LineReader reader(rec);
    EXPECT_FALSE(reader.feed(-1));
    EXPECT_EQ(rec.eofs, 1);
}

// ---- the editor without a terminal ---------------------------------------------

TEST(LineEditorPlain, ReadsLinesFromAPipeOnTheEventLoop) {
    Pipe in;
    Pipe out;
    Recorder rec;
    LineEditorOptions opts;
    LineEditor editor(in.r, out.w, rec, opts);
    platform::EventLoop loop;
    editor.start(&loop);
    EXPECT_TRUE(editor.started());
    EXPECT_FALSE(editor.interactive());

    in.write("/peers\nhel");
    for (int i = 0; i < 100 && rec.lines.empty(); ++i)
        loop.run_once(50);
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"/peers"}));
    in.write("lo\n");
    in.close_write();
    for (int i = 0; i < 100 && rec.eofs == 0; ++i)
        loop.run_once(50);
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"/peers", "hello"}));
    EXPECT_EQ(rec.eofs, 1);
    EXPECT_FALSE(editor.started());  // stopped and no longer watched
    loop.run_once(0);                // an unwatched EOF fd does not spin or call back
    EXPECT_EQ(rec.eofs, 1);

    // Output goes straight through, whole lines.
    editor.write_lines("msg a@b: hi\n");
    char buf[64];
    ssize_t n = ::read(out.r, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "msg a@b: hi\n");
}

TEST(LineEditorPlain, StopFromInsideALineCallback) {
    Pipe in;
    Pipe out;
    struct Quitter final : LineHandler {
        void on_line(std::string_view line) override {
            lines.emplace_back(line);
            if (line == "/quit") editor->stop();
        }
        void on_input_error(std::string_view) override {}
        void on_eof() override { ++eofs; }
        LineEditor* editor = nullptr;
        std::vector<std::string> lines;
        int eofs = 0;
    } quitter;
    LineEditor editor(in.r, out.w, quitter);
    quitter.editor = &editor;
    platform::EventLoop loop;
    editor.start(&loop);
    in.write("/quit\n");
    for (int i = 0; i < 100 && quitter.lines.empty(); ++i)
        loop.run_once(50);
    EXPECT_EQ(quitter.lines, (std::vector<std::string>{"/quit"}));
    EXPECT_FALSE(editor.started());
    in.write("/peers\n");
    loop.run_once(20);
    EXPECT_EQ(quitter.lines.size(), 1u);
}

TEST(LineEditorPlain, ReadsARegularFileTheLoopCannotPoll) {
    // `p2pchat < script.txt`: epoll refuses regular files; the editor falls
    // back to reading from a zero-delay timer.
    std::string path = p2p::test::temp_template("p2p_line_reader");
    int fd = ::mkstemp(path.data());
    ASSERT_GE(fd, 0);
    std::string script = "/peers\n/msg bob@CIC hi\n/quit";
    ASSERT_EQ(::write(fd, script.data(), script.size()), static_cast<ssize_t>(script.size()));
    ASSERT_EQ(::lseek(fd, 0, SEEK_SET), 0);
    Pipe out;
    Recorder rec;
    LineEditor editor(fd, out.w, rec);
    platform::EventLoop loop;
    editor.start(&loop);
    for (int i = 0; i < 200 && rec.eofs == 0; ++i)
        loop.run_once(10);
    EXPECT_EQ(rec.lines, (std::vector<std::string>{"/peers", "/msg bob@CIC hi", "/quit"}));
    EXPECT_EQ(rec.eofs, 1);
    EXPECT_FALSE(editor.started());
    ::close(fd);
    ::unlink(path.c_str());
}

TEST(LineEditorPlain, DevNullIsAnImmediateEof) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    Pipe out;
    Recorder rec;
    LineEditor editor(fd, out.w, rec);
    platform::EventLoop loop;
    editor.start(&loop);
    for (int i = 0; i < 200 && rec.eofs == 0; ++i)
        loop.run_once(10);
    EXPECT_EQ(rec.eofs, 1);
    EXPECT_TRUE(rec.lines.empty());
    ::close(fd);
}

// ---- Tab completion candidates -----------------------------------------------------

TEST(Completion, CommandNames) {
    std::vector<std::string> out;
    LineEditor::completions("", "/co", {}, out);
    EXPECT_EQ(out, (std::vector<std::string>{"/connect", "/conn"}));
    LineEditor::completions("  ", "/q", {}, out);
    EXPECT_EQ(out, (std::vector<std::string>{"/quit"}));
    LineEditor::completions("", "hel", {}, out);
    EXPECT_TRUE(out.empty());  // plain text is not completed
}

TEST(Completion, PeerIdsAndScopes) {
    const std::vector<std::string> peers = {"bob@CIC", "bea@lab", "carol@CIC"};
    std::vector<std::string> out;
    LineEditor::completions("/msg ", "b", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"bob@CIC", "bea@lab"}));
    LineEditor::completions("/msg ", "@c", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"@carol@CIC"}));
    LineEditor::completions("/msg ", "#", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"#CIC", "#lab"}));
    LineEditor::completions("/pub ", "", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"*", "#CIC", "#lab"}));
    LineEditor::completions("/connect ", "car", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"carol@CIC"}));
    LineEditor::completions("/metrics ", "bo", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"bob@CIC"}));
    LineEditor::completions("/peers ", "#l", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"#lab"}));
    LineEditor::completions("/help ", "re", peers, out);
    EXPECT_EQ(out, (std::vector<std::string>{"reply", "reconnect"}));
}

TEST(Completion, MessageTextIsNotCompleted) {
    const std::vector<std::string> peers = {"bob@CIC"};
    std::vector<std::string> out;
    LineEditor::completions("/msg bob@CIC ", "b", peers, out);
    EXPECT_TRUE(out.empty());
    LineEditor::completions("/quit ", "b", peers, out);
    EXPECT_TRUE(out.empty());
    LineEditor::completions("/reply ", "b", peers, out);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace p2p::shell
