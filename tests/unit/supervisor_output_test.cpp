// What decides how output looks under a supervisor or on a plain terminal
// (issue 10.5): the journal line format and when it is chosen, colour from
// --color / NO_COLOR / TERM=dumb, and a log file reopened after a rename.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "platform/log_sinks.h"
#include "platform/terminal.h"
#include "tests/support/temp_path.h"

namespace p2p::platform {
namespace {

std::string journal(LogLevel level, std::string_view module, std::string_view text) {
    char buf[256];
    return {buf, format_journal_line(buf, sizeof buf, level, module, text)};
}

TEST(JournalLine, PriorityPrefixAndNoTimestamp) {
    EXPECT_EQ(journal(LogLevel::kError, "Node", "boom"), "<3>[Node] boom\n");
    EXPECT_EQ(journal(LogLevel::kWarn, "Node", "careful"), "<4>[Node] careful\n");
    EXPECT_EQ(journal(LogLevel::kInfo, "Link", "up"), "<6>[Link] up\n");
    EXPECT_EQ(journal(LogLevel::kDebug, "", "x"), "<7>x\n");
}

TEST(JournalLine, TextFromTheWireCannotForgeALine) {
    // A newline followed by a priority prefix would be a second record.
    EXPECT_EQ(journal(LogLevel::kInfo, "Link", "a\n<3>fake"), "<6>[Link] a?<3>fake\n");
}

TEST(JournalLine, CutToTheBufferStillEndsInNewline) {
    char buf[8];
    std::size_t n = format_journal_line(buf, sizeof buf, LogLevel::kInfo, "Node", "long text");
    ASSERT_EQ(n, sizeof buf);
    EXPECT_EQ(buf[n - 1], '\n');
}

TEST(JournalStream, MatchesOnlyTheFileItNames) {
    std::string path = p2p::test::temp_template("p2p_journal");
    int fd = ::mkstemp(path.data());
    ASSERT_GE(fd, 0);
    struct stat st {};
    ASSERT_EQ(::fstat(fd, &st), 0);
    std::string mine = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                       std::to_string(static_cast<unsigned long long>(st.st_ino));
    EXPECT_TRUE(journal_stream_matches(fd, mine.c_str()));
    std::string other = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                        std::to_string(static_cast<unsigned long long>(st.st_ino) + 1);
    EXPECT_FALSE(journal_stream_matches(fd, other.c_str()));
    EXPECT_FALSE(journal_stream_matches(fd, nullptr));
    EXPECT_FALSE(journal_stream_matches(fd, ""));
    EXPECT_FALSE(journal_stream_matches(fd, (mine + "x").c_str()));
    EXPECT_FALSE(journal_stream_matches(fd, "garbage"));
    EXPECT_TRUE(use_journal_format(LogFormat::kJournal, fd));
    EXPECT_FALSE(use_journal_format(LogFormat::kPlain, fd));
    ::close(fd);
    ::unlink(path.c_str());
}

TEST(Colour, ChoiceEnvironmentAndTerminal) {
    using C = ColourChoice;
    EXPECT_TRUE(colour_enabled(C::kAuto, true, nullptr, "xterm-256color"));
    EXPECT_FALSE(colour_enabled(C::kAuto, false, nullptr, "xterm")) << "a pipe gets no colour";
    EXPECT_FALSE(colour_enabled(C::kAuto, true, "1", "xterm")) << "NO_COLOR set";
    EXPECT_TRUE(colour_enabled(C::kAuto, true, "", "xterm")) << "NO_COLOR empty: ignored";
    EXPECT_FALSE(colour_enabled(C::kAuto, true, nullptr, "dumb")) << "TERM=dumb";
    EXPECT_TRUE(colour_enabled(C::kAlways, false, "1", "dumb")) << "--color=always wins";
    EXPECT_FALSE(colour_enabled(C::kNever, true, nullptr, "xterm"));
}

TEST(FileSinkReopen, NewLinesGoToTheNewFileAfterARename) {
    std::string dir = p2p::test::temp_template("p2p_reopen");
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    std::string log = std::string(dir) + "/a.log";
    FileSink sink;
    std::string err;
    ASSERT_TRUE(sink.open(log, &err)) << err;
    sink.write(LogLevel::kInfo, "T", "before");
    ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
    sink.write(LogLevel::kInfo, "T", "still old");
    ASSERT_TRUE(sink.reopen(&err)) << err;
    sink.write(LogLevel::kInfo, "T", "after");
    auto text = [](const std::string& p) {
        std::ifstream f(p);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    };
    std::string old_text = text(log + ".1");
    std::string new_text = text(log);
    EXPECT_NE(old_text.find("still old"), std::string::npos);
    EXPECT_EQ(old_text.find("after"), std::string::npos);
    EXPECT_NE(new_text.find("after"), std::string::npos);
    EXPECT_EQ(new_text.find("before"), std::string::npos);
    std::remove((log + ".1").c_str());
    std::remove(log.c_str());
    ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace p2p::platform
