// A RendezvousClientListener that records what the client reported, as text a test
// can compare: shared by the client's state-machine and answer-line tests.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/rendezvous_client.h"

namespace p2p {

struct Recorded {
    std::vector<std::string> registered;  // "ip:port ttl"
    std::vector<std::string> peers;       // "D alice@CIC 1.2.3.4:7070" / "U ..." / "X ..."
    std::vector<std::string> failures;    // "KIND reason blocked retry_ms"
    std::vector<MonoMs> retry_in;
    std::vector<std::string> unregistered;
    std::size_t discover_rounds = 0;
    std::size_t last_listed = 0, last_usable = 0, last_tracked = 0;
};

class Listener final : public RendezvousClientListener {
  public:
    Recorded r;
    // Peers the node would refuse (Node::wants_advert false), by peer_id.
    std::set<std::string, std::less<>> unwanted;
    bool wants(const PeerAdvert& a) override { return unwanted.find(a.peer_id) == unwanted.end(); }
    void on_registered(std::string_view ip, std::int64_t port, std::int64_t ttl) override {
        r.registered.push_back(std::string(ip) + ":" + std::to_string(port) + " " +
                               std::to_string(ttl));
    }
    void on_discovered(std::size_t listed, std::size_t usable, std::size_t tracked) override {
        ++r.discover_rounds;
        r.last_listed = listed;
        r.last_usable = usable;
        r.last_tracked = tracked;
    }
    void on_peer(const PeerAdvert& e) override {
        const char* tag = e.change == AdvertChange::kDiscovered ? "D"
                          : e.change == AdvertChange::kUpdated  ? "U"
                                                                : "X";
        std::string line = std::string(tag) + " " + std::string(e.peer_id) + " " +
                           std::string(e.ip) + ":" + std::to_string(e.port);
        if (e.address_changed) line += " moved";
        if (e.reregistered) line += " renewed";
        r.peers.push_back(line);
    }
    void on_request_failed(RdvRequestKind kind, std::string_view reason, bool blocked,
                           MonoMs retry_in_ms) override {
        r.failures.push_back(std::string(rdv_request_name(kind)) + " " + std::string(reason) +
                             (blocked ? " blocked" : ""));
        r.retry_in.push_back(retry_in_ms);
    }
    void on_unregistered(bool ok, std::string_view reason) override {
        r.unregistered.push_back(ok ? "ok" : "fail " + std::string(reason));
    }
};

// The client most tests drive: alice@CIC listening on 7070, started (its
// REGISTER is due at once).
inline std::unique_ptr<RendezvousClient> start_alice_client(const Clock& clock, Rng& rng,
                                                            RendezvousClientListener& listener) {
    RendezvousClient::Config c;
    c.name = "alice";
    c.ns = "CIC";
    c.listen_port = 7070;
    auto client = std::make_unique<RendezvousClient>(c, clock, rng, listener);
    client->start();
    return client;
}

}  // namespace p2p
