// Backpressure on the user's input (shell/ui/line_reader, line_editor): while
// paused nothing more is read from the fd and lines already read are held
// back, in order; resuming hands them on; an EOF seen meanwhile comes last.
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "platform/event_loop.h"
#include "shell/ui/line_editor.h"
#include "shell/ui/line_reader.h"

namespace p2p::shell {
namespace {

// Pauses its reader after every `every` lines, as the app does when the
// node's user queue is full.
struct Throttled final : LineHandler {
    void on_line(std::string_view line) override {
        lines.emplace_back(line);
        if (pause && ++since_pause == every) {
            since_pause = 0;
            pause();
        }
    }
    void on_input_error(std::string_view) override {}
    void on_eof() override { ++eofs; }
    std::function<void()> pause;
    int every = 1;
    int since_pause = 0;
    std::vector<std::string> lines;
    int eofs = 0;
};

std::vector<std::string> numbered(int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i)
        v.push_back("/msg bob@CIC " + std::to_string(i));
    return v;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const std::string& l : lines)
        s += l + "\n";
    return s;
}

TEST(InputPause, PausedReaderHoldsLinesAndReadsNothingUntilResumed) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    Throttled h;
    LineReader reader(h);
    h.every = 3;
    h.pause = [&] { reader.pause(); };
    auto all = numbered(10);
    std::string bytes = joined(all);
    ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fds[1]);
    EXPECT_TRUE(reader.feed(fds[0]));
    EXPECT_EQ(h.lines.size(), 3u);  // paused after the third
    EXPECT_TRUE(reader.paused());
    EXPECT_TRUE(reader.feed(fds[0]));  // reads nothing while paused
    EXPECT_EQ(h.lines.size(), 3u);
    while (reader.paused() && h.lines.size() < 10)
        reader.resume();
    EXPECT_EQ(h.lines, all);  // every line once, in order
    EXPECT_EQ(h.eofs, 0);
    reader.resume();
    EXPECT_FALSE(reader.feed(fds[0]));  // now the EOF
    EXPECT_EQ(h.eofs, 1);
    ::close(fds[0]);
}

TEST(InputPause, EofWhilePausedComesAfterTheHeldLines) {
    Throttled h;
    LineReader reader(h);
    h.every = 1;
    h.pause = [&] { reader.pause(); };
    reader.push("a\nb\nc");
    reader.finish();  // the input ended while lines are held
    EXPECT_EQ(h.eofs, 0);
    while (reader.paused())
        reader.resume();
    EXPECT_EQ(h.lines, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(h.eofs, 1);
}

TEST(InputPause, EditorStopsWatchingThePipeWhilePaused) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    platform::EventLoop loop;
    Throttled h;
    LineEditorOptions o;
    o.allow_libedit = false;
    LineEditor editor(fds[0], 1, h, o);
    h.every = 2;
    h.pause = [&] { editor.pause_input(); };
    editor.start(&loop);
    auto all = numbered(6);
    std::string bytes = joined(all);
    ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    for (int i = 0; i < 5; ++i)
        loop.run_once(10);
    EXPECT_EQ(h.lines.size(), 2u);
    EXPECT_TRUE(editor.input_paused());
    while (editor.input_paused()) {
        editor.resume_input();
        loop.run_once(10);
    }
    EXPECT_EQ(h.lines, all);
    editor.stop();
    ::close(fds[0]);
    ::close(fds[1]);
}

}  // namespace
}  // namespace p2p::shell
