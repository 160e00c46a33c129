// The rendezvous client speaks the engine's type (core/peer_advert.h): a
// listener hands each advert to Node::on_peer_advert untouched, and the
// engine dials the advertised address.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/node.h"
#include "core/rendezvous_client.h"

namespace p2p {
namespace {

DiscoveredPeer entry(std::string_view name, std::string_view ip, std::int64_t port) {
    DiscoveredPeer p;
    p.name = name;
    p.ns = "CIC";
    p.ip = ip;
    p.port = port;
    p.expires_in = 7000;
    p.ttl = 7200;
    return p;
}

struct EngineFeed final : RendezvousClientListener, NodeHost {
    std::unique_ptr<Node> node;
    std::vector<std::string> dials;
    void on_registered(std::string_view, std::int64_t, std::int64_t) override {}
    void on_discovered(std::size_t, std::size_t, std::size_t) override {}
    void on_peer(const PeerAdvert& advert) override { node->on_peer_advert(advert); }
    void on_request_failed(RdvRequestKind, std::string_view, bool, MonoMs) override {}
    void on_unregistered(bool, std::string_view) override {}
    bool dial(LinkId, std::string_view host, std::uint16_t port) override {
        dials.push_back(std::string(host) + ":" + std::to_string(port));
        return true;
    }
    void close_link(LinkId) override {}
    void want_write(LinkId) override {}
    void emit(const NodeEvent&) override {}
    void quit_complete() override {}
};

TEST(RendezvousAdverts, FeedTheEngineDirectly) {
    ManualClock clock;
    Rng rng{7};
    EngineFeed feed;
    NodeConfig nc;
    nc.name = "alice";
    nc.ns = "CIC";
    feed.node = std::make_unique<Node>(nc, clock, feed);
    RendezvousClient::Config c;
    c.name = "alice";
    c.ns = "CIC";
    c.listen_port = 7070;
    RendezvousClient client(c, clock, rng, feed);
    client.start();

    RdvRequest req;
    ASSERT_TRUE(client.next_request(req));
    RendezvousResponse registered;
    registered.ok = true;
    registered.ttl = 7200;
    client.on_response(req.id, registered);
    ASSERT_TRUE(client.next_request(req));
    ASSERT_EQ(req.kind, RdvRequestKind::kDiscover);
    client.on_discover_entry(req.id, entry("bob", "10.1.2.3", 7071));
    client.on_discover_entry(req.id, entry("alice", "10.1.2.4", 7070));  // ourselves
    RendezvousResponse listing;
    listing.ok = true;
    listing.has_peers = true;
    client.on_response(req.id, listing);

    EXPECT_EQ(feed.dials, (std::vector<std::string>{"10.1.2.3:7071"}));
    PeerView v;
    ASSERT_TRUE(feed.node->peer_view(0, v));
    EXPECT_EQ(v.peer_id, "bob@CIC");
    EXPECT_EQ(v.state, PeerState::kConnecting);
}

}  // namespace
}  // namespace p2p
