// shell/runtime/rendezvous_link over real loopback sockets: one request line out, one
// answer line in (joined across reads, ended by '\n' or by EOF, CRLF stripped), and
// every way an exchange fails (closed silent, too long, no answer in time).
#include "shell/runtime/rendezvous_link.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/support/loop_wait.h"

namespace p2p::shell {
namespace {

using test::run_until;

// The server's side of one exchange, driven by hand.
class FakeServer {
  public:
    FakeServer() {
        platform::SockAddr any;
        EXPECT_TRUE(platform::parse_numeric_addr("127.0.0.1", 0, any));
        std::string err;
        listen_fd_ = platform::tcp_listen(any, 16, &err);
        EXPECT_GE(listen_fd_, 0) << err;
    }
    ~FakeServer() {
        close();
        platform::close_fd(listen_fd_);
    }
    platform::HostPort address() const {
        return {"127.0.0.1", platform::local_addr(listen_fd_).port()};
    }
    // Accepts the link's connection and reads its request line.
    std::optional<std::string> take_request(platform::EventLoop& loop) {
        close();
        if (!run_until(loop,
                       [&] { return (fd_ = platform::tcp_accept(listen_fd_, nullptr)) >= 0; }))
            return std::nullopt;
        std::string got;
        char buf[256];
        bool ok = run_until(loop, [&] {
            std::size_t n = 0;
            if (platform::sock_read(fd_, buf, sizeof buf, &n) == platform::IoResult::kOk)
                got.append(buf, n);
            return !got.empty() && got.back() == '\n';
        });
        if (!ok) return std::nullopt;
        return got;
    }
    void send(std::string_view bytes) {
        iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
        std::size_t n = 0;
        ASSERT_EQ(platform::sock_writev(fd_, &iov, 1, &n), platform::IoResult::kOk);
        ASSERT_EQ(n, bytes.size());
    }
    void close() {
        if (fd_ >= 0) platform::close_fd(fd_);
        fd_ = -1;
    }

  private:
    int listen_fd_ = -1;
    int fd_ = -1;
};

struct Result {
    int calls = 0;
    bool ok = false;
    std::string line;
    RdvFailure failure = RdvFailure::kIo;
    RendezvousLink::Done done() {
        return [this](std::uint64_t, RendezvousLink::Outcome& o) {
            ++calls;
            ok = o.ok;
            if (o.ok) {
                EXPECT_EQ(o.line[o.len], '\0');
                line.assign(o.line, o.len);
            }
            failure = o.failure;
        };
    }
};

class RendezvousLinkTest : public ::testing::Test {
  protected:
    // Starts one exchange and returns the request line the server read.
    std::string start(RendezvousLink& link) {
        link.set_server(server.address());
        EXPECT_TRUE(link.start(7, R"({"type":"DISCOVER"})", result.done()));
        EXPECT_TRUE(link.busy());
        return server.take_request(loop).value_or("<none>");
    }
    // Another exchange on `link`, whose answer is `bytes` and then EOF.
    Result answered_then_closed(RendezvousLink& link, const std::string& bytes) {
        Result r;
        link.set_server(server.address());
        EXPECT_TRUE(link.start(8, "{}", r.done()));
        server.take_request(loop);
        server.send(bytes);
        server.close();
        EXPECT_TRUE(run_until(loop, [&] { return r.calls > 0; }));
        return r;
    }
    bool finished() {
        return run_until(loop, [&] { return result.calls > 0; });
    }

    platform::EventLoop loop;
    platform::Resolver resolver{loop};
    FakeServer server;
    Result result;
};

TEST_F(RendezvousLinkTest, AnswerSplitAcrossReadsIsJoinedAndOnlyTheFirstLineCounts) {
    RendezvousLink link(loop, resolver);
    EXPECT_EQ(start(link), "{\"type\":\"DISCOVER\"}\n");
    server.send(R"({"status":"OK",)");
    loop.run_once(20);
    EXPECT_EQ(result.calls, 0) << "half an answer is not an answer";
    server.send("\"peers\":[]}\r\n{\"second\":1}\n");
    ASSERT_TRUE(finished());
    EXPECT_TRUE(result.ok);
    EXPECT_EQ(result.line, R"({"status":"OK","peers":[]})");
    EXPECT_FALSE(link.busy());
    for (int i = 0; i < 3; ++i)
        loop.run_once(10);
    EXPECT_EQ(result.calls, 1);
}

TEST_F(RendezvousLinkTest, AnswerEndedByEofWithoutNewline) {
    RendezvousLink link(loop, resolver);
    start(link);
    server.send("{\"status\":\"OK\"}\r");
    server.close();
    ASSERT_TRUE(finished());
    EXPECT_TRUE(result.ok);
    EXPECT_EQ(result.line, R"({"status":"OK"})");
}

TEST_F(RendezvousLinkTest, ClosedWithoutAnAnswer) {
    RendezvousLink link(loop, resolver);
    start(link);
    server.close();
    ASSERT_TRUE(finished());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.failure, RdvFailure::kClosed);
}

TEST_F(RendezvousLinkTest, AnswerLongerThanTheLimitFails) {
    RendezvousLink link(loop, resolver, RendezvousLink::kDefaultTimeoutMs, 64);
    start(link);
    server.send(std::string(65, 'x') + "\n");
    ASSERT_TRUE(finished());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.failure, RdvFailure::kTooLong);

    // At the limit it is an answer, ended by '\n' or by EOF.
    Result at_limit = answered_then_closed(link, std::string(64, 'y'));
    EXPECT_TRUE(at_limit.ok);
    EXPECT_EQ(at_limit.line, std::string(64, 'y'));
    // One byte over the limit at EOF is too long, not cut short.
    Result over = answered_then_closed(link, std::string(65, 'z'));
    EXPECT_FALSE(over.ok);
    EXPECT_EQ(over.failure, RdvFailure::kTooLong);
}

TEST_F(RendezvousLinkTest, SilentServerTimesOutAndCancelNeverCallsBack) {
    RendezvousLink link(loop, resolver, 150);
    start(link);
    ASSERT_TRUE(finished());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.failure, RdvFailure::kTimeout);

    Result cancelled;
    ASSERT_TRUE(link.start(8, "{}", cancelled.done()));
    server.take_request(loop);
    link.cancel();
    EXPECT_FALSE(link.busy());
    server.send("{\"status\":\"OK\"}\n");
    for (int i = 0; i < 10; ++i)
        loop.run_once(20);
    EXPECT_EQ(cancelled.calls, 0);
}

}  // namespace
}  // namespace p2p::shell
