// platform/log_sinks: the line format, colour rules, the file sink over a
// real file, control-character cleaning, truncation, and no C++ allocation
// per line.
#include "platform/log_sinks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <regex>
#include <string>

#include "core/text.h"
#include "platform/files.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/temp_path.h"

namespace p2p::platform {
namespace {

std::string fmt(WallMs wall, LogLevel level, std::string_view module, std::string_view text,
                bool colour = false) {
    char buf[2048];
    std::size_t n = format_log_line(buf, sizeof buf, wall, level, module, text, colour);
    return std::string(buf, n);
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

TEST(LogFormat, MatchesTheDocumentedShape) {
    // 2026-11-22T01:02:03.456Z
    WallMs t = 1795309323456;
    EXPECT_EQ(fmt(t, LogLevel::kInfo, "Rendezvous", "listening on 0.0.0.0:8080"),
              "2026-11-22T01:02:03.456Z INFO [Rendezvous] listening on 0.0.0.0:8080\n");
    EXPECT_EQ(fmt(0, LogLevel::kError, "", "x"), "1970-01-01T00:00:00.000Z ERROR x\n");
    EXPECT_EQ(fmt(5, LogLevel::kWarn, "M", ""), "1970-01-01T00:00:00.005Z WARN [M] \n");
}

// Local time with its offset, the console's clock (issue 15.12).
TEST(LogFormat, LocalTimeCarriesItsOffset) {
    WallMs t = 1795309323456;  // 2026-11-22T01:02:03.456Z
    char buf[256];
    std::size_t n = format_log_line(buf, sizeof buf, t, LogLevel::kInfo, "M", "x", false, 9 * 60);
    EXPECT_EQ(std::string(buf, n), "2026-11-22T10:02:03.456+09:00 INFO [M] x\n");
    n = format_log_line(buf, sizeof buf, t, LogLevel::kInfo, "M", "x", false, -(3 * 60 + 30));
    EXPECT_EQ(std::string(buf, n), "2026-11-21T21:32:03.456-03:30 INFO [M] x\n");
}

TEST(LogFormat, ControlCharactersCannotForgeLines) {
    std::string line =
        fmt(0, LogLevel::kInfo, "Peer\n", "name=\"evil\n1970 ERROR fake\x1b[2J\"\t!");
    EXPECT_EQ(line, "1970-01-01T00:00:00.000Z INFO [Peer?] name=\"evil?1970 ERROR fake?[2J\"\t!\n");
    EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LogFormat, ColourWrapsOnlyTheLevel) {
    std::string line = fmt(0, LogLevel::kError, "M", "t", true);
    EXPECT_EQ(line, "1970-01-01T00:00:00.000Z \x1b[31mERROR\x1b[0m [M] t\n");
}

TEST(LogFormat, TruncatesButAlwaysEndsWithANewline) {
    std::string text(5000, 'a');
    char buf[100];
    std::size_t n = format_log_line(buf, sizeof buf, 0, LogLevel::kInfo, "M", text, false);
    EXPECT_EQ(n, sizeof buf);
    EXPECT_EQ(buf[n - 1], '\n');
    char tiny[1];
    EXPECT_EQ(format_log_line(tiny, 1, 0, LogLevel::kInfo, "M", "t", false), 1u);
    EXPECT_EQ(tiny[0], '\n');
}

TEST(StderrSink, WritesOneLinePerCallAndNoColourOnAPipe) {
    int p[2];
    ASSERT_EQ(pipe2(p, O_NONBLOCK), 0);
    StderrSink sink(p[1]);
    EXPECT_FALSE(sink.colour());
    sink.write(LogLevel::kInfo, "Node", "hello");
    sink.write(LogLevel::kDebug, "Node", "again");
    std::string got = read_all(p[0]);
    std::regex shape(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO \[Node\] hello\n)"
                     R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG \[Node\] again\n)");
    EXPECT_TRUE(std::regex_match(got, shape)) << got;
    close(p[0]);
    close(p[1]);
}

TEST(StderrSink, ColourOnATerminalOrWhenForced) {
    int master = -1, slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) == 0) {
        EXPECT_TRUE(StderrSink(slave).colour());
        EXPECT_FALSE(StderrSink(slave, StderrSink::Colour::kNever).colour());
        close(master);
        close(slave);
    }
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    {
        // The sink writes through its own non-blocking opening of the pipe: the
        // reader sees EOF once both are closed.
        StderrSink forced(p[1], StderrSink::Colour::kAlways);
        EXPECT_TRUE(forced.colour());
        forced.write(LogLevel::kWarn, "M", "t");
    }
    close(p[1]);
    EXPECT_NE(read_all(p[0]).find("\x1b[33mWARN\x1b[0m"), std::string::npos);
    close(p[0]);
}

