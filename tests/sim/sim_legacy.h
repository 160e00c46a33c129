// A scripted peer on the simulated network that behaves like the deployed
// Python peers that speak only the revised protocol (docs/protocol.md §4, "Living
// with peers that speak only the revised protocol"):
//   - processes only the first line of each read and drops the rest;
//   - closes the link on a line that is not a JSON object, an empty line, or
//     any PUB;
//   - discards messages with ttl <= 0;
//   - writes epoch-number timestamps, ACKs and PONGs without src, namespace
//     PUBs with a bare namespace ("CIC");
//   - retransmits an un-ACKed SEND with the same msg_id after 5, 10, 20 s;
//   - pings only on links it dialed; never announces `relay`.
// Its lines are written by hand (snprintf) because that is what it is: a
// different implementation with its own quirks.
#pragma once
#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/codec.h"
#include "tests/sim/sim_net.h"

namespace p2p::sim {

class LegacyScript final : public Participant {
  public:
    LegacyScript(Net& net, std::string name, std::string ns, std::string ip, std::uint16_t port)
        : net_(net), name_(std::move(name)), ns_(std::move(ns)), ip_(std::move(ip)), port_(port) {
        h_ = net_.add(this, ip_, port_);
    }

    std::string id() const { return name_ + "@" + ns_; }
    int host() const { return h_; }
    const std::string& ip() const { return ip_; }
    std::uint16_t port() const { return port_; }

