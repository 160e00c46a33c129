// platform/connection with line framing, when the owner closes from inside on_line (the
// rendezvous server answers the first line and closes): the rest of that read must not
// reach the owner's line buffer after the close. The server gives a closed slot's
// buffer back to the kernel (and a reopened slot belongs to the next client), so a
// byte copied there afterwards is memory made resident again, or another peer's data.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "platform/connection.h"
#include "tests/support/loop_wait.h"

namespace p2p::platform {
namespace {

using test::run_until;

enum class How { kClose, kCloseSoon, kCloseWhenFlushed };

struct Owner final : ConnectionOwner {
    explicit Owner(How h) : how(h) {}
    void on_line(Connection& c, char* line, std::size_t len) override {
        lines.emplace_back(line, len);
        switch (how) {
            case How::kClose:
                c.close(CloseReason::kByOwner);
                break;
            case How::kCloseSoon:
                c.close_soon(CloseReason::kByOwner);
                break;
            case How::kCloseWhenFlushed:
                c.write("answer\n");
                c.close_when_flushed(CloseReason::kByOwner);
                break;
        }
    }
    void on_closed(Connection&, CloseReason) override { ++closed; }
    How how;
    std::vector<std::string> lines;
    int closed = 0;
};

class CloseInLine : public ::testing::TestWithParam<How> {};

TEST_P(CloseInLine, TheRestOfTheReadNeverReachesTheLineBuffer) {
    EventLoop loop;
    Owner owner(GetParam());
    char read_buf[4096 + 1];
    char line_buf[64 + 1];
    ConnectionConfig cc;
    cc.read_buf = read_buf;
    cc.read_cap = 4096;
    cc.framing = Framing::kLines;
    cc.line_buf = line_buf;
    cc.line_limit = 64;
    Connection conn(loop, owner, cc);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_TRUE(conn.open(sv[0]));
    std::memset(line_buf, '#', sizeof line_buf);

    const std::string bytes = "first\nsecond\nthird, unfinished";
    ASSERT_EQ(::write(sv[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ASSERT_TRUE(run_until(loop, [&] { return owner.closed > 0; }));
    EXPECT_EQ(owner.lines, std::vector<std::string>{"first"});
    EXPECT_EQ(std::string(line_buf, sizeof line_buf), std::string(sizeof line_buf, '#'))
        << "bytes read after the close were copied into the owner's line buffer";
    ::close(sv[1]);
}

INSTANTIATE_TEST_SUITE_P(Connection, CloseInLine,
                         ::testing::Values(How::kClose, How::kCloseSoon, How::kCloseWhenFlushed),
                         [](const ::testing::TestParamInfo<How>& param) -> std::string {
                             switch (param.param) {
                                 case How::kClose:
                                     return "Close";
                                 case How::kCloseSoon:
                                     return "CloseSoon";
                                 case How::kCloseWhenFlushed:
                                     return "CloseWhenFlushed";
                             }
                             return "?";
                         });

}  // namespace
}  // namespace p2p::platform
