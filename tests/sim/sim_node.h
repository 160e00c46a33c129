// A p2pchat engine attached to the simulated network (tests/sim/sim_net.h),
// recording every event it emits, with a real rendezvous client on the same
// machine (sim_rendezvous.h) whose adverts go straight to the engine.
#pragma once
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/node.h"
#include "core/rendezvous_client.h"
#include "tests/sim/sim_net.h"
#include "tests/sim/sim_rendezvous.h"

namespace p2p::sim {

struct Ev {
    EventKind kind;
    std::string peer, scope, text, msg_id, reason, line;
    PeerState state = PeerState::kDiscovered;
    bool up = false;
    bool outgoing = false;
    LinkDirection dir = LinkDirection::kOutbound;
    int retry = 0;
    std::int64_t rtt = 0;
    MonoMs at = 0;
};

inline std::string describe(const Ev& e) {
    std::ostringstream o;
    o << "[" << e.at << "] " << event_kind_name(e.kind) << " " << e.peer;
    switch (e.kind) {
        case EventKind::kPeer:
            o << " " << peer_state_name(e.state) << " " << e.reason;
            break;
        case EventKind::kLink:
            o << (e.up ? " up " : " down ") << link_direction_name(e.dir) << " " << e.reason;
            break;
        case EventKind::kMsg:
        case EventKind::kPub:
            o << " " << e.scope << ": " << e.text << " (" << e.msg_id << ")";
            break;
        case EventKind::kWire:
            o << (e.outgoing ? " >> " : " << ") << e.line;
            break;
        default:
            o << " " << e.msg_id << " " << e.reason << " " << e.text;
            break;
    }
    return o.str();
}

class SimNode final : public Participant, public NodeHost, public RendezvousClientListener {
  public:
    SimNode(Net& net, NodeConfig cfg, std::string ip, std::uint16_t port)
        : net_(net), cfg_(std::move(cfg)), ip_(std::move(ip)), port_(port) {
        node_ = std::make_unique<Node>(cfg_, net_.clock, *this);
        h_ = net_.add(this, ip_, port_);
        rendezvous_ = std::make_unique<SimRendezvousDriver>(net_, h_, *this);
    }
    // Comes back after kill() with fresh state (a restarted process); its
    // rendezvous client too, which registers again only when join()ed.
    void restart() {
        rendezvous_->stop();
        node_ = std::make_unique<Node>(cfg_, net_.clock, *this);
        quit_done = false;
        net_.revive(h_, this);
    }

    // Starts the rendezvous client: REGISTER with `ttl_s`, then DISCOVER
    // right after and every discovery interval (the client's default 15 s).
    void join(const SimRendezvousServer& rdv, std::int64_t ttl_s = 7200) {
        RendezvousClient::Config c;
        c.name = cfg_.name;
        c.ns = cfg_.ns;
        c.listen_port = port_;
        c.ttl_s = ttl_s;
        c.max_tracked_peers = cfg_.max_peers;
        rendezvous_->start(rdv.ip(), rdv.port(), std::move(c), cfg_.seed * 7919 + 1);
    }
    bool registered() { return rendezvous_->client() && rendezvous_->client()->registered(); }
    // A DISCOVER as soon as the client allows (what /reconnect asks for).
    void discover_now() {
        if (rendezvous_->client()) rendezvous_->client()->request_discover();
    }

    Node& node() { return *node_; }
    int host() const { return h_; }
    const std::string& ip() const { return ip_; }
    std::uint16_t port() const { return port_; }
    std::string id() const { return cfg_.name + "@" + cfg_.ns; }
    NodeConfig& config() { return cfg_; }

    std::vector<Ev> events;
    bool quit_done = false;

