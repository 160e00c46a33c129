// The node on the reactor: the engine (core/node.h) with its sockets
// (peer_links), the rendezvous client (core/rendezvous_client.h) with the
// connections it asks for (rendezvous_link), an optional in-process
// rendezvous server (rendezvous_server) and the engine's timer.
//
// It knows nothing of options or the console: it takes plain settings and
// reports what a user would want to see through NodeRuntimeListener, so a
// program (shell/app) wires it to its console and a test runs two of them on
// one EventLoop.
//
// Life: start() listens, serves the rendezvous if asked, starts the client
// and dials the static peers. shutdown() says BYE on every link, waits for
// the engine to close them, then UNREGISTERs, then tells the listener
// on_stopped() — or after shutdown_deadline_ms, whatever is left.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/failure_streak.h"
#include "core/identity.h"
#include "core/lan_wire.h"
#include "core/node.h"
#include "core/rendezvous_client.h"
#include "core/rng.h"
#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/resolver.h"
#include "platform/sd_notify.h"
#include "shell/runtime/peer_links.h"

namespace p2p::shell {

class RendezvousLink;
class RendezvousDriver;
class RendezvousServer;
class LanDriver;

enum class ServeRendezvous : std::uint8_t {
    kNo,      // use settings.rendezvous
    kIfFree,  // serve at serve_at when that address can be bound, else use the one there
    kYes,     // serve at serve_at; failing to is a start error
};

struct NodeRuntimeSettings {
    NodeConfig engine;  // name, namespace, limits, seed
    platform::SockAddr listen;
    // The one definition of both (the program keeps these defaults).
    static constexpr int kDefaultListenBacklog = 128;
    static constexpr MonoMs kDefaultShutdownDeadlineMs = 8'000;

    int listen_backlog = kDefaultListenBacklog;
    platform::HostPort rendezvous;  // the server the client talks to (unless serving)
    ServeRendezvous serve = ServeRendezvous::kNo;
    platform::SockAddr serve_at;  // numeric: the bind is how "is it free" is asked
    std::string rendezvous_db;    // the in-process server's file; empty: memory only
    // ttl, discovery interval, budget... name, ns and listen_port are filled
    // in from `engine` and the bound port.
    RendezvousClient::Config client;
    std::uint64_t client_seed = 1;  // the client's retry jitter
    std::vector<platform::HostPort> static_peers;
    // After shutdown() (/quit or a signal): the engine waits up to 2 s for the
    // BYE_OKs, then the UNREGISTER takes one request (5 s at worst). Past this
    // it stops anyway.
    MonoMs shutdown_deadline_ms = kDefaultShutdownDeadlineMs;
    // LAN discovery (docs/protocol.md §7): announce ourselves and hear our
    // neighbours over UDP. Off unless the program turns it on (tests that
    // build a runtime send nothing beyond loopback).
    bool lan_discovery = false;
    std::uint16_t lan_port = kLanPort;
    // The service manager's NOTIFY_SOCKET / WATCHDOG_USEC (platform::notify_environment()
    // for the program; tests pass their own; empty: not run by a service manager).
    platform::NotifyEnvironment service;
    // The node's identity key (docs/protocol.md §8); none: no secured links.
    std::optional<IdentityKey> identity;
};

// What the runtime reports. Called from the loop; views are valid only
// during the call. None of these may destroy the runtime.
class NodeRuntimeListener {
  public:
    // An engine event (messages, deliveries, peers, links, /watch lines).
    virtual void on_node_event(const NodeEvent& event) = 0;
    // A line about the node itself ("listening on ...").
    virtual void on_info(std::string_view text) = 0;
    // A rendezvous status line ("registered ...", "discovered 3 peers ...").
    virtual void on_rendezvous(std::string_view text) = 0;
    // Something that did not work and the user should see.
    virtual void on_error(std::string_view text) = 0;
    // shutdown() is over: links closed and UNREGISTER answered (or the
    // deadline passed).
    virtual void on_stopped() = 0;

