// Issue 18: `p2pchat rendezvous --registry redis://...` front-ends sharing one real
// redis-server (tests/support/redis_server.h): what one front-end registers the other
// lists, expiry is seen from both, the rate limit counts connections at both, and a
// Redis that dies, restarts or stops answering gives clear errors, never a hang, and
// service again once it is back. The recorded compatibility tests run against the
// Redis backend too (RendezvousBackends in rendezvous_server_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/poll_until.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/rendezvous_process.h"
#include "tests/support/tcp_client.h"
#include "tests/support/tcp_queues.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

std::string error(std::string_view message) {
    return R"({"status":"ERROR","message":")" + std::string(message) + R"("})";
}

const std::string kUnavailable = error("registry_unavailable");
const std::string kDiscoverAll = R"({"type":"DISCOVER"})";

std::string register_line(const std::string& name, int port, int ttl) {
    return R"({"type":"REGISTER","namespace":"CIC","name":")" + name + R"(","port":)" +
           std::to_string(port) + R"(,"ttl":)" + std::to_string(ttl) + "}";
}

// One `p2pchat rendezvous` front-end on Redis, on a free loopback port.
class FrontEnd : public RendezvousProcess {
  public:
    explicit FrontEnd(const RedisServer& redis, std::vector<std::string> extra = {})
        : RendezvousProcess(on(redis, std::move(extra))) {}
    // Asks until the answer is `want` (Redis coming back, an expiry).
    bool ask_until(const std::string& line, const std::string& want, milliseconds timeout) {
        return poll_until([&] { return ask(line) == want; }, timeout, 50ms);
    }

  private:
    static std::vector<std::string> on(const RedisServer& redis, std::vector<std::string> extra) {
        extra.insert(extra.begin(), {"--registry", redis.url()});
        return extra;
    }
};

class RendezvousRedis : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!P2P_HAVE_REDIS) GTEST_SKIP() << "built without the Redis registry (no hiredis)";
        std::string err;
        ASSERT_TRUE(redis.start(&err)) << err;
    }
    RedisServer redis;
};

