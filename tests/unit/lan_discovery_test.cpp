// LAN discovery's rules (core/lan_discovery.h) in simulated time: when it
// announces, what a heard announcement becomes, and the bounds on what a
// hostile LAN can make it do.
#include "core/lan_discovery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/log.h"
#include "tests/support/alloc_counter.h"

namespace p2p {
namespace {

struct Heard {
    AdvertChange change;
    std::string peer_id, ip;
    std::uint16_t port;
    bool address_changed, reregistered;
};

class Recorder final : public LanDiscoveryListener {
  public:
    void on_lan_peer(const PeerAdvert& a) override {
        ++count;
        if (record)
            adverts.push_back({a.change, std::string(a.peer_id), std::string(a.ip), a.port,
                               a.address_changed, a.reregistered});
    }
    std::vector<Heard> adverts;
    bool record = true;  // false: count only (the allocation test)
    int count = 0;
};

std::string announce(const std::string& name, std::uint16_t port,
                     const std::string& instance = "00000000000000aa",
                     const std::string& ns = "CIC") {
    return R"({"type":"LAN_ANNOUNCE","v":1,"name":")" + name + R"(","namespace":")" + ns +
           R"(","port":)" + std::to_string(port) + R"(,"instance":")" + instance + "\"}";
}

class LanDiscoveryTest : public ::testing::Test {
  protected:
    LanDiscovery::Config config(std::size_t max_peers = 8) {
        LanDiscovery::Config c;
        c.name = "me";
        c.ns = "CIC";
        c.listen_port = 5000;
        c.instance = 0x1234;
        c.max_peers = max_peers;
        return c;
    }
    void make(LanDiscovery::Config c) {
        lan_ = std::make_unique<LanDiscovery>(std::move(c), clock_, rng_, rec_);
        lan_->start();
    }
    void hear(const std::string& from, const std::string& text) {
        buf_ = text;
        buf_.push_back('\0');
        lan_->on_datagram(from, buf_.data(), text.size());
    }
    // Announcements sent while time moves on by `ms`, in steps of 100 ms.
    int sent_during(MonoMs ms) {
        int n = 0;
        std::string_view d;
        for (MonoMs t = 0; t <= ms; t += 100) {
            while (lan_->next_announcement(d))
                ++n;
            lan_->tick();
            if (t < ms) clock_.advance(100);
        }
        return n;
    }

