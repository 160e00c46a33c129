// The rendezvous client against hostile or broken servers (issue 9.5, 9.9):
// poisoned DISCOVER entries cost only themselves, and numbers from an answer
// never make the schedule or the expiry overflow. Answers go through the
// real codec (RendezvousClient::on_response_line) under a ManualClock.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/rendezvous_client.h"
#include "core/text.h"
#include "tests/unit/rendezvous_listener.h"

namespace p2p {
namespace {

class Recorder final : public RendezvousClientListener {
  public:
    std::vector<std::string> discovered, expired, observed;
    std::vector<MonoMs> retry_in;
    void on_registered(std::string_view ip, std::int64_t, std::int64_t) override {
        observed.emplace_back(ip);
    }
    void on_discovered(std::size_t, std::size_t, std::size_t) override {}
    void on_peer(const PeerAdvert& a) override {
        if (a.change == AdvertChange::kDiscovered) discovered.emplace_back(a.peer_id);
        if (a.change == AdvertChange::kExpired) expired.emplace_back(a.peer_id);
    }
    void on_request_failed(RdvRequestKind, std::string_view, bool, MonoMs retry) override {
        retry_in.push_back(retry);
    }
    void on_unregistered(bool, std::string_view) override {}
};

class RendezvousHostile : public ::testing::Test {
  protected:
    void SetUp() override { client = start_alice_client(clock, rng, rec); }
    // The next request, moving the clock to its deadline; kinds counted.
    RdvRequest next() {
        RdvRequest req;
        for (int guard = 0; guard < 100; ++guard) {
            if (client->next_request(req)) {
                ++sent[static_cast<int>(req.kind)];
                return req;
            }
            MonoMs d = client->next_deadline();
            EXPECT_NE(d, kNeverMs);
            EXPECT_GT(d, clock.mono_ms() - 1);
            clock.set(std::max(d, clock.mono_ms()));
            client->tick();
        }
        ADD_FAILURE() << "no request became due";
        return req;
    }
    void answer(const RdvRequest& req, std::string line) {
        buffer.assign(line.begin(), line.end());
        buffer.push_back('\0');
        client->on_response_line(req.id, buffer.data(), line.size(), arena);
    }
    int count(RdvRequestKind k) const { return sent[static_cast<int>(k)]; }

    ManualClock clock;
    Rng rng{11};
    Recorder rec;
    JsonArena arena;
    std::vector<char> buffer;
    std::unique_ptr<RendezvousClient> client;
    int sent[3] = {};
};

std::string entry(std::string_view name, int port, std::string_view extra = "") {
    return R"({"ip":"127.0.0.1","port":)" + std::to_string(port) + R"(,"name":")" +
           std::string(name) + R"(","namespace":"CIC")" + std::string(extra) + "}";
}

TEST_F(RendezvousHostile, PoisonedEntriesAreSkippedAndTheRestKept) {
    answer(next(), R"({"status":"OK","ttl":7200})");
    // Raw surrogate bytes (an older p2pchat server wrote the stored name as
    // is), an escaped lone surrogate, a C1 control and a bidi override.
    answer(next(), R"({"status":"OK","peers":[)" + entry("bob", 7001) + "," +
                       entry("raw\xed\xb0\x80", 7002) + "," + entry(R"(esc\udc00)", 7003) + "," +
                       entry("c1\xc2\x9b", 7004) + "," + entry(R"(rtl\u202e)", 7005) + "," +
                       entry("carol", 7006) + "]}");
    EXPECT_EQ(rec.discovered, (std::vector<std::string>{"bob@CIC", "carol@CIC"}));
}

TEST_F(RendezvousHostile, PoisonedEntriesInALongAnswerToo) {
    answer(next(), R"({"status":"OK","ttl":7200})");
    std::string line = R"({"status":"OK","peers":[)" + entry("raw\xed\xb0\x80", 7002);
    for (int i = 0; i < 400; ++i)
        line += "," + entry("p" + std::to_string(i), 8000 + i,
                            R"(,"pad":")" + std::string(60, 'x') + "\"");
    line += "]}";
    ASSERT_GT(line.size(), kMaxLineBytes);
    answer(next(), line);
    EXPECT_EQ(rec.discovered.size(), 64u) << "the table's size; the bad entry cost nothing";
    EXPECT_EQ(rec.discovered[0], "p0@CIC");
}

