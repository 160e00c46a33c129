// The rendezvous over the simulated network, with the real pieces: the
// server side answers with core's Registry, the node side is core's
// RendezvousClient, and every request is what docs/protocol.md §3 says —
// connect, one request line, one answer line, close.
//
//   SimRendezvousServer  a participant at its own address that reads the
//                        first line of each connection, answers it with the
//                        Registry, and closes once the answer is written.
//   SimRendezvousDriver  a node's companion (same machine, sim_net.h): runs a
//                        RendezvousClient, one simulated connection per
//                        request, the way shell/runtime/rendezvous_link does
//                        over sockets.
#pragma once
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "core/line_framer.h"
#include "core/registry.h"
#include "core/rendezvous_client.h"
#include "core/rendezvous_wire.h"
#include "core/rng.h"
#include "tests/sim/sim_net.h"

namespace p2p::sim {

class SimRendezvousServer final : public Participant {
  public:
    // The reference server's wait for a silent client.
    static constexpr MonoMs kIdleTimeoutMs = 5'000;

    explicit SimRendezvousServer(Net& net, std::string ip = "10.0.254.1", std::uint16_t port = 8888,
                                 RegistryConfig config = {})
        : net_(net), registry_(net.clock, config), ip_(std::move(ip)), port_(port) {
        h_ = net_.add(this, ip_, port_);
    }

    const std::string& ip() const { return ip_; }
    std::uint16_t port() const { return port_; }
    Registry& registry() { return registry_; }
    std::uint64_t answered() const { return answered_; }

    LinkId accept(std::string_view ip, std::uint16_t port) override {
        LinkId id = next_link_++;
        Conn& c = conns_[id];
        c.ip = std::string(ip);
        c.port = port;
        c.deadline = net_.clock.mono_ms() + kIdleTimeoutMs;
        c.partial = std::make_unique<char[]>(LineFramer::kPartialBytes);
        c.framer = LineFramer(c.partial.get());
        std::string_view reply;
        switch (registry_.admit(c.ip, port, &reply)) {
            case Registry::Admission::kAdmit:
                break;
            case Registry::Admission::kCloseSilently:
                c.close_silently = true;
                c.deadline = net_.clock.mono_ms();
                break;
            case Registry::Admission::kBlocked:
                answer(id, c, reply);
                break;
        }
        return id;
    }
    void connected(LinkId) override {}  // never dials
    void bytes(LinkId link, char* data, std::size_t len) override {
        auto it = conns_.find(link);
        if (it == conns_.end() || it->second.answering) return;  // only the first line counts
        Conn& c = it->second;
        bool done = false;
        c.framer.feed(data, len, [&](LineFramer::Event ev, char* line, std::size_t n) {
            if (done) return;
            done = true;
            if (ev == LineFramer::Event::kTooLong) {
                char out[rdv::kRdvLineBytes];
                answer(link, c,
                       std::string_view(out,
                                        rdv::encode_line_too_long(out, sizeof out, kMaxLineBytes)));
            } else {
                answer(link, c, registry_.handle(line, n, c.ip, c.port));
            }
        });
    }
    void down(LinkId link, LinkDownReason) override { conns_.erase(link); }
    std::size_t output(LinkId link, OutSlice* slices, std::size_t max) override {
        auto it = conns_.find(link);
        if (it == conns_.end() || max == 0) return 0;
        const Conn& c = it->second;
        if (c.written >= c.reply.size()) return 0;
        slices[0] = OutSlice{c.reply.data() + c.written, c.reply.size() - c.written};
        return 1;
    }
    void consumed(LinkId link, std::size_t n) override {
        auto it = conns_.find(link);
        if (it == conns_.end()) return;
        it->second.written += n;
        if (it->second.written < it->second.reply.size()) return;
        conns_.erase(it);
        net_.close(h_, link);  // one request, one answer, close
    }
    MonoMs next_deadline() override {
        MonoMs next = Node::kNoDeadline;
        for (const auto& [id, c] : conns_)
            if (!c.answering) next = std::min(next, c.deadline);
        return next;
    }
    void timer() override {
        MonoMs now = net_.clock.mono_ms();
        for (auto it = conns_.begin(); it != conns_.end();) {
            Conn& c = it->second;
            if (c.answering || now < c.deadline) {
                ++it;
            } else if (c.close_silently) {
                LinkId link = it->first;
                it = conns_.erase(it);
                net_.close(h_, link);
            } else {
                char out[rdv::kRdvLineBytes];
                answer(it->first, c,
                       std::string_view(out, rdv::encode_error(out, sizeof out, rdv::kMsgTimeout)));
                ++it;
            }
        }
    }

  private:
    struct Conn {
        std::string ip;
        std::uint16_t port = 0;
        MonoMs deadline = 0;
        std::unique_ptr<char[]> partial;
        LineFramer framer{nullptr};
        bool close_silently = false;
        bool answering = false;
        std::string reply;
        std::size_t written = 0;
    };

