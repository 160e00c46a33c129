// The rendezvous client state machine under a ManualClock: every rule of
// docs/protocol.md §3 "Client behaviour" and of the node (docs/node.md).
#include "core/rendezvous_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/hostile_names.h"
#include "tests/unit/rendezvous_client_fixture.h"

namespace p2p {
namespace {

TEST_F(RendezvousClientTest, RegistersFirstWithListenPortAndTtl) {
    RdvRequest req = take();
    EXPECT_EQ(req.kind, RdvRequestKind::kRegister);
    EXPECT_EQ(req.name, "alice");
    EXPECT_EQ(req.ns, "CIC");
    EXPECT_EQ(req.port, 7070);
    EXPECT_EQ(req.ttl_s, 7200);
    client->on_response(req.id, ok_register());
    ASSERT_EQ(listener.r.registered.size(), 1u);
    EXPECT_EQ(listener.r.registered[0], "127.0.0.1:7070 7200");
    EXPECT_TRUE(client->registered());
}

TEST_F(RendezvousClientTest, NeverDiscoversBeforeARegisterSucceeded) {
    for (int attempt = 0; attempt < 6; ++attempt) {
        RdvRequest req = attempt == 0 ? take() : advance_to_next();
        ASSERT_EQ(req.kind, RdvRequestKind::kRegister) << "attempt " << attempt;
        if (attempt % 2)
            client->on_failure(req.id, RdvFailure::kConnect);
        else
            client->on_response(req.id, error("bad_name"));
    }
    EXPECT_FALSE(client->registered());
}

TEST_F(RendezvousClientTest, DiscoversRightAfterRegisterThenEveryInterval) {
    register_ok();
    RdvRequest req = take();
    EXPECT_EQ(req.kind, RdvRequestKind::kDiscover);
    EXPECT_TRUE(req.ns.empty()) << "lists every namespace by default";
    client->on_response(req.id, ok_discover());
    MonoMs t0 = clock.mono_ms();
    for (int i = 1; i <= 4; ++i) {
        clock.advance(14'999);
        EXPECT_FALSE(has_request()) << "too early in round " << i;
        clock.advance(1);
        req = take();
        EXPECT_EQ(req.kind, RdvRequestKind::kDiscover);
        EXPECT_EQ(clock.mono_ms() - t0, 15'000 * i);
        client->on_response(req.id, ok_discover());
    }
    EXPECT_EQ(listener.r.discover_rounds, 5u);
}

TEST_F(RendezvousClientTest, DiscoverOfOwnNamespaceWhenConfigured) {
    auto c = config();
    c.discover_all_namespaces = false;
    make(c);
    register_ok();
    RdvRequest req = take();
    EXPECT_EQ(req.kind, RdvRequestKind::kDiscover);
    EXPECT_EQ(req.ns, "CIC");
}

TEST_F(RendezvousClientTest, ReRegistersAtHalfTheGrantedTtl) {
    register_ok(/*ttl granted by server=*/100);  // clamped below our 7200
    MonoMs t0 = clock.mono_ms();
    discover({});
    int registers = 0;
    while (clock.mono_ms() - t0 < 160'000) {
        RdvRequest req = advance_to_next();
        if (req.kind == RdvRequestKind::kRegister) {
            ++registers;
            EXPECT_EQ((clock.mono_ms() - t0) % 50'000, 0) << "re-REGISTER at ttl/2 multiples";
            client->on_response(req.id, ok_register(100));
        } else {
            client->on_response(req.id, ok_discover());
        }
    }
    EXPECT_EQ(registers, 3);  // at 50, 100, 150 s
    EXPECT_EQ(client->granted_ttl_s(), 100);
}

TEST_F(RendezvousClientTest, NeverMoreThanOneRequestInFlight) {
    RdvRequest first = take();
    client->request_discover();
    clock.advance(60'000);
    EXPECT_FALSE(has_request());
    EXPECT_TRUE(client->in_flight());
    client->on_response(first.id, ok_register());
    EXPECT_TRUE(has_request());
    EXPECT_FALSE(has_request());
}

TEST_F(RendezvousClientTest, BackoffGrowsExponentiallyWithinJitterBounds) {
    for (int n = 1; n <= 14; ++n) {
        MonoMs full = std::min<MonoMs>(1000LL << (n - 1), 300'000);
        for (int sample = 0; sample < 200; ++sample) {
            MonoMs d = client->backoff_delay(n);
            ASSERT_GE(d, full / 2) << "n=" << n;
            ASSERT_LE(d, full) << "n=" << n;
        }
    }
}

TEST_F(RendezvousClientTest, BackoffJitterSpreadsRetries) {
    std::vector<MonoMs> seen;
    for (int i = 0; i < 100; ++i)
        seen.push_back(client->backoff_delay(5));
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    EXPECT_GT(seen.size(), 50u) << "jitter must vary the delay";
    EXPECT_LT(seen.front(), 10'000);  // spans the lower ...
    EXPECT_GT(seen.back(), 14'000);   // ... and upper part of [8 s, 16 s]
}

TEST_F(RendezvousClientTest, FailedRequestsAreRetriedWithGrowingDelays) {
    MonoMs last = clock.mono_ms();
    std::vector<MonoMs> gaps;
    RdvRequest req = take();
    for (int i = 0; i < 10; ++i) {
        client->on_failure(req.id, RdvFailure::kConnect);
        req = advance_to_next();
        EXPECT_EQ(req.kind, RdvRequestKind::kRegister);
        gaps.push_back(clock.mono_ms() - last);
        last = clock.mono_ms();
    }
    ASSERT_EQ(listener.r.retry_in.size(), 10u);
    for (int i = 0; i < 10; ++i) {
        MonoMs full = std::min<MonoMs>(1000LL << i, 300'000);
        EXPECT_EQ(gaps[i], listener.r.retry_in[i]);
        EXPECT_GE(gaps[i], full / 2);
        EXPECT_LE(gaps[i], full);
    }
    EXPECT_EQ(client->consecutive_failures(), 10);
    client->on_response(req.id, ok_register());
    EXPECT_EQ(client->consecutive_failures(), 0);
    EXPECT_EQ(take().kind, RdvRequestKind::kDiscover) << "success clears the backoff";
}

TEST_F(RendezvousClientTest, BlockedServerIsLeftAloneForTheStatedTime) {
    RdvRequest req = take();
    client->on_response(req.id, error("Connection from 127.0.0.1:40000 has been blocked due to "
                                      "excessive login attempts (limit: 50). The block will be "
                                      "lifted in 42 seconds."));
    ASSERT_EQ(listener.r.failures.size(), 1u);
    EXPECT_NE(listener.r.failures[0].find(" blocked"), std::string::npos);
    MonoMs t0 = clock.mono_ms();
    clock.advance(42'000);
    EXPECT_FALSE(has_request());
    client->request_discover();  // the user cannot override a block
    EXPECT_FALSE(has_request());
    MonoMs next = client->next_deadline();
    EXPECT_GE(next - t0, 42'000);
    EXPECT_LE(next - t0, 44'000);
    clock.set(next);
    EXPECT_EQ(take().kind, RdvRequestKind::kRegister);
}

TEST(RendezvousBlockParse, ReadsTheSecondsTheServerStates) {
    EXPECT_EQ(parse_block_seconds("Connection from 1.2.3.4:5 has been blocked due to excessive "
                                  "login attempts (limit: 50). The block will be lifted in 7 "
                                  "seconds."),
              7);
    EXPECT_EQ(parse_block_seconds("The block will be lifted in 60 seconds."), 60);
    EXPECT_EQ(parse_block_seconds("The block will be lifted in 0 seconds."), 0);
    EXPECT_EQ(parse_block_seconds("Connection from x has been blocked"), 60);
    EXPECT_EQ(parse_block_seconds("bad_name"), -1);
    EXPECT_EQ(parse_block_seconds("lifted in soon"), -1);
    EXPECT_EQ(parse_block_seconds(""), -1);
}

TEST_F(RendezvousClientTest, ErrorTextReachesTheListener) {
    RdvRequest req = take();
    client->on_response(req.id, error("bad_port"));
    ASSERT_EQ(listener.r.failures.size(), 1u);
    EXPECT_EQ(listener.r.failures[0], "REGISTER bad_port");
    req = advance_to_next();
    client->on_response(req.id, error(""));
    EXPECT_EQ(listener.r.failures[1], "REGISTER error without a reason");
}

TEST_F(RendezvousClientTest, SkipsItsOwnEntry) {
    register_ok();
    discover({entry("alice", "CIC", "127.0.0.1", 7070), entry("bob", "CIC", "127.0.0.1", 7071),
              entry("alice", "OTHER", "127.0.0.1", 7072)});
    ASSERT_EQ(listener.r.peers.size(), 2u);
    EXPECT_EQ(listener.r.peers[0], "D bob@CIC 127.0.0.1:7071");
    EXPECT_EQ(listener.r.peers[1], "D alice@OTHER 127.0.0.1:7072");
    EXPECT_EQ(listener.r.last_listed, 3u);
    EXPECT_EQ(listener.r.last_usable, 2u);
    EXPECT_EQ(client->tracked_count(), 2u);
}

TEST_F(RendezvousClientTest, SkipsEntriesWithUnusableNames) {
    register_ok();
    std::string long_name(65, 'x');
    std::string max_name(64, 'y');
    discover({entry("a@b", "CIC", "1.1.1.1", 1), entry("c#d", "CIC", "1.1.1.1", 2),
              entry("e*", "CIC", "1.1.1.1", 3), entry("sp ace", "CIC", "1.1.1.1", 4),
              entry("tab\t", "CIC", "1.1.1.1", 5), entry("ctl\x01", "CIC", "1.1.1.1", 6),
              entry("del\x7f", "CIC", "1.1.1.1", 7), entry("", "CIC", "1.1.1.1", 8),
              entry(long_name, "CIC", "1.1.1.1", 9), entry("ok", "C IC", "1.1.1.1", 10),
              entry("ok", "#CIC", "1.1.1.1", 11), entry("nbsp\xc2\xa0", "CIC", "1.1.1.1", 12),
              entry("noport", "CIC", "1.1.1.1", 0), entry("bigport", "CIC", "1.1.1.1", 70000),
              entry("noip", "CIC", "", 13),
              // usable, even if unusual: the server accepted them
              entry("J\xc3\xbcrgen", "CIC", "1.1.1.1", 14), entry(max_name, "CIC", "1.1.1.1", 15),
              entry("a.b-c_d", "x", "::1", 16)});
    EXPECT_EQ(listener.r.last_listed, 18u);
    EXPECT_EQ(listener.r.last_usable, 3u);
    ASSERT_EQ(listener.r.peers.size(), 3u);
    EXPECT_EQ(listener.r.peers[0], "D J\xc3\xbcrgen@CIC 1.1.1.1:14");
    EXPECT_EQ(listener.r.peers[1], "D " + max_name + "@CIC 1.1.1.1:15");
    EXPECT_EQ(listener.r.peers[2], "D a.b-c_d@x ::1:16");
}

// The name rule (core/text.h) on the rendezvous listing: an entry whose name
// or namespace it refuses is skipped, never tracked nor reported.
TEST_F(RendezvousClientTest, SkipsEntriesTheNameRuleRefuses) {
    register_ok();
    std::vector<DiscoveredPeer> entries;
    for (std::string_view bad : test::kHostileNames) {
        entries.push_back(entry(bad, "CIC", "1.1.1.1", 1));
        entries.push_back(entry("bob", bad, "1.1.1.1", 2));
    }
    entries.push_back(entry("bob", "CIC", "1.1.1.1", 3));
    discover(entries);
    EXPECT_EQ(listener.r.last_listed, entries.size());
    EXPECT_EQ(listener.r.last_usable, 1u);
    ASSERT_EQ(listener.r.peers.size(), 1u);
    EXPECT_EQ(listener.r.peers[0], "D bob@CIC 1.1.1.1:3");
}

TEST_F(RendezvousClientTest, ExpiresAPeerMissingLongerThanItsLastExpiresIn) {
    register_ok();
    discover({entry("bob", "CIC", "10.0.0.2", 7000, /*expires_in=*/40),
              entry("carol", "CIC", "10.0.0.3", 7000, /*expires_in=*/7000)});
    MonoMs bob_seen = clock.mono_ms();
    // bob is gone from the answers; carol stays.
    for (int round = 0; round < 3; ++round) {
        RdvRequest req = advance_to_next();
        ASSERT_EQ(req.kind, RdvRequestKind::kDiscover);
        client->on_discover_entry(req.id, entry("carol", "CIC", "10.0.0.3", 7000, 7000 - 15));
        client->on_response(req.id, ok_discover());
    }
    // 45 s after bob was last seen: expired (40 s horizon), carol kept.
    std::vector<std::string> gone;
    for (const auto& e : listener.r.peers)
        if (e[0] == 'X') gone.push_back(e);
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0], "X bob@CIC 10.0.0.2:7000");
    EXPECT_EQ(client->tracked_count(), 1u);
    (void)bob_seen;
}

TEST_F(RendezvousClientTest, ExpiryFiresOnTimeEvenWithoutADiscover) {
    register_ok();
    discover({entry("bob", "CIC", "10.0.0.2", 7000, /*expires_in=*/20)});
    MonoMs seen = clock.mono_ms();
    // The server becomes unreachable: DISCOVERs fail, but bob's registration
    // still lapses on schedule.
    RdvRequest req;
    while (client->tracked_count() > 0) {
        MonoMs d = client->next_deadline();
        ASSERT_NE(d, kNeverMs);
        clock.set(std::max(d, clock.mono_ms()));
        client->tick();
        if (client->next_request(req)) client->on_failure(req.id, RdvFailure::kConnect);
        ASSERT_LT(clock.mono_ms() - seen, 60'000);
    }
    EXPECT_GT(clock.mono_ms() - seen, 20'000);
    EXPECT_LE(clock.mono_ms() - seen, 20'001);
    EXPECT_EQ(listener.r.peers.back(), "X bob@CIC 10.0.0.2:7000");
}

TEST_F(RendezvousClientTest, WithoutExpiresInTheEntryTtlIsTheHorizon) {
    register_ok();
    discover({entry("bob", "CIC", "10.0.0.2", 7000, /*expires_in=*/-1, /*ttl=*/30)});
    clock.advance(30'000);
    client->tick();
    EXPECT_EQ(client->tracked_count(), 1u);
    clock.advance(1);
    client->tick();
    EXPECT_EQ(client->tracked_count(), 0u);
}

TEST_F(RendezvousClientTest, ReportsAddressChangesAndRenewals) {
    register_ok();
    discover({entry("bob", "CIC", "10.0.0.2", 7000, 100)});
    clock.advance(15'000);
    discover({entry("bob", "CIC", "10.0.0.2", 7000, 85)});  // counting down: no event
    clock.advance(15'000);
    discover({entry("bob", "CIC", "10.0.0.9", 7001, 70)});  // moved
    clock.advance(15'000);
    discover({entry("bob", "CIC", "10.0.0.9", 7001, 100)});  // re-registered
    ASSERT_EQ(listener.r.peers.size(), 3u);
    EXPECT_EQ(listener.r.peers[0], "D bob@CIC 10.0.0.2:7000");
    EXPECT_EQ(listener.r.peers[1], "U bob@CIC 10.0.0.9:7001 moved");
    EXPECT_EQ(listener.r.peers[2], "U bob@CIC 10.0.0.9:7001 renewed");
}

TEST_F(RendezvousClientTest, KeepsTheFirstOfDuplicateEntriesInOneAnswer) {
    register_ok();
    discover({entry("bob", "CIC", "10.0.0.2", 7000), entry("bob", "CIC", "10.0.0.3", 7000)});
    ASSERT_EQ(listener.r.peers.size(), 1u);
    clock.advance(15'000);
    discover({entry("bob", "CIC", "10.0.0.2", 7000, 6985), entry("bob", "CIC", "10.0.0.3", 7000)});
    EXPECT_EQ(listener.r.peers.size(), 1u) << "no flapping between the two registrations";
}

TEST_F(RendezvousClientTest, TrackedPeersAreBoundedByTheTable) {
    auto c = config();
    c.max_tracked_peers = 2;
    make(c);
    register_ok();
    discover({entry("b", "CIC", "1.1.1.1", 1), entry("c", "CIC", "1.1.1.1", 2),
              entry("d", "CIC", "1.1.1.1", 3)});
    EXPECT_EQ(client->tracked_count(), 2u);
    EXPECT_EQ(listener.r.peers.size(), 2u);
    EXPECT_EQ(listener.r.last_tracked, 2u);
}

TEST_F(RendezvousClientTest, LostRegistrationIsRenewedBeforeDiscovering) {
    register_ok();
    RdvRequest req = take();
    ASSERT_EQ(req.kind, RdvRequestKind::kDiscover);
    client->on_response(req.id, error("peer_not_registered"));
    EXPECT_FALSE(client->registered());
    req = advance_to_next();
    EXPECT_EQ(req.kind, RdvRequestKind::kRegister);
    client->on_response(req.id, ok_register());
    EXPECT_EQ(take().kind, RdvRequestKind::kDiscover);
}

TEST_F(RendezvousClientTest, OnDemandDiscoverSkipsTheBackoff) {
    register_ok();
    RdvRequest req = take();
    client->on_failure(req.id, RdvFailure::kTimeout);
    EXPECT_FALSE(has_request());
    client->request_discover();
    EXPECT_TRUE(has_request());
    EXPECT_EQ(pending.kind, RdvRequestKind::kDiscover);
}

TEST_F(RendezvousClientTest, StaysWithinTheRequestBudgetWhatever /*the user does*/) {
    auto c = config();
    c.discovery_interval_ms = 1'000;
    c.max_requests_per_minute = 20;
    make(c);
    std::vector<MonoMs> sent;
    MonoMs end = clock.mono_ms() + 300'000;
    while (clock.mono_ms() < end) {
        client->request_discover();  // a user hammering /reconnect
        RdvRequest req;
        if (client->next_request(req)) {
            sent.push_back(clock.mono_ms());
            if (req.kind == RdvRequestKind::kRegister)
                client->on_response(req.id, ok_register(2));  // and a tiny ttl
            else
                client->on_response(req.id, ok_discover());
        }
        clock.advance(100);
    }
    ASSERT_GT(sent.size(), 60u);
    for (std::size_t i = 20; i < sent.size(); ++i)
        ASSERT_GE(sent[i] - sent[i - 20], 60'000) << "more than 20 requests in a minute";
}

TEST_F(RendezvousClientTest, ShutdownUnregisters) {
    register_ok();
    client->shutdown();
    RdvRequest req = take();
    EXPECT_EQ(req.kind, RdvRequestKind::kUnregister);
    EXPECT_EQ(req.name, "alice");
    EXPECT_EQ(req.ns, "CIC");
    EXPECT_EQ(req.port, 7070);
    EXPECT_FALSE(client->done());
    RendezvousResponse ok;
    ok.ok = true;
    client->on_response(req.id, ok);
    EXPECT_TRUE(client->done());
    ASSERT_EQ(listener.r.unregistered.size(), 1u);
    EXPECT_EQ(listener.r.unregistered[0], "ok");
    EXPECT_FALSE(has_request());
}

TEST_F(RendezvousClientTest, ShutdownAbandonsTheRequestInFlight) {
    register_ok();
    RdvRequest discover_req = take();
    client->shutdown();
    RdvRequest req = take();
    EXPECT_EQ(req.kind, RdvRequestKind::kUnregister);
    client->on_discover_entry(discover_req.id, entry("bob", "CIC", "1.1.1.1", 1));
    client->on_response(discover_req.id, ok_discover());  // stale: ignored
    EXPECT_TRUE(listener.r.peers.empty());
    EXPECT_FALSE(client->done());
    client->on_failure(req.id, RdvFailure::kConnect);
    EXPECT_TRUE(client->done());
    EXPECT_EQ(listener.r.unregistered[0], "fail unreachable");
}

TEST_F(RendezvousClientTest, ShutdownBeforeAnyRegisterHasNothingToUndo) {
    auto c = config();
    make(c);
    client->shutdown();
    EXPECT_TRUE(client->done());
    EXPECT_FALSE(has_request());
}

TEST_F(RendezvousClientTest, ShutdownWhileBlockedDoesNotKnock) {
    RdvRequest req = take();
    client->on_response(req.id, error("The block will be lifted in 30 seconds."));
    client->shutdown();
    EXPECT_FALSE(has_request());
    EXPECT_TRUE(client->done());
}

TEST_F(RendezvousClientTest, StaleOutcomesAreIgnored) {
    RdvRequest req = take();
    client->on_response(req.id + 7, ok_register());
    client->on_failure(req.id + 7, RdvFailure::kConnect);
    EXPECT_TRUE(client->in_flight());
    EXPECT_FALSE(client->registered());
    client->on_response(req.id, ok_register());
    EXPECT_TRUE(client->registered());
    client->on_response(req.id, error("bad_name"));  // a second answer to the same id
    EXPECT_TRUE(listener.r.failures.empty());
}

TEST_F(RendezvousClientTest, TooLongGlobalListingFallsBackToOwnNamespace) {
    register_ok();
    RdvRequest req = take();
    EXPECT_TRUE(req.ns.empty());
    client->on_failure(req.id, RdvFailure::kTooLong);
    req = advance_to_next();
    EXPECT_EQ(req.kind, RdvRequestKind::kDiscover);
    EXPECT_EQ(req.ns, "CIC");
}

TEST_F(RendezvousClientTest, DeadlineIsNeverWhenIdleAndNothingTracked) {
    auto c = config();
    client = std::make_unique<RendezvousClient>(c, clock, rng, listener);
    EXPECT_EQ(client->next_deadline(), kNeverMs) << "not started";
    client->start();
    EXPECT_EQ(client->next_deadline(), clock.mono_ms());
    RdvRequest req = take();
    EXPECT_EQ(client->next_deadline(), kNeverMs) << "waiting for the answer";
    client->on_response(req.id, ok_register());
    EXPECT_EQ(client->next_deadline(), clock.mono_ms()) << "DISCOVER due";
}

}  // namespace
}  // namespace p2p
