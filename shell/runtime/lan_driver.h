// LAN discovery on the reactor: the rules (core/lan_discovery.h) with the
// sockets (platform/lan_socket.h) and a timer. Every announcement the rules
// want goes out on every interface; every datagram received goes to the
// rules, and the adverts they make go straight to the engine, exactly as a
// rendezvous DISCOVER entry does (NodeRuntime::on_peer).
#pragma once
#include <string>

#include "core/lan_discovery.h"
#include "core/node.h"
#include "core/rng.h"
#include "platform/event_loop.h"
#include "platform/lan_socket.h"

namespace p2p::shell {

class LanDriver final : public LanDiscoveryListener, public platform::TimerHandler {
  public:
    LanDriver(platform::EventLoop& loop, LanDiscovery::Config rules,
              platform::LanSocket::Config sockets, Node& node, Rng& rng);
    ~LanDriver();
    LanDriver(const LanDriver&) = delete;
    LanDriver& operator=(const LanDriver&) = delete;

    // Binds the port and announces at once; false with *error when no
    // socket could be bound (the node runs on without LAN discovery).
    bool start(std::string* error);

    const LanDiscovery& discovery() const { return rules_; }

    void on_lan_peer(const PeerAdvert& advert) override;
    void on_timer(std::uint64_t tag) override;

  private:
    void run_due();
    void arm();

    platform::EventLoop& loop_;
    LanDiscovery rules_;
    platform::LanSocket::Config socket_config_;
    platform::LanSocket socket_;
    Node& node_;
    platform::TimerId timer_ = 0;
    MonoMs timer_at_ = LanDiscovery::kNoDeadline;
};

}  // namespace p2p::shell