    void answer(LinkId link, Conn& c, std::string_view reply) {
        c.answering = true;
        c.reply.assign(reply);
        ++answered_;
        net_.want_write(h_, link);
    }

    Net& net_;
    Registry registry_;
    std::string ip_;
    std::uint16_t port_;
    int h_ = -1;
    LinkId next_link_ = 1;
    std::map<LinkId, Conn> conns_;
    std::uint64_t answered_ = 0;
};

class SimRendezvousDriver final : public Participant {
  public:
    // The runtime's bound on one exchange (shell/runtime/rendezvous_link.h).
    static constexpr MonoMs kExchangeTimeoutMs = 5'000;

    // Attached to the machine of node host `node_host`; reports to `listener`.
    SimRendezvousDriver(Net& net, int node_host, RendezvousClientListener& listener)
        : net_(net), listener_(listener) {
        h_ = net_.add_companion(node_host, this);
    }

    // A fresh client (a restarted process) that registers at once.
    void start(const std::string& server_ip, std::uint16_t server_port,
               RendezvousClient::Config config, std::uint64_t seed) {
        stop();
        server_ip_ = server_ip;
        server_port_ = server_port;
        rng_ = std::make_unique<Rng>(seed);
        client_ =
            std::make_unique<RendezvousClient>(std::move(config), net_.clock, *rng_, listener_);
        client_->start();
    }
    // Forgets the client (a process that died); its connection is the
    // network's to drop.
    void stop() {
        client_.reset();
        link_ = kNoLink;
    }
    RendezvousClient* client() { return client_.get(); }

    LinkId accept(std::string_view, std::uint16_t) override { return kNoLink; }
    void connected(LinkId link) override {
        if (link != link_) return;
        net_.want_write(h_, link);
    }
    void bytes(LinkId link, char* data, std::size_t len) override {
        if (link != link_) return;
        const char* nl = static_cast<const char*>(std::memchr(data, '\n', len));
        answer_.append(data, nl ? static_cast<std::size_t>(nl - data) : len);
        if (!nl) return;
        net_.close(h_, link_);
        link_ = kNoLink;
        answer_.push_back('\0');  // room for the in-situ parse's terminator
        client_->on_response_line(request_id_, answer_.data(), answer_.size() - 1, arena_);
    }
    void down(LinkId link, LinkDownReason reason) override {
        if (link != link_) return;
        link_ = kNoLink;
        client_->on_failure(request_id_, reason == LinkDownReason::kConnectFailed
                                             ? RdvFailure::kConnect
                                             : RdvFailure::kClosed);
    }
    std::size_t output(LinkId link, OutSlice* slices, std::size_t max) override {
        if (link != link_ || max == 0 || written_ >= request_.size()) return 0;
        slices[0] = OutSlice{request_.data() + written_, request_.size() - written_};
        return 1;
    }
    void consumed(LinkId, std::size_t n) override { written_ += n; }
    MonoMs next_deadline() override {
        if (!client_) return Node::kNoDeadline;
        MonoMs next = client_->next_deadline();
        if (link_ != kNoLink) next = std::min(next, deadline_);
        return next;
    }
    void timer() override {
        if (!client_) return;
        if (link_ != kNoLink && net_.clock.mono_ms() >= deadline_) {
            net_.close(h_, link_);
            link_ = kNoLink;
            client_->on_failure(request_id_, RdvFailure::kTimeout);
        }
        client_->tick();
        RdvRequest req;
        if (link_ == kNoLink && client_->next_request(req)) send(req);
    }

  private:
    void send(const RdvRequest& req) {
        char line[rdv::kRdvLineBytes];
        std::size_t n = 0;
        switch (req.kind) {
            case RdvRequestKind::kRegister:
                n = rdv::encode_register(line, sizeof line, req.ns, req.name, req.port, req.ttl_s);
                break;
            case RdvRequestKind::kDiscover:
                n = rdv::encode_discover(line, sizeof line, req.ns);
                break;
            case RdvRequestKind::kUnregister:
                n = rdv::encode_unregister(line, sizeof line, req.ns, req.name, req.port);
                break;
        }
        request_.assign(line, n);  // the encoders end the line with '\n'
        written_ = 0;
        answer_.clear();
        request_id_ = req.id;
        link_ = next_link_++;
        deadline_ = net_.clock.mono_ms() + kExchangeTimeoutMs;
        net_.dial(h_, link_, server_ip_, server_port_);
    }

    Net& net_;
    RendezvousClientListener& listener_;
    int h_ = -1;
    std::string server_ip_;
    std::uint16_t server_port_ = 0;
    std::unique_ptr<Rng> rng_;
    std::unique_ptr<RendezvousClient> client_;
    JsonArena arena_;

    LinkId next_link_ = 1;
    LinkId link_ = kNoLink;  // the exchange in progress
    std::uint64_t request_id_ = 0;
    MonoMs deadline_ = 0;
    std::string request_;
    std::size_t written_ = 0;
    std::string answer_;
};

}  // namespace p2p::sim
