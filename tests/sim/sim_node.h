// A p2pchat engine attached to the simulated network (tests/sim/sim_net.h),
// recording every event it emits, plus a tiny rendezvous registry that feeds
// discovery the way the real rendezvous client does.
#pragma once
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/node.h"
#include "tests/sim/sim_net.h"

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

class SimNode final : public Participant, public NodeHost {
  public:
    SimNode(Net& net, NodeConfig cfg, std::string ip, std::uint16_t port)
        : net_(net), cfg_(std::move(cfg)), ip_(std::move(ip)), port_(port) {
        node_ = std::make_unique<Node>(cfg_, net_.clock, *this);
        h_ = net_.add(this, ip_, port_);
    }
    // Comes back after kill() with fresh state (a restarted process).
    void restart() {
        node_ = std::make_unique<Node>(cfg_, net_.clock, *this);
        quit_done = false;
        net_.revive(h_, this);
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

    // ---- NodeHost ----
    bool dial(LinkId l, std::string_view host, std::uint16_t port) override {
        return net_.dial(h_, l, host, port);
    }
    void close_link(LinkId l) override { net_.close(h_, l); }
    void want_write(LinkId l) override { net_.want_write(h_, l); }
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

  private:
    Net& net_;
    NodeConfig cfg_;
    std::string ip_;
    std::uint16_t port_;
    int h_ = -1;
    std::unique_ptr<Node> node_;
};

// The rendezvous as the nodes' clients see it: registrations with a ttl, and
// DISCOVER answers turned into discovered / updated / expired adverts.
class SimRendezvous {
  public:
    explicit SimRendezvous(Net& net) : net_(net) {}

    void register_node(const SimNode& n, std::int64_t ttl_s = 7200) {
        regs_[n.id()] =
            Reg{n.ip(), n.port(), net_.clock.mono_ms(), net_.clock.mono_ms() + ttl_s * 1000};
    }
    void unregister(const SimNode& n) { regs_.erase(n.id()); }

    void discover(SimNode& n) {
        MonoMs now = net_.clock.mono_ms();
        auto& known = known_[n.id()];
        for (auto& [id, r] : regs_) {
            if (id == n.id() || r.expires_at <= now) continue;
            PeerAdvert a;
            a.peer_id = id;
            a.ip = r.ip;
            a.port = r.port;
            a.expires_in_s = (r.expires_at - now) / 1000;
            auto it = known.find(id);
            if (it == known.end()) {
                a.change = AdvertChange::kDiscovered;
            } else {
                a.change = AdvertChange::kUpdated;
                a.reregistered = it->second != r.registered_at;
            }
            known[id] = r.registered_at;
            n.node().on_peer_advert(a);
        }
        for (auto it = known.begin(); it != known.end();) {
            auto r = regs_.find(it->first);
            if (r == regs_.end() || r->second.expires_at <= now) {
                PeerAdvert a;
                a.change = AdvertChange::kExpired;
                a.peer_id = it->first;
                n.node().on_peer_advert(a);
                it = known.erase(it);
            } else {
                ++it;
            }
        }
    }
    void forget(const SimNode& n) { known_.erase(n.id()); }

  private:
    struct Reg {
        std::string ip;
        std::uint16_t port;
        MonoMs registered_at;
        MonoMs expires_at;
    };
    Net& net_;
    std::map<std::string, Reg> regs_;
    std::map<std::string, std::map<std::string, MonoMs>> known_;
};

inline NodeConfig sim_config(std::string name, std::string ns = "CIC", std::uint64_t seed = 1) {
    NodeConfig c;
    c.name = std::move(name);
    c.ns = std::move(ns);
    c.seed = seed;
    return c;
}

}  // namespace p2p::sim