TEST_F(RendezvousRedis, RegisterAtOneFrontEndDiscoverAtTheOtherAndExpirySeenFromBoth) {
    FrontEnd a(redis, {"--rate-limit", "0"}), b(redis, {"--rate-limit", "0"});
    EXPECT_EQ(b.ask(kDiscoverAll), error("peer_not_registered"));
    EXPECT_EQ(a.ask(register_line("alice", 7070, 60)),
              R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    EXPECT_EQ(a.ask(register_line("brief", 7071, 1)),
              R"({"status":"OK","ttl":1,"ip":"127.0.0.1","port":7071})");
    std::regex both(
        R"(\{"status":"OK","peers":\[\{"ip":"127\.0\.0\.1","port":7070,"name":"alice","namespace":"CIC","ttl":60,"expires_in":(59|60)\},)"
        R"(\{"ip":"127\.0\.0\.1","port":7071,"name":"brief","namespace":"CIC","ttl":1,"expires_in":[01]\}\]\})");
    std::string listed = b.ask(kDiscoverAll);
    EXPECT_TRUE(std::regex_match(listed, both)) << listed;
    // A renewal at B moves alice to the end of the listing, for A too.
    EXPECT_EQ(b.ask(register_line("alice", 7070, 60)),
              R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    EXPECT_NE(a.ask(kDiscoverAll).find(R"("name":"brief")"), std::string::npos);
    std::string alice_only =
        R"(\{"status":"OK","peers":\[\{"ip":"127\.0\.0\.1","port":7070,"name":"alice","namespace":"CIC","ttl":60,"expires_in":5\d\}\]\})";
    // brief's ttl of 1 s runs out: neither front-end lists it any more.
    ASSERT_TRUE(poll_until(
        [&] { return std::regex_match(a.ask(kDiscoverAll), std::regex(alice_only)); }, 5s, 100ms))
        << a.ask(kDiscoverAll);
    EXPECT_TRUE(std::regex_match(b.ask(R"({"type":"DISCOVER","namespace":"CIC"})"),
                                 std::regex(alice_only)));
    // UNREGISTER at A removes what B registered (same source address).
    EXPECT_EQ(a.ask(R"({"type":"UNREGISTER","namespace":"CIC","name":"alice"})"),
              R"({"status":"OK"})");
    EXPECT_EQ(b.ask(kDiscoverAll), error("peer_not_registered"));
}

TEST_F(RendezvousRedis, RateLimitIsCountedAcrossFrontEnds) {
    std::vector<std::string> limit = {"--rate-limit",    "4", "--rate-window", "60",
                                      "--block-seconds", "30"};
    FrontEnd a(redis, limit), b(redis, limit);
    for (FrontEnd* f : {&a, &b, &a, &b})
        EXPECT_EQ(f->ask(kDiscoverAll), error("peer_not_registered"));
    // The fifth connection, at A, crosses the limit of 4 counted at both: closed unanswered.
    TcpClient fifth;
    ASSERT_TRUE(fifth.connect(a.port));
    std::string line;
    EXPECT_EQ(fifth.read_line(&line, 5s), TcpClient::Read::kClosed) << line;
    // B, which saw two of them, refuses the address too.
    std::regex blocked(
        R"(\{"status":"ERROR","message":"Connection from 127\.0\.0\.1:\d+ has been blocked due to excessive login attempts \(limit: 4\)\. The block will be lifted in (29|30) seconds\."\})");
    std::string reply = b.ask(kDiscoverAll);
    EXPECT_TRUE(std::regex_match(reply, blocked)) << reply;
    EXPECT_EQ(redis.cli("EXISTS p2pchat:rdv:blk:127.0.0.1"), "1");
}

TEST_F(RendezvousRedis, RedisKilledAndRestartedGivesClearErrorsThenServiceResumes) {
    FrontEnd a(redis), b(redis);
    EXPECT_EQ(a.ask(register_line("alice", 7070, 60)),
              R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    redis.kill();
    // Every request is answered at once, at both front-ends: nothing hangs.
    for (FrontEnd* f : {&a, &b}) {
        auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(f->ask(kDiscoverAll), kUnavailable);
        EXPECT_EQ(f->ask(register_line("bob", 7071, 60)), kUnavailable);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    }
    // Requests that need no registry are still answered as always.
    EXPECT_EQ(a.ask("hello"), error("Unknown command"));
    EXPECT_TRUE(a.proc.wait_for_line("requests answer registry_unavailable|closed the link", 5s,
                                     Stream::kStderr))
        << a.proc.dump();

    std::string err;
    ASSERT_TRUE(redis.start(&err)) << err;  // same port, empty (no persistence)
    // Both reconnect (backoff of at most 5 s) and serve again.
    EXPECT_TRUE(a.ask_until(register_line("alice", 7070, 60),
                            R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})", 8s));
    EXPECT_TRUE(poll_until(
        [&] { return b.ask(kDiscoverAll).find(R"("name":"alice")") != std::string::npos; }, 8s,
        50ms))
        << b.proc.dump();
    EXPECT_TRUE(
        a.proc.has_line(std::regex("connected to redis://127.0.0.1:\\d+ again"), Stream::kStderr))
        << a.proc.dump();
}

TEST_F(RendezvousRedis, RedisThatStopsAnsweringTimesOutThenServesAgain) {
    FrontEnd a(redis, {"--registry-timeout-ms", "300"});
    EXPECT_EQ(a.ask(register_line("alice", 7070, 60)),
              R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    ASSERT_TRUE(redis.pause());  // connected, but nothing is read or answered
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(a.ask(kDiscoverAll), kUnavailable);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 250ms);  // it did wait for Redis...
    EXPECT_LT(waited, 3s);     // ...but no longer than the timeout (and a connect timeout)
    EXPECT_TRUE(a.proc.wait_for_line("no reply in time", 5s, Stream::kStderr)) << a.proc.dump();
    ASSERT_TRUE(redis.resume());
    EXPECT_TRUE(a.ask_until(R"({"type":"DISCOVER","namespace":"UnB"})",
                            R"({"status":"OK","peers":[]})", 8s))
        << a.proc.dump();
}

TEST_F(RendezvousRedis, RequestsBeyondTheQueueAreAnsweredAtOnce) {
    FrontEnd a(redis,
               {"--registry-queue", "2", "--registry-timeout-ms", "2000", "--rate-limit", "0"});
    EXPECT_EQ(a.ask(register_line("alice", 7070, 60)),
              R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    ASSERT_TRUE(redis.pause());
    // Two requests wait for Redis; the third finds the queue full.
    TcpClient first, second;
    for (TcpClient* c : {&first, &second}) {
        ASSERT_TRUE(c->connect(a.port));
        ASSERT_TRUE(c->send_line(kDiscoverAll));
    }
    // Both are with the queue once the front-end has read them.
    for (TcpClient* c : {&first, &second})
        ASSERT_TRUE(wait_peer_read_all(c->fd(), 5s));
    EXPECT_EQ(a.ask(kDiscoverAll), kUnavailable);
    // It did not wait for the timeout: the two queued ones are still waiting.
    std::string line;
    for (TcpClient* c : {&first, &second})
        EXPECT_EQ(c->read_line(&line, 0ms), TcpClient::Read::kTimeout) << line;
    for (TcpClient* c : {&first, &second})
        EXPECT_EQ(c->read_line(5s), kUnavailable);  // after the timeout
    ASSERT_TRUE(redis.resume());
    EXPECT_TRUE(a.ask_until(R"({"type":"DISCOVER","namespace":"UnB"})",
                            R"({"status":"OK","peers":[]})", 8s));
}

TEST(RendezvousRedisOptions, VersionSaysWhetherRedisIsInAndBadUrlsAreRefused) {
    Process version;
    ASSERT_TRUE(version.start(P2PCHAT_BIN, {"rendezvous", "--version"}));
    EXPECT_TRUE(version.wait_for_line(P2P_HAVE_REDIS ? "registry backends: memory \\(--db\\), "
                                                       "redis \\(--registry\\)"
                                                     : "built without Redis",
                                      5s))
        << version.dump();
    Process bad;
    ASSERT_TRUE(bad.start(P2PCHAT_BIN, {"rendezvous", "--registry", "http://127.0.0.1:6379"}));
    auto status = bad.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 78);
    EXPECT_TRUE(bad.has_line(std::regex("--registry"), Stream::kStderr)) << bad.dump();
}

}  // namespace
}  // namespace p2p::test