TEST_F(RendezvousHostile, ObservedAddressThatIsNotUsableIsDropped) {
    answer(next(), "{\"status\":\"OK\",\"ttl\":60,\"ip\":\"1.2.3.4\xc2\x9b\",\"port\":9}");
    ASSERT_EQ(rec.observed.size(), 1u);
    EXPECT_EQ(rec.observed[0], "");
}

TEST_F(RendezvousHostile, ErrorTextThatIsNotUtf8IsRepaired) {
    answer(next(), "{\"status\":\"ERROR\",\"message\":\"bad\xff\\udc00\"}");
    ASSERT_EQ(rec.retry_in.size(), 1u);
}

// ttl = INT64_MAX made the node re-REGISTER 20 times in 4 s and never
// DISCOVER: granted_ttl * 1000 overflowed.
TEST_F(RendezvousHostile, HugeNegativeOrTinyTtlKeepsASaneSchedule) {
    for (std::string ttl : {"9223372036854775807", "1e300", "-9223372036854775808", "0", "1",
                            "18446744073709551615", "\"99999999999999999999\""}) {
        SetUp();
        sent[0] = sent[1] = sent[2] = 0;
        MonoMs start = clock.mono_ms();
        while (clock.mono_ms() - start < 60'000) {
            RdvRequest req = next();
            if (req.kind == RdvRequestKind::kRegister)
                answer(req, R"({"status":"OK","ttl":)" + ttl + "}");
            else
                answer(req, R"({"status":"OK","peers":[]})");
        }
        EXPECT_LE(count(RdvRequestKind::kRegister), 7) << ttl;
        EXPECT_GE(count(RdvRequestKind::kDiscover), 3) << ttl;
        EXPECT_LE(client->granted_ttl_s(), kMaxRendezvousTtlSeconds) << ttl;
        EXPECT_GE(client->granted_ttl_s(), 1) << ttl;
    }
}

// expires_in = 1e16 made a peer expire at once (horizon * 1000 overflowed).
TEST_F(RendezvousHostile, HugeExpiresInIsClampedNotOverflowed) {
    answer(next(), R"({"status":"OK","ttl":7200})");
    answer(next(), R"({"status":"OK","peers":[)" + entry("bob", 7001, R"(,"expires_in":1e16)") +
                       "," + entry("carol", 7002, R"(,"expires_in":9223372036854775807)") + "," +
                       entry("dave", 7003, R"(,"expires_in":-1e18,"ttl":1e18)") + "]}");
    ASSERT_EQ(rec.discovered.size(), 3u);
    clock.advance(3'600'000);
    client->tick();
    EXPECT_TRUE(rec.expired.empty()) << "still within the clamped horizon";
    clock.advance(kMaxRendezvousTtlSeconds * 1000);
    client->tick();
    EXPECT_EQ(rec.expired.size(), 3u) << "but not kept for ever either";
    EXPECT_GT(client->next_deadline(), 0);
}

TEST_F(RendezvousHostile, AStatedBlockIsBounded) {
    answer(
        next(),
        R"({"status":"ERROR","message":"Connection from 1.2.3.4:5 has been blocked due to )"
        R"(excessive login attempts (limit: 50). The block will be lifted in 999999999 seconds."})");
    ASSERT_EQ(rec.retry_in.size(), 1u);
    EXPECT_LE(rec.retry_in[0], 601'000);
    EXPECT_EQ(parse_block_seconds("... lifted in 99999999999 seconds."), 600);
}

}  // namespace
}  // namespace p2p

namespace p2p {
namespace {

TEST_F(RendezvousHostile, AnEntryAboutToExpireDoesNotFlapBetweenRounds) {
    answer(next(), R"({"status":"OK","ttl":7200})");
    answer(next(), R"({"status":"OK","peers":[)" + entry("bob", 7001, R"(,"expires_in":0)") + "]}");
    ASSERT_EQ(rec.discovered.size(), 1u);
    clock.advance(client->config().discovery_interval_ms);
    client->tick();
    EXPECT_TRUE(rec.expired.empty()) << "kept until the next round could list it again";
    clock.advance(5'000);
    client->tick();
    EXPECT_EQ(rec.expired.size(), 1u) << "but expired when no round did";
}

}  // namespace
}  // namespace p2p
