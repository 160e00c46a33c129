// The rendezvous client under a ManualClock, driven by hand: the answers and
// the fixture shared by the client's state-machine tests.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/rendezvous_client.h"
#include "tests/unit/rendezvous_listener.h"

namespace p2p {

inline RendezvousResponse ok_register(std::int64_t ttl = 7200) {
    RendezvousResponse r;
    r.ok = true;
    r.ttl = ttl;
    r.observed_ip = "127.0.0.1";
    r.observed_port = 7070;
    return r;
}

inline RendezvousResponse ok_discover() {
    RendezvousResponse r;
    r.ok = true;
    r.has_peers = true;
    return r;
}

inline RendezvousResponse error(std::string_view text) {
    RendezvousResponse r;
    r.ok = false;
    r.error = text;
    return r;
}

inline DiscoveredPeer entry(std::string_view name, std::string_view ns, std::string_view ip,
                            std::int64_t port, std::int64_t expires_in = 7000,
                            std::int64_t ttl = 7200) {
    DiscoveredPeer p;
    p.name = name;
    p.ns = ns;
    p.ip = ip;
    p.port = port;
    p.expires_in = expires_in;
    p.ttl = ttl;
    return p;
}

class RendezvousClientTest : public ::testing::Test {
  protected:
    RendezvousClient::Config config() {
        RendezvousClient::Config c;
        c.name = "alice";
        c.ns = "CIC";
        c.listen_port = 7070;
        c.ttl_s = 7200;
        c.discovery_interval_ms = 15'000;
        return c;
    }
    void make(RendezvousClient::Config c) {
        client = std::make_unique<RendezvousClient>(std::move(c), clock, rng, listener);
        client->start();
    }
    void SetUp() override { make(config()); }

    // The request due now; fails the test if none.
    RdvRequest take() {
        RdvRequest req;
        EXPECT_TRUE(client->next_request(req)) << "expected a request at t=" << clock.mono_ms();
        return req;
    }
    bool has_request() {
        RdvRequest req;
        bool got = client->next_request(req);
        if (got) pending = req;
        return got;
    }
    // Moves the clock from deadline to deadline (expiries fire on the way)
    // until a request is due, and returns it.
    RdvRequest advance_to_next() {
        RdvRequest req;
        for (int guard = 0; guard < 1000; ++guard) {
            MonoMs d = client->next_deadline();
            EXPECT_NE(d, kNeverMs);
            if (d == kNeverMs) break;
            if (d > clock.mono_ms()) clock.set(d);
            client->tick();
            if (client->next_request(req)) return req;
        }
        ADD_FAILURE() << "no request became due";
        return req;
    }
    // A fresh client that tracks at most `slots` peers, registered.
    void registered_with_slots(std::size_t slots) {
        auto c = config();
        c.max_tracked_peers = slots;
        make(c);
        register_ok();
    }
    void register_ok(std::int64_t ttl = 7200) {
        RdvRequest req = take();
        ASSERT_EQ(req.kind, RdvRequestKind::kRegister);
        client->on_response(req.id, ok_register(ttl));
    }
    void discover(const std::vector<DiscoveredPeer>& entries) {
        RdvRequest req = take();
        ASSERT_EQ(req.kind, RdvRequestKind::kDiscover);
        for (const DiscoveredPeer& e : entries)
            client->on_discover_entry(req.id, e);
        client->on_response(req.id, ok_discover());
    }

    ManualClock clock;
    Rng rng{42};
    Listener listener;
    std::unique_ptr<RendezvousClient> client;
    RdvRequest pending;
};

}  // namespace p2p