    ManualClock clock_;
    Rng rng_{7};
    Recorder rec_;
    std::unique_ptr<LanDiscovery> lan_;
    std::string buf_;
};

TEST_F(LanDiscoveryTest, AnnouncesAtStartTwiceMoreSoonThenEveryInterval) {
    make(config());
    std::string_view d;
    ASSERT_TRUE(lan_->next_announcement(d));
    EXPECT_EQ(d, R"({"type":"LAN_ANNOUNCE","v":1,"name":"me","namespace":"CIC","port":5000,)"
                 R"("instance":"0000000000001234"})");
    EXPECT_FALSE(lan_->next_announcement(d));
    EXPECT_EQ(lan_->next_deadline(), clock_.mono_ms() + 1000);
    EXPECT_EQ(sent_during(3000), 2);   // at 1 s and 3 s
    EXPECT_EQ(sent_during(26000), 0);  // the interval is 30 s, minus at most 10 %
    EXPECT_EQ(sent_during(7000), 1);   // ... plus at most 10 %
    int later = sent_during(300000);   // 27..33 s apart
    EXPECT_GE(later, 9);
    EXPECT_LE(later, 11);
}

TEST_F(LanDiscoveryTest, AHeardPeerIsAnAdvertAndHearsUsSoon) {
    make(config());
    std::string_view d;
    ASSERT_TRUE(lan_->next_announcement(d));
    clock_.advance(500);
    hear("10.0.0.2", announce("bob", 6000));
    ASSERT_EQ(rec_.adverts.size(), 1u);
    EXPECT_EQ(rec_.adverts[0].change, AdvertChange::kDiscovered);
    EXPECT_EQ(rec_.adverts[0].peer_id, "bob@CIC");
    EXPECT_EQ(rec_.adverts[0].ip, "10.0.0.2");
    EXPECT_EQ(rec_.adverts[0].port, 6000);
    // Our answer waits for the reply gap (2 s after the last one), not the interval.
    EXPECT_EQ(lan_->next_deadline(), clock_.mono_ms() + 500);

    // Heard again, unchanged: nothing new for the engine.
    clock_.advance(10000);
    hear("10.0.0.2", announce("bob", 6000));
    EXPECT_EQ(rec_.adverts.size(), 1u);
    EXPECT_EQ(lan_->tracked(), 1u);
}

TEST_F(LanDiscoveryTest, SilentPeersExpireAfterThreeIntervals) {
    make(config());
    hear("10.0.0.2", announce("bob", 6000));
    clock_.advance(60000);
    hear("10.0.0.2", announce("bob", 6000));  // refreshed at 60 s
    clock_.advance(89000);
    lan_->tick();
    EXPECT_EQ(rec_.adverts.size(), 1u);
    clock_.advance(1000);
    EXPECT_LE(lan_->next_deadline(), clock_.mono_ms());
    lan_->tick();
    ASSERT_EQ(rec_.adverts.size(), 2u);
    EXPECT_EQ(rec_.adverts[1].change, AdvertChange::kExpired);
    EXPECT_EQ(lan_->tracked(), 0u);
}

TEST_F(LanDiscoveryTest, OurOwnDatagramsAndOurNameAreIgnored) {
    make(config());
    std::string_view d;
    ASSERT_TRUE(lan_->next_announcement(d));
    hear("10.0.0.1", std::string(d));
    EXPECT_EQ(lan_->counters().own, 1u);
    hear("10.0.0.9", announce("me", 7000, "00000000000000ff"));
    EXPECT_EQ(lan_->counters().conflict, 1u);
    EXPECT_TRUE(rec_.adverts.empty());
}

TEST_F(LanDiscoveryTest, Ipv4IsPreferredAndAnAddressMovesOnlyForAReason) {
    make(config());
    hear("fe80::2%eth0", announce("bob", 6000));
    hear("10.0.0.2", announce("bob", 6000));
    ASSERT_EQ(rec_.adverts.size(), 2u);
    EXPECT_EQ(rec_.adverts[1].change, AdvertChange::kUpdated);
    EXPECT_EQ(rec_.adverts[1].ip, "10.0.0.2");
    EXPECT_TRUE(rec_.adverts[1].address_changed);
    // Both keep arriving: no flipping back to IPv6.
    for (int i = 0; i < 5; ++i) {
        clock_.advance(5000);
        hear("fe80::2%eth0", announce("bob", 6000));
        hear("10.0.0.2", announce("bob", 6000));
    }
    EXPECT_EQ(rec_.adverts.size(), 2u);
    // Someone else claiming bob from another address while bob is heard: ignored.
    hear("10.0.0.66", announce("bob", 6000));
    EXPECT_EQ(rec_.adverts.size(), 2u);
    // IPv4 silent for an interval: IPv6 is what is left.
    clock_.advance(34000);
    hear("fe80::2%eth0", announce("bob", 6000));
    ASSERT_EQ(rec_.adverts.size(), 3u);
    EXPECT_EQ(rec_.adverts[2].ip, "fe80::2%eth0");
}

TEST_F(LanDiscoveryTest, ARestartedPeerIsDialedAgainAndAnsweredSoon) {
    make(config());
    std::string_view d;
    ASSERT_TRUE(lan_->next_announcement(d));
    ASSERT_EQ(sent_during(40000), 3);
    hear("10.0.0.2", announce("bob", 6000, "00000000000000aa"));
    ASSERT_EQ(sent_during(2000), 1);  // the answer to a new peer
    hear("10.0.0.3", announce("bob", 6001, "00000000000000bb"));
    ASSERT_EQ(rec_.adverts.size(), 2u);
    EXPECT_EQ(rec_.adverts[1].change, AdvertChange::kUpdated);
    EXPECT_TRUE(rec_.adverts[1].reregistered);
    EXPECT_EQ(rec_.adverts[1].ip, "10.0.0.3");
    EXPECT_EQ(rec_.adverts[1].port, 6001);
    EXPECT_EQ(sent_during(2000), 1);  // and an answer to the restarted one
}

TEST_F(LanDiscoveryTest, OneAddressCannotFillThePeerTable) {
    make(config(16));
    for (int i = 0; i < 10; ++i)
        hear("10.0.0.66", announce("fake" + std::to_string(i), 6000));
    EXPECT_EQ(lan_->tracked(), 4u);  // max_new_peers_per_source per interval
    EXPECT_EQ(lan_->counters().source_cap + lan_->counters().rate, 6u);
    // Others are still heard.
    hear("10.0.0.2", announce("bob", 6000));
    EXPECT_EQ(lan_->tracked(), 5u);
}

TEST_F(LanDiscoveryTest, AFullTableDropsNewcomersNotKnownPeers) {
    make(config(2));
    hear("10.0.0.2", announce("a", 6000));
    hear("10.0.0.3", announce("b", 6000));
    hear("10.0.0.4", announce("c", 6000));
    EXPECT_EQ(lan_->tracked(), 2u);
    EXPECT_EQ(lan_->counters().table_full, 1u);
    EXPECT_EQ(rec_.adverts.size(), 2u);
}

TEST_F(LanDiscoveryTest, FloodsAreCutPerSourceAndInAll) {
    make(config());
    for (int i = 0; i < 20; ++i)
        hear("10.0.0.2", announce("bob", 6000));
    EXPECT_EQ(lan_->counters().rate, 12u);  // 8 a second from one source
    for (int i = 0; i < 100; ++i)
        hear("10.0.1." + std::to_string(i), "x");
    // 64 a second from all: 20 counted already, so 44 more pass.
    EXPECT_EQ(lan_->counters().rate, 12u + 56u);
    clock_.advance(1000);
    hear("10.0.0.2", announce("bob", 6000));
    EXPECT_EQ(lan_->counters().rate, 68u);  // a new second
}

TEST_F(LanDiscoveryTest, HostileDatagramsAreCountedByReasonAndChangeNothing) {
    make(config());
    const std::string big(kLanMaxDatagramBytes + 1, '{');
    hear("10.0.0.2", big);
    hear("10.0.0.3", "{\"type\":");
    hear("10.0.0.4", R"({"type":"HELLO"})");
    hear("10.0.0.5", announce("bad name", 6000));
    hear("10.0.0.6", R"({"type":"LAN_ANNOUNCE","v":1,"name":"x","namespace":"y","port":"1"})");
    hear("", announce("bob", 6000));
    hear("10.0.0.7 evil", announce("bob", 6000));
    const auto& c = lan_->counters();
    EXPECT_EQ(c.by_reason[static_cast<int>(LanDecode::kOversized)], 1u);
    EXPECT_EQ(c.by_reason[static_cast<int>(LanDecode::kNotJson)], 1u);
    EXPECT_EQ(c.by_reason[static_cast<int>(LanDecode::kNotAnnounce)], 1u);
    EXPECT_EQ(c.by_reason[static_cast<int>(LanDecode::kBadName)], 1u);
    EXPECT_EQ(c.by_reason[static_cast<int>(LanDecode::kBadField)], 1u);
    EXPECT_EQ(c.bad_source, 2u);
    EXPECT_EQ(c.dropped(), 7u);
    EXPECT_TRUE(rec_.adverts.empty());
    EXPECT_EQ(lan_->tracked(), 0u);
}

TEST_F(LanDiscoveryTest, HandlingDatagramsAllocatesNothing) {
    make(config(64));
    LogLevel was = logger().level();
    logger().set_level(LogLevel::kOff);
    std::vector<std::string> texts;
    for (int i = 0; i < 50; ++i)
        texts.push_back(announce("peer" + std::to_string(i), 6000));
    texts.push_back("{\"a\":" + std::string(400, '['));
    std::vector<std::string> sources;
    for (int i = 0; i < 50; ++i)
        sources.push_back("10.0.2." + std::to_string(i));
    std::string scratch;
    scratch.reserve(kLanMaxDatagramBytes + 1);
    rec_.record = false;
    long before = test::allocations();
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
            scratch.assign(texts[i]);
            lan_->on_datagram(sources[i % sources.size()], scratch.data(), texts[i].size());
        }
        clock_.advance(40000);
        lan_->tick();
    }
    clock_.advance(100000);
    lan_->tick();
    long used = test::allocations() - before;
    logger().set_level(was);
    EXPECT_EQ(used, 0);
    EXPECT_EQ(rec_.count, 100);  // 50 discovered, 50 expired
    EXPECT_LE(lan_->tracked(), 64u);
}

}  // namespace
}  // namespace p2p
