// platform/files over real files in a fresh mkdtemp directory.
#include "platform/files.h"
#include "tests/support/temp_path.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace p2p::platform {
namespace {

class Files : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = p2p::test::temp_template("p2p_files");
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
    }
    void TearDown() override {
        for (const std::string& name : entries())
            ::unlink((dir + "/" + name).c_str());
        ::rmdir(dir.c_str());
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        DIR* d = opendir(dir.c_str());
        if (!d) return out;
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") out.push_back(n);
        }
        closedir(d);
        return out;
    }
    std::string dir;
};

TEST_F(Files, WriteThenReadBack) {
    std::string path = dir + "/db.json";
    std::string err;
    ASSERT_TRUE(write_file_atomic(path, "first\n", &err)) << err;
    std::string got;
    ASSERT_TRUE(read_file(path, got, &err)) << err;
    EXPECT_EQ(got, "first\n");
    // Replacing leaves exactly the new content and no temp file behind.
    ASSERT_TRUE(write_file_atomic(path, "second", &err)) << err;
    ASSERT_TRUE(read_file(path, got, &err));
    EXPECT_EQ(got, "second");
    EXPECT_EQ(entries(), std::vector<std::string>{"db.json"});
}

TEST_F(Files, WrittenFileIsPrivateAndASymlinkAtThePathIsReplacedNotFollowed) {
    std::string victim = dir + "/victim";
    std::string err;
    ASSERT_TRUE(write_file_atomic(victim, "precious", &err)) << err;
    std::string path = dir + "/db.json";
    ASSERT_EQ(::symlink(victim.c_str(), path.c_str()), 0);
    ASSERT_TRUE(write_file_atomic(path, "new", &err)) << err;
    std::string got;
    ASSERT_TRUE(read_file(victim, got, &err));
    EXPECT_EQ(got, "precious");
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(Files, PrivatePathRules) {
    std::string path = dir + "/db.json";
    std::string err;
    EXPECT_TRUE(check_private_file_path(path, &err)) << err;  // mkdtemp: 0700
    ASSERT_EQ(::chmod(dir.c_str(), 0775), 0);
    EXPECT_FALSE(check_private_file_path(path, &err));
    EXPECT_NE(err.find("writable by others and not sticky"), std::string::npos) << err;
    ASSERT_EQ(::chmod(dir.c_str(), 01777), 0);
    EXPECT_TRUE(check_private_file_path(path, &err)) << "missing file in a sticky dir";
    ASSERT_TRUE(write_file_atomic(path, "{}", &err)) << err;
    EXPECT_TRUE(check_private_file_path(path, &err)) << err;
    ASSERT_EQ(::unlink(path.c_str()), 0);
    ASSERT_EQ(::symlink("/etc/passwd", path.c_str()), 0);
    EXPECT_FALSE(check_private_file_path(path, &err));
    EXPECT_NE(err.find("not a regular file of ours"), std::string::npos) << err;
    EXPECT_FALSE(check_private_file_path(dir + "/missing-dir/db.json", &err));
    ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
}

TEST_F(Files, EmptyAndLargeAndBinaryContent) {
    std::string path = dir + "/f";
    std::string err, got;
    ASSERT_TRUE(write_file_atomic(path, "", &err)) << err;
    ASSERT_TRUE(read_file(path, got, &err));
    EXPECT_EQ(got, "");
    std::string big(3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 131);
    ASSERT_TRUE(write_file_atomic(path, big, &err)) << err;
    ASSERT_TRUE(read_file(path, got, &err));
    EXPECT_EQ(got, big);
}

TEST_F(Files, ReadMissingSaysSo) {
    std::string got = "stale", err;
    bool missing = false;
    EXPECT_FALSE(read_file(dir + "/nope", got, &err, &missing));
    EXPECT_TRUE(missing);
    EXPECT_NE(err.find("nope"), std::string::npos) << err;
    EXPECT_TRUE(got.empty());
}

TEST_F(Files, ReadADirectoryIsAnErrorNotMissing) {
    std::string got, err;
    bool missing = true;
    EXPECT_FALSE(read_file(dir, got, &err, &missing));
    EXPECT_FALSE(missing);
    EXPECT_FALSE(err.empty());
}

TEST_F(Files, WriteIntoAMissingDirectoryFailsCleanly) {
    std::string err;
    EXPECT_FALSE(write_file_atomic(dir + "/no/such/dir/db", "x", &err));
    EXPECT_NE(err.find("no/such/dir"), std::string::npos) << err;
    EXPECT_TRUE(entries().empty());
}

TEST_F(Files, FailedRenameLeavesTheOldFileAndNoTemp) {
    // The target is a non-empty directory: the temp is written, rename fails.
    std::string target = dir + "/target";
    ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
    std::string inner = target + "/keep";
    std::string err;
    ASSERT_TRUE(write_file_atomic(inner, "k", &err));
    EXPECT_FALSE(write_file_atomic(target, "x", &err));
    EXPECT_NE(err.find("rename"), std::string::npos) << err;
    EXPECT_EQ(entries(), std::vector<std::string>{"target"});
    ::unlink(inner.c_str());
    ::rmdir(target.c_str());
}

TEST_F(Files, RelativePathInTheCurrentDirectory) {
    char old[4096];
    ASSERT_NE(getcwd(old, sizeof old), nullptr);
    ASSERT_EQ(chdir(dir.c_str()), 0);
    std::string err, got;
    bool ok = write_file_atomic("rel.db", "r", &err);
    ASSERT_EQ(chdir(old), 0);
    ASSERT_TRUE(ok) << err;
    ASSERT_TRUE(read_file(dir + "/rel.db", got, &err));
    EXPECT_EQ(got, "r");
}

TEST_F(Files, MoveAsideKeepsEveryBadFile) {
    std::string path = dir + "/db.json";
    std::string err;
    ASSERT_TRUE(write_file_atomic(path, "bad one", &err));
    std::string first = move_aside(path, &err);
    ASSERT_FALSE(first.empty()) << err;
    EXPECT_EQ(first.rfind(path + ".bad-", 0), 0u) << first;
    std::string got;
    bool missing = false;
    EXPECT_FALSE(read_file(path, got, &err, &missing));
    EXPECT_TRUE(missing);
    ASSERT_TRUE(read_file(first, got, &err));
    EXPECT_EQ(got, "bad one");

    // A second bad file within the same second gets its own name.
    ASSERT_TRUE(write_file_atomic(path, "bad two", &err));
    std::string second = move_aside(path, &err);
    ASSERT_FALSE(second.empty()) << err;
    EXPECT_NE(second, first);
    ASSERT_TRUE(read_file(first, got, &err));
    EXPECT_EQ(got, "bad one");
    ASSERT_TRUE(read_file(second, got, &err));
    EXPECT_EQ(got, "bad two");
}

TEST_F(Files, MoveAsideOfAMissingFileFails) {
    std::string err;
    EXPECT_EQ(move_aside(dir + "/absent", &err), "");
    EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace p2p::platform
