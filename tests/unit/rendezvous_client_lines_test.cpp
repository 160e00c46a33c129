// The rendezvous client fed through the shared codec, with the answer lines real
// servers (the current reference, older versions) send (docs/protocol.md §3).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/rendezvous_client.h"
#include "tests/unit/rendezvous_listener.h"

namespace p2p {
namespace {

// The same rules fed through the shared codec, with the lines real servers
// (the current reference, older versions) send.
class RendezvousClientLineTest : public ::testing::Test {
  protected:
    void SetUp() override { client = start_alice_client(clock, rng, listener); }
    std::uint64_t take(RdvRequestKind expected) {
        RdvRequest req;
        EXPECT_TRUE(client->next_request(req));
        EXPECT_EQ(req.kind, expected);
        return req.id;
    }
    void answer(std::uint64_t id, std::string line) {
        buffer.assign(line.begin(), line.end());
        buffer.push_back('\0');
        client->on_response_line(id, buffer.data(), line.size(), arena);
    }

    ManualClock clock;
    Rng rng{7};
    Listener listener;
    JsonArena arena;
    std::vector<char> buffer;
    std::unique_ptr<RendezvousClient> client;
};

TEST_F(RendezvousClientLineTest, NewAndOldRegisterAnswers) {
    answer(take(RdvRequestKind::kRegister),
           R"({"status": "OK", "ttl": 7200, "ip": "203.0.113.7", "port": 7070})");
    ASSERT_EQ(listener.r.registered.size(), 1u);
    EXPECT_EQ(listener.r.registered[0], "203.0.113.7:7070 7200");

    client->shutdown();  // start over against an "older server"
    SetUp();
    answer(
        take(RdvRequestKind::kRegister),
        R"({"status":"OK","ttl":60,"observed_ip":"198.51.100.2","observed_port":45678,"x":[1]})");
    ASSERT_EQ(listener.r.registered.size(), 2u);
    EXPECT_EQ(listener.r.registered[1], "198.51.100.2:45678 60");
}

TEST_F(RendezvousClientLineTest, ErrorsUnderMessageOrError) {
    answer(take(RdvRequestKind::kRegister), R"({"status":"ERROR","message":"bad_name"})");
    clock.advance(2'000);
    answer(take(RdvRequestKind::kRegister), R"({"status":"ERROR","error":"bad_port"})");
    ASSERT_EQ(listener.r.failures.size(), 2u);
    EXPECT_EQ(listener.r.failures[0], "REGISTER bad_name");
    EXPECT_EQ(listener.r.failures[1], "REGISTER bad_port");
}

TEST_F(RendezvousClientLineTest, BlockedAnswerFromTheServer) {
    answer(take(RdvRequestKind::kRegister),
           R"({"status": "ERROR", "message": "Connection from 127.0.0.1:5000 has been blocked )"
           R"(due to excessive login attempts (limit: 50). The block will be lifted in 12 )"
           R"(seconds."})");
    ASSERT_EQ(listener.r.retry_in.size(), 1u);
    EXPECT_GE(listener.r.retry_in[0], 12'000);
    EXPECT_LE(listener.r.retry_in[0], 13'000);
}

TEST_F(RendezvousClientLineTest, DiscoverToleratesMissingAndExtraFields) {
    answer(take(RdvRequestKind::kRegister), R"({"status":"OK"})");
    EXPECT_EQ(client->granted_ttl_s(), 7200) << "no ttl in the answer: ours";
    answer(
        take(RdvRequestKind::kDiscover),
        R"({"status":"OK","peers":[)"
        R"({"ip":"127.0.0.1","port":7070,"name":"alice","namespace":"CIC","ttl":7200,"expires_in":7100},)"
        R"({"ip":"127.0.0.1","port":7071,"name":"bob","namespace":"CIC","observed_ip":"1.2.3.4","observed_port":9},)"
        R"({"ip":"127.0.0.1","port":"7072","name":"carol","namespace":"CIC"},)"
        R"({"ip":"127.0.0.1","name":"noport","namespace":"CIC"},)"
        R"("not an object",)"
        R"({"ip":"10.0.0.5","port":7073,"name":"evil@x","namespace":"CIC"}]})");
    EXPECT_EQ(listener.r.discover_rounds, 1u);
    std::vector<std::string> found;
    for (const auto& p : listener.r.peers)
        found.push_back(p);
    ASSERT_GE(found.size(), 1u);
    EXPECT_EQ(found[0], "D bob@CIC 127.0.0.1:7071");
    for (const auto& p : found) {
        EXPECT_EQ(p.find("alice@CIC"), std::string::npos) << "own entry";
        EXPECT_EQ(p.find("evil"), std::string::npos) << "unusable name";
    }
}

// A busy server's DISCOVER answer is longer than a protocol line; it is
// decoded with the same tolerance as a short one.
TEST_F(RendezvousClientLineTest, LongDiscoverAnswerIsDecodedWithTheSameRules) {
    auto entries = [](int n) {
        std::string peers;
        for (int i = 0; i < n; ++i) {
            if (i) peers += ",";
            peers += R"({"ip":"10.0.)" + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                     R"(","port":)" + std::to_string(7000 + i) + R"(,"name":"peer)" +
                     std::to_string(i) +
                     R"(","namespace":"CIC","ttl":7200,"expires_in":7100,"observed_ip":"x"})";
        }
        // The odd ones a tolerant reader keeps or skips.
        peers += R"(,{"ip":"10.9.9.9","port":"7999","name":"strport","namespace":"CIC"})";
        peers += R"(,{"ip":"10.9.9.8","name":"noport","namespace":"CIC"})";
        peers += R"(,{"ip":"10.9.9.7","port":7998,"name":"bad name","namespace":"CIC"})";
        peers += R"(,{"ip":"127.0.0.1","port":7070,"name":"alice","namespace":"CIC"})";
        return R"({"status":"OK","peers":[)" + peers + "]}";
    };
    auto run = [&](int n, std::string extra) {
        RendezvousClient::Config c;
        c.name = "alice";
        c.ns = "CIC";
        c.listen_port = 7070;
        c.max_tracked_peers = 1000;
        listener = Listener{};
        client = std::make_unique<RendezvousClient>(c, clock, rng, listener);
        client->start();
        answer(take(RdvRequestKind::kRegister), R"({"status":"OK","ttl":7200})");
        std::string line = entries(n);
        line.insert(line.size() - 1, extra);  // inside the top-level object
        answer(take(RdvRequestKind::kDiscover), line);
        return line.size();
    };