TEST(FileSink, AppendsWholeLinesAcrossReopen) {
    std::string tmpl = p2p::test::temp_template("p2p_log");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    std::string path = std::string(tmpl) + "/node.log";
    std::string err;
    {
        FileSink sink;
        ASSERT_TRUE(sink.open(path, &err)) << err;
        sink.write(LogLevel::kInfo, "A", "one");
    }
    {
        FileSink sink;
        ASSERT_TRUE(sink.open(path, &err)) << err;
        sink.write(LogLevel::kError, "B", "two");
        // Visible at once, before the sink is closed: line-buffered.
        std::string got;
        ASSERT_TRUE(read_file(path, got, &err));
        std::regex shape(R"(\S+Z INFO \[A\] one\n\S+Z ERROR \[B\] two\n)");
        EXPECT_TRUE(std::regex_match(got, shape)) << got;
    }
    unlink(path.c_str());
    rmdir(tmpl.c_str());
}

TEST(FileSink, OpenFailureIsReported) {
    FileSink sink;
    std::string err;
    EXPECT_FALSE(sink.open("/nonexistent-dir-p2p/x.log", &err));
    EXPECT_NE(err.find("/nonexistent-dir-p2p/x.log"), std::string::npos) << err;
    sink.write(LogLevel::kInfo, "M", "dropped, not crashed");
}

TEST(Sinks, NoAllocationPerLine) {
    int devnull = open("/dev/null", O_WRONLY);
    ASSERT_GE(devnull, 0);
    StderrSink err_sink(devnull, StderrSink::Colour::kAlways);
    FileSink file_sink;
    std::string e;
    ASSERT_TRUE(file_sink.open("/dev/null", &e)) << e;
    std::string long_text(3000, 'x');
    err_sink.write(LogLevel::kInfo, "M", "warm up");
    long before = p2p::test::allocations();
    for (int i = 0; i < 1000; ++i) {
        err_sink.write(LogLevel::kInfo, "Module", long_text);
        file_sink.write(LogLevel::kWarn, "Module", "short");
    }
    EXPECT_EQ(p2p::test::allocations() - before, 0);
    close(devnull);
}

TEST(SyslogSink, PriorityMapping) {
    EXPECT_EQ(SyslogSink::priority(LogLevel::kDebug), LOG_DEBUG);
    EXPECT_EQ(SyslogSink::priority(LogLevel::kInfo), LOG_INFO);
    EXPECT_EQ(SyslogSink::priority(LogLevel::kWarn), LOG_WARNING);
    EXPECT_EQ(SyslogSink::priority(LogLevel::kError), LOG_ERR);
}

}  // namespace
}  // namespace p2p::platform

namespace p2p::platform {
namespace {

// Issue 9.10: a hostile name reaches a log line escaped, never raw.
TEST(LogSinkEscaping, C1BidiAndInvalidUtf8AreEscaped) {
    std::string line = fmt(0, LogLevel::kWarn, "Link",
                           "peer csi\xc2\x9b"
                           "31m evil\xe2\x80\xae"
                           "cba bad\xff\xed\xb0\x80 sep\xe2\x80\xa8 ok \xc3\xa9\xe4\xb8\x96");
    EXPECT_NE(line.find("csi\\u{009B}31m"), std::string::npos) << line;
    EXPECT_NE(line.find("evil\\u{202E}cba"), std::string::npos) << line;
    EXPECT_NE(line.find("bad\\xFF\\xED\\xB0\\x80"), std::string::npos) << line;
    EXPECT_NE(line.find("sep\\u{2028}"), std::string::npos) << line;
    EXPECT_NE(line.find("ok \xc3\xa9\xe4\xb8\x96"), std::string::npos) << "other UTF-8 as is";
    EXPECT_TRUE(is_valid_utf8(line));
    EXPECT_EQ(line.find("\xc2\x9b"), std::string::npos);
    EXPECT_EQ(line.find("\xe2\x80\xae"), std::string::npos);
}

TEST(LogSinkEscaping, AnEscapeIsNeverCutAtTheEndOfTheBuffer) {
    for (std::size_t cap = 30; cap < 50; ++cap) {
        char buf[64];
        std::size_t n = format_log_line(buf, cap, 0, LogLevel::kInfo, "M",
                                        "\xe2\x80\xae\xe2\x80\xae\xe2\x80\xae\xe2\x80\xae", false);
        std::string line(buf, n);
        ASSERT_LE(n, cap);
        EXPECT_EQ(line.back(), '\n');
        // Every escape that started is whole.
        for (std::size_t at = 0; (at = line.find("\\u{", at)) != std::string::npos; at += 3)
            EXPECT_EQ(line.compare(at, 8, "\\u{202E}"), 0) << cap << ": " << line;
        EXPECT_TRUE(is_valid_utf8(line));
    }
}

}  // namespace
}  // namespace p2p::platform