    int count(EventKind k, std::string_view peer = {}, std::string_view text = {}) const {
        int n = 0;
        for (const Ev& e : events)
            if (e.kind == k && (peer.empty() || e.peer == peer) && (text.empty() || e.text == text))
                ++n;
        return n;
    }
    int count_msg_id(EventKind k, std::string_view msg_id) const {
        int n = 0;
        for (const Ev& e : events)
            if (e.kind == k && e.msg_id == msg_id) ++n;
        return n;
    }
    bool connected_to(std::string_view peer_id) const {
        for (std::size_t i = 0; i < node_->peer_slots(); ++i) {
            PeerView v;
            if (node_->peer_view(i, v) && v.peer_id == peer_id)
                return v.state == PeerState::kConnected;
        }
        return false;
    }
    bool peer_state(std::string_view peer_id, PeerView& out) const {
        for (std::size_t i = 0; i < node_->peer_slots(); ++i)
            if (node_->peer_view(i, out) && out.peer_id == peer_id) return true;
        return false;
    }
    std::size_t connected_count() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < node_->peer_slots(); ++i) {
            PeerView v;
            if (node_->peer_view(i, v) && v.state == PeerState::kConnected) ++n;
        }
        return n;
    }
    std::string dump() const {
        std::string s;
        for (const Ev& e : events)
            s += "  " + describe(e) + "\n";
        return s;
    }

    // ---- Participant ----
    LinkId accept(std::string_view ip, std::uint16_t port) override {
        return node_->on_link_accepted(ip, port);
    }
    void connected(LinkId l) override { node_->on_link_connected(l); }
    void bytes(LinkId l, char* d, std::size_t n) override { node_->on_bytes(l, d, n); }
    void down(LinkId l, LinkDownReason r) override { node_->on_link_down(l, r); }
    std::size_t output(LinkId l, OutSlice* s, std::size_t m) override {
        return node_->output(l, s, m);
    }
    void consumed(LinkId l, std::size_t n) override { node_->consumed(l, n); }
    MonoMs next_deadline() override { return node_->next_deadline(); }
    void timer() override { node_->on_timer(); }
    std::size_t read_room(LinkId l) override { return node_->read_room(l); }

    // ---- NodeHost ----
    bool dial(LinkId l, std::string_view host, std::uint16_t port) override {
        return net_.dial(h_, l, host, port);
    }
    void close_link(LinkId l) override { net_.close(h_, l); }
    void want_write(LinkId l) override { net_.want_write(h_, l); }
    void pause_reading(LinkId l, bool paused) override {
        if (!paused) net_.resume_reading(h_, l);
    }
    void emit(const NodeEvent& ev) override {
        Ev e;
        e.kind = ev.kind;
        e.peer = std::string(ev.peer_id);
        e.scope = std::string(ev.scope);
        e.text = std::string(ev.text);
        e.msg_id = std::string(ev.msg_id);
        e.reason = std::string(ev.reason);
        e.line = std::string(ev.line);
        e.state = ev.state;
        e.up = ev.up;
        e.outgoing = ev.outgoing;
        e.dir = ev.direction;
        e.retry = ev.retry;
        e.rtt = ev.rtt_ms;
        e.at = net_.clock.mono_ms();
        events.push_back(std::move(e));
    }
    void quit_complete() override { quit_done = true; }

    // ---- RendezvousClientListener: adverts straight to the engine ----
    void on_registered(std::string_view, std::int64_t, std::int64_t) override {}
    void on_discovered(std::size_t, std::size_t, std::size_t) override {}
    void on_peer(const PeerAdvert& advert) override { node_->on_peer_advert(advert); }
    bool wants(const PeerAdvert& advert) override { return node_->wants_advert(advert); }
    void on_request_failed(RdvRequestKind, std::string_view, bool, MonoMs) override {}
    void on_unregistered(bool, std::string_view) override {}

  private:
    Net& net_;
    NodeConfig cfg_;
    std::string ip_;
    std::uint16_t port_;
    int h_ = -1;
    std::unique_ptr<Node> node_;
    std::unique_ptr<SimRendezvousDriver> rendezvous_;
};

// Runs the network until n's REGISTER was answered.
inline bool run_until_registered(Net& net, SimNode& n, MonoMs limit = 1000) {
    return net.run_until([&] { return n.registered(); }, limit);
}

inline NodeConfig sim_config(std::string name, std::string ns = "CIC", std::uint64_t seed = 1) {
    NodeConfig c;
    c.name = std::move(name);
    c.ns = std::move(ns);
    c.seed = seed;
    return c;
}

}  // namespace p2p::sim