    std::size_t short_len = run(5, "");
    ASSERT_LT(short_len, kMaxLineBytes);
    std::vector<std::string> short_events = listener.r.peers;

    std::size_t padded_len = run(5, R"(,"padding":")" + std::string(40'000, 'p') + "\"");
    ASSERT_GT(padded_len, kMaxLineBytes);
    EXPECT_EQ(listener.r.peers, short_events) << "same answer, same events, whatever its length";
    EXPECT_EQ(short_events.size(), 6u);  // 5 + the numeric-string port

    std::size_t big_len = run(600, "");
    ASSERT_GT(big_len, 2 * kMaxLineBytes);
    EXPECT_EQ(listener.r.discover_rounds, 1u);
    EXPECT_EQ(listener.r.last_listed, 603u);  // noport is not even an entry
    EXPECT_EQ(listener.r.last_usable, 601u);
    EXPECT_EQ(client->tracked_count(), 601u);
    EXPECT_EQ(listener.r.peers.front(), "D peer0@CIC 10.0.0.0:7000");
    EXPECT_EQ(listener.r.peers.back(), "D strport@CIC 10.9.9.9:7999");
}

TEST_F(RendezvousClientLineTest, LongAnswerThatIsNotJsonIsAFailure) {
    std::string junk = "{\"status\":\"OK\",\"peers\":[" + std::string(40'000, '[');
    answer(take(RdvRequestKind::kRegister), junk);
    ASSERT_EQ(listener.r.failures.size(), 1u);
    EXPECT_EQ(listener.r.failures[0], "REGISTER answer is not a JSON object");
}

TEST_F(RendezvousClientLineTest, NonJsonAnswerIsAFailure) {
    answer(take(RdvRequestKind::kRegister), "HTTP/1.1 400 Bad Request");
    ASSERT_EQ(listener.r.failures.size(), 1u);
    EXPECT_EQ(listener.r.failures[0], "REGISTER answer is not a JSON object");
    EXPECT_FALSE(client->registered());
}

}  // namespace
}  // namespace p2p
