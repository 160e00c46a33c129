// platform::BatchedAppendFile, the chat log's file: lines wait in a bounded buffer and
// reach the file in one write per flush; reopen() follows a rename; a removed file is
// noticed.
#include "platform/append_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/node_process.h"

namespace p2p::platform {
namespace {

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(BatchedAppendFile, LinesReachTheFileOnlyAtAFlushAndAllAtOnce) {
    test::TempDir dir;
    std::string path = dir.path() + "/chat.log";
    {
        std::ofstream(path) << "kept\n";  // appended to, never truncated
    }
    BatchedAppendFile f(1024);
    std::string err;
    ASSERT_TRUE(f.open(path, &err)) << err;
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(f.append("line " + std::to_string(i) + "\n"));
    EXPECT_EQ(file_text(path), "kept\n") << "written before the flush";
    EXPECT_EQ(f.flush(&err), BatchedAppendFile::Flush::kWritten);
    std::string want = "kept\n";
    for (int i = 0; i < 10; ++i)
        want += "line " + std::to_string(i) + "\n";
    EXPECT_EQ(file_text(path), want);
    EXPECT_EQ(f.flush(&err), BatchedAppendFile::Flush::kNothing);
}

TEST(BatchedAppendFile, CreatedPrivateAndBounded) {
    test::TempDir dir;
    std::string path = dir.path() + "/chat.log";
    ::umask(022);
    BatchedAppendFile f(16);
    ASSERT_TRUE(f.open(path, nullptr));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_TRUE(f.append("0123456789\n"));
    EXPECT_FALSE(f.append("0123456789\n")) << "over the bound";
    EXPECT_EQ(f.take_dropped(), 1u);
    EXPECT_EQ(f.take_dropped(), 0u);
    EXPECT_EQ(f.buffered(), 11u);
}

TEST(BatchedAppendFile, ReopenFollowsARenameAndRemovalIsNoticed) {
    test::TempDir dir;
    std::string path = dir.path() + "/chat.log";
    BatchedAppendFile f(1024);
    ASSERT_TRUE(f.open(path, nullptr));
    f.append("before\n");
    f.flush(nullptr);
    ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
    EXPECT_FALSE(f.removed()) << "renamed is not removed";
    ASSERT_TRUE(f.reopen(nullptr));
    f.append("after\n");
    f.flush(nullptr);
    EXPECT_EQ(file_text(path + ".1"), "before\n");
    EXPECT_EQ(file_text(path), "after\n");
    ASSERT_EQ(::unlink(path.c_str()), 0);
    EXPECT_TRUE(f.removed());
}

TEST(BatchedAppendFile, AFullDiskFailsAndKeepsTheLines) {
    BatchedAppendFile f(1024);
    std::string err;
    ASSERT_TRUE(f.open("/dev/full", &err)) << err;
    f.append("lost?\n");
    EXPECT_EQ(f.flush(&err), BatchedAppendFile::Flush::kFailed);
    EXPECT_NE(err.find("No space"), std::string::npos) << err;
    EXPECT_EQ(f.buffered(), 6u) << "kept for the next try";
}

}  // namespace
}  // namespace p2p::platform