    MonoMs ping_interval_ms = 30'000;  // on links it dialed only
    std::vector<MonoMs> retransmit_after = {5'000, 10'000, 20'000};
    int ignore_first_acks = 0;  // pretend these ACKs were lost (forces retransmissions)

    // What it saw.
    struct Got {
        std::string type, msg_id, src, dst, payload;
    };
    std::vector<Got> processed;        // first line of each read
    std::vector<std::string> dropped;  // later lines of the same read (lost)
    std::vector<std::string> ttl_dropped;
    std::vector<std::string> closes;
    std::vector<std::string> acks_written;
    std::map<std::string, bool> my_sends;  // msg_id -> acked
    int pongs = 0;
    int handshakes = 0;

    int count(const std::string& type) const {
        int n = 0;
        for (const Got& g : processed)
            if (g.type == type) ++n;
        return n;
    }
    int count_payload(const std::string& payload) const {
        int n = 0;
        for (const Got& g : processed)
            if (g.type == "SEND" && g.payload == payload) ++n;
        return n;
    }
    bool linked() const {
        for (auto& [id, l] : links_)
            if (l.established) return true;
        return false;
    }

    void dial(const std::string& ip, std::uint16_t port) {
        LinkId id = next_id_++;
        links_[id] = L{};
        links_[id].dialer = true;
        net_.dial(h_, id, ip, port);
    }

    // A SEND with require_ack on every established link to `dst`.
    std::string send(const std::string& dst, const std::string& text) {
        char id[40];
        std::snprintf(id, sizeof id, "legacy-%s-%d", name_.c_str(), ++msg_seq_);
        my_sends[id] = false;
        Pending p{id, dst, text, net_.clock.mono_ms(), 0};
        pending_.push_back(p);
        write_send(p);
        return id;
    }
    // A namespace PUB with a bare namespace, as deployed peers write it.
    void publish_ns(const std::string& text) {
        char id[40];
        std::snprintf(id, sizeof id, "legacy-pub-%d", ++msg_seq_);
        char line[512];
        std::snprintf(line, sizeof line,
                      "{\"type\":\"PUB\",\"msg_id\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\","
                      "\"payload\":\"%s\",\"require_ack\":false,\"ttl\":1}\n",
                      id, this->id().c_str(), ns_.c_str(), text.c_str());
        for (auto& [lid, l] : links_)
            if (l.established) queue(lid, line);
    }

    // ---- Participant ----
    LinkId accept(std::string_view, std::uint16_t) override {
        LinkId id = next_id_++;
        links_[id] = L{};
        return id;
    }
    void connected(LinkId link) override {
        char line[256];
        std::snprintf(line, sizeof line,
                      "{\"type\":\"HELLO\",\"peer_id\":\"%s\",\"version\":\"1.0\","
                      "\"features\":[\"ack\",\"metrics\"],\"ttl\":1}\n",
                      id().c_str());
        queue(link, line);
    }
    void bytes(LinkId link, char* data, std::size_t len) override {
        auto it = links_.find(link);
        if (it == links_.end()) return;
        // Only the first line of a read is processed (recv().decode() then one json.loads).
        std::string all(data, len);
        std::size_t nl = all.find('\n');
        std::string first = nl == std::string::npos ? all : all.substr(0, nl);
        if (nl != std::string::npos) {
            std::size_t pos = nl + 1;
            while (pos < all.size()) {
                std::size_t e = all.find('\n', pos);
                std::string rest =
                    all.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
                if (!rest.empty()) dropped.push_back(rest);
                if (e == std::string::npos) break;
                pos = e + 1;
            }
        }
        handle(link, first);
    }
    void down(LinkId link, LinkDownReason) override {
        if (links_.erase(link)) closes.push_back("closed by remote");
    }
    std::size_t output(LinkId link, OutSlice* s, std::size_t max) override {
        auto it = links_.find(link);
        if (it == links_.end() || it->second.out.empty() || max == 0) return 0;
        s[0] = OutSlice{it->second.out.front().data(), it->second.out.front().size()};
        return 1;  // one message per write
    }
    void consumed(LinkId link, std::size_t n) override {
        auto it = links_.find(link);
        if (it == links_.end() || it->second.out.empty()) return;
        std::string& f = it->second.out.front();
        f.erase(0, n);
        if (f.empty()) it->second.out.pop_front();
    }
    MonoMs next_deadline() override {
        MonoMs t = Node::kNoDeadline;
        for (auto& [id, l] : links_)
            if (l.dialer && l.established && ping_interval_ms > 0) t = std::min(t, l.next_ping);
        for (const Pending& p : pending_)
            if (p.tries < retransmit_after.size())
                t = std::min(t, p.first + retransmit_after[p.tries]);
        return t;
    }
    void timer() override {
        MonoMs now = net_.clock.mono_ms();
        for (auto& [id, l] : links_) {
            if (!(l.dialer && l.established && ping_interval_ms > 0) || l.next_ping > now) continue;
            char line[160];
            std::snprintf(
                line, sizeof line,
                "{\"type\":\"PING\",\"msg_id\":\"lping-%d\",\"timestamp\":%lld.5,\"ttl\":1}\n",
                ++msg_seq_, static_cast<long long>(net_.clock.wall_ms() / 1000));
            queue(id, line);
            l.next_ping = now + ping_interval_ms;
        }
        for (Pending& p : pending_) {
            if (p.tries >= retransmit_after.size() || p.first + retransmit_after[p.tries] > now)
                continue;
            ++p.tries;
            if (!my_sends[p.id]) write_send(p);
        }
    }

  private:
    struct L {
        bool dialer = false;
        bool established = false;
        std::string peer;
        std::deque<std::string> out;
        MonoMs next_ping = 0;
    };
    struct Pending {
        std::string id, dst, text;
        MonoMs first;
        std::size_t tries;
    };

    void queue(LinkId link, const std::string& line) {
        auto it = links_.find(link);
        if (it == links_.end()) return;
        it->second.out.push_back(line);
        net_.want_write(h_, link);
    }
    void close(LinkId link, const char* why) {
        if (!links_.erase(link)) return;
        closes.push_back(why);
        net_.close(h_, link);
    }
    void write_send(const Pending& p) {
        char line[1024];
        std::snprintf(line, sizeof line,
                      "{\"type\":\"SEND\",\"msg_id\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\","
                      "\"payload\":\"%s\",\"require_ack\":true,\"ttl\":1}\n",
                      p.id.c_str(), id().c_str(), p.dst.c_str(), p.text.c_str());
        for (auto& [lid, l] : links_)
            if (l.established && l.peer == p.dst) {
                queue(lid, line);
                return;  // the deployed peer keeps one connection per peer
            }
    }

    void handle(LinkId link, std::string line) {
        if (line.empty()) {
            close(link, "empty line");
            return;
        }
        std::vector<char> buf(line.begin(), line.end());
        buf.push_back('\0');
        PeerMessage m;
        DecodeResult d = decode_peer_message(buf.data(), line.size(), arena_, m);
        if (!d.ok()) {
            close(link, "not a JSON object");
            return;
        }
        if (m.ttl <= 0) {
            ttl_dropped.push_back(line);
            return;
        }
        processed.push_back(Got{std::string(m.type_name), std::string(m.msg_id), std::string(m.src),
                                std::string(m.dst), std::string(m.payload)});
        L& l = links_[link];
        MonoMs now = net_.clock.mono_ms();
        char out[1024];
        long long epoch = static_cast<long long>(net_.clock.wall_ms() / 1000);
        switch (m.type) {
            case MsgType::kHello:
                l.established = true;
                l.peer = std::string(m.peer_id);
                ++handshakes;
                std::snprintf(out, sizeof out,
                              "{\"type\":\"HELLO_OK\",\"peer_id\":\"%s\",\"version\":\"1.0\","
                              "\"features\":[\"ack\"],\"ttl\":1}\n",
                              id().c_str());
                queue(link, out);
                return;
            case MsgType::kHelloOk:
                l.established = true;
                l.peer = std::string(m.peer_id);
                l.next_ping = now + ping_interval_ms;
                ++handshakes;
                for (const Pending& p : pending_)
                    if (!my_sends[p.id] && p.dst == l.peer) write_send(p);
                return;
            case MsgType::kPing:
                std::snprintf(
                    out, sizeof out,
                    "{\"type\":\"PONG\",\"msg_id\":\"%.*s\",\"timestamp\":%lld,\"ttl\":1}\n",
                    static_cast<int>(m.msg_id.size()), m.msg_id.data(), epoch);
                queue(link, out);
                return;
            case MsgType::kPong:
                ++pongs;
                return;
            case MsgType::kSend:
                if (m.require_ack) {
                    std::snprintf(
                        out, sizeof out,
                        "{\"type\":\"ACK\",\"msg_id\":\"%.*s\",\"timestamp\":%lld,\"ttl\":1}\n",
                        static_cast<int>(m.msg_id.size()), m.msg_id.data(), epoch);
                    acks_written.push_back(std::string(m.msg_id));
                    queue(link, out);
                }
                return;
            case MsgType::kAck:
                if (ignore_first_acks > 0) {
                    --ignore_first_acks;
                    return;
                }
                if (my_sends.count(std::string(m.msg_id))) my_sends[std::string(m.msg_id)] = true;
                return;
            case MsgType::kPub:
                close(link, "PUB received");
                return;
            case MsgType::kBye:
                std::snprintf(out, sizeof out,
                              "{\"type\":\"BYE_OK\",\"msg_id\":\"%.*s\",\"src\":\"%s\",\"dst\":\"%"
                              "s\",\"ttl\":1}\n",
                              static_cast<int>(m.msg_id.size()), m.msg_id.data(), id().c_str(),
                              l.peer.c_str());
                queue(link, out);
                return;
            default:
                return;
        }
    }

    Net& net_;
    std::string name_, ns_, ip_;
    std::uint16_t port_;
    int h_ = -1;
    LinkId next_id_ = 1;
    int msg_seq_ = 0;
    std::map<LinkId, L> links_;
    std::vector<Pending> pending_;
    JsonArena arena_;
};

}  // namespace p2p::sim
