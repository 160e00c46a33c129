// platform/unix_socket: the control socket's listener and connect.
#include "platform/unix_socket.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "platform/net.h"
#include "tests/support/temp_path.h"

namespace p2p::platform {
namespace {

class UnixSocketTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = p2p::test::temp_template("p2p_unix");
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/control";
    }
    void TearDown() override {
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }
    std::string dir_, path_;
};

TEST_F(UnixSocketTest, ListenerIsOwnerOnlyAndAcceptsAConnect) {
    std::string err;
    int lfd = unix_listen(path_, 0600, -1, &err);
    ASSERT_GE(lfd, 0) << err;
    struct stat st {};
    ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    int c = unix_connect(path_, &err);
    ASSERT_GE(c, 0) << err;
    int a = unix_accept(lfd);
    EXPECT_GE(a, 0);
    EXPECT_EQ(unix_accept(lfd), -1);  // nothing more pending: non-blocking
    close_fd(a);
    close_fd(c);
    close_fd(lfd);
}

TEST_F(UnixSocketTest, StaleSocketIsReplacedLiveOneAndOtherFilesAreRefused) {
    std::string err;
    int first = unix_listen(path_, 0600, -1, &err);
    ASSERT_GE(first, 0) << err;
    EXPECT_EQ(unix_listen(path_, 0600, -1, &err), -1);  // still accepting: someone's
    EXPECT_NE(err.find("already listening"), std::string::npos) << err;
    close_fd(first);  // the process died: the file stays, nobody accepts
    int second = unix_listen(path_, 0600, -1, &err);
    EXPECT_GE(second, 0) << err;
    close_fd(second);
    unix_unlink(path_);
    std::ofstream(path_) << "not a socket";
    EXPECT_EQ(unix_listen(path_, 0600, -1, &err), -1);
    EXPECT_NE(err.find("not a socket"), std::string::npos) << err;
}

TEST_F(UnixSocketTest, ConnectToNothingSaysWhy) {
    std::string err;
    EXPECT_EQ(unix_connect(path_, &err), -1);
    EXPECT_NE(err.find("No such file"), std::string::npos) << err;
    EXPECT_EQ(unix_connect(std::string(200, 'x'), &err), -1);  // longer than sun_path
}

TEST(GroupId, NumbersAndNames) {
    EXPECT_EQ(group_id("0"), 0);
    EXPECT_EQ(group_id("root"), 0);
    EXPECT_EQ(group_id("no-such-group-p2p"), -1);
    EXPECT_EQ(group_id(""), -1);
}

}  // namespace
}  // namespace p2p::platform