  protected:
    ~NodeRuntimeListener() = default;
};

class NodeRuntime final : public NodeHost,
                          public RendezvousClientListener,
                          public platform::TimerHandler {
  public:
    NodeRuntime(platform::EventLoop& loop, NodeRuntimeSettings settings,
                NodeRuntimeListener& listener);
    ~NodeRuntime() override;
    NodeRuntime(const NodeRuntime&) = delete;
    NodeRuntime& operator=(const NodeRuntime&) = delete;

    // False with *error ("cannot listen on ...") when it cannot run.
    bool start(std::string* error);
    // /reconnect: redial stale peers and ask the rendezvous for peers now.
    void rediscover();
    // BYE, then UNREGISTER, then on_stopped(). Idempotent.
    void shutdown();
    bool shutting_down() const { return shutting_down_; }
    // The first rendezvous round is over (peers listed, or REGISTER/DISCOVER
    // failed): a peer not known by now will not come from it soon.
    bool first_discovery_over() const { return first_discovery_over_; }

    Node& node() { return *node_; }
    const Node& node() const { return *node_; }
    const RendezvousClient* rendezvous_client() const { return client_.get(); }
    RendezvousClient* rendezvous_client() { return client_.get(); }
    std::uint16_t listen_port() const { return listen_port_; }
    // Where the client sends its requests (the in-process server when serving).
    const platform::HostPort& rendezvous_target() const { return target_; }
    bool serving_rendezvous() const { return server_ != nullptr; }
    std::string self_id() const;
    // The node key, or nullptr when it runs without one.
    const IdentityKey* identity() const {
        return settings_.identity ? &*settings_.identity : nullptr;
    }
    MonoMs now() const { return loop_.now(); }

    // NodeHost: called from inside the engine; never calls back into it.
    bool dial(LinkId link, std::string_view host, std::uint16_t port) override;
    void close_link(LinkId link) override;
    void want_write(LinkId link) override;
    void pause_reading(LinkId link, bool paused) override;
    bool secure_link(LinkId link, bool initiator) override;
    // The identity the peer of `link` proved, or nullptr when the link is not secured.
    const IdentityPublic* link_identity(LinkId link) const { return links_.peer_identity(link); }
    void emit(const NodeEvent& event) override;
    void quit_complete() override;
    // The OS's random bytes (platform/random.h): msg_ids.
    bool random_bytes(std::uint8_t* out, std::size_t n) override;

    // RendezvousClientListener: status lines, and adverts straight to the engine.
    void on_registered(std::string_view ip, std::int64_t port, std::int64_t ttl) override;
    void on_discovered(std::size_t listed, std::size_t usable, std::size_t tracked) override;
    void on_peer(const PeerAdvert& advert) override;
    bool wants(const PeerAdvert& advert) override;
    void on_request_failed(RdvRequestKind kind, std::string_view reason, bool blocked,
                           MonoMs retry_in_ms) override;
    void on_unregistered(bool ok, std::string_view reason) override;

    void on_timer(std::uint64_t tag) override;

  private:
    bool start_listening(std::string* error);
    bool maybe_serve_rendezvous(std::string* error);
    void start_rendezvous();
    void start_lan_discovery();
    void before_sleep();
    void arm_engine_timer();
    void finish();
    // The rendezvous answered after failing: say so, once.
    void rendezvous_recovered();
    void setup_credentials();

    platform::EventLoop& loop_;
    NodeRuntimeSettings settings_;
    NodeRuntimeListener& listener_;
    platform::Resolver resolver_;
    Rng rng_;

    std::unique_ptr<NoiseCredentials> credentials_;
    std::unique_ptr<Node> node_;
    PeerLinks links_;
    platform::TimerId engine_timer_ = 0;
    platform::TimerId flush_timer_ = 0;
    MonoMs engine_timer_at_ = Node::kNoDeadline;
    std::uint16_t listen_port_ = 0;
    // The loop keeps before-sleep hooks for its whole life; ours holds this
    // weakly so a runtime destroyed before its loop is not called.
    std::shared_ptr<NodeRuntime*> self_;

    platform::HostPort target_;
    std::unique_ptr<RendezvousServer> server_;  // when serving in-process
    std::unique_ptr<RendezvousClient> client_;
    std::unique_ptr<RendezvousLink> link_;
    std::unique_ptr<RendezvousDriver> driver_;
    std::unique_ptr<LanDriver> lan_;
    // The rendezvous' failures in a row, said once per change of cause.
    FailureStreak rendezvous_failures_;
    bool reported_discovery_ = false;
    bool first_discovery_over_ = false;
    std::size_t last_usable_ = 0;

    bool shutting_down_ = false;
    bool links_closed_ = false;
    bool stopped_ = false;
    platform::TimerId shutdown_timer_ = 0;
    // systemd's Type=notify and WatchdogSec= (a no-op when not run by it): READY=1 once
    // the first registration has an answer, WATCHDOG=1 from the loop, STOPPING=1.
    platform::ServiceNotifier notifier_;
    platform::WatchdogPinger watchdog_;
    bool ready_sent_ = false;
    void service_status(const std::string& text);
};

}  // namespace p2p::shell
