// A hand-driven host for one Node: the test plays the remote side line by
// line and reads back exactly what the engine would write, with a
// ManualClock. Used by the session unit tests.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/node.h"
#include "tests/sim/sim_node.h"  // Ev, describe()

namespace p2p::sim {

class ScriptHost final : public NodeHost {
  public:
    explicit ScriptHost(NodeConfig cfg) : cfg_(std::move(cfg)) {
        node = std::make_unique<Node>(cfg_, clock, *this);
    }

    ManualClock clock;
    std::unique_ptr<Node> node;
    struct Dial {
        LinkId link;
        std::string host;
        std::uint16_t port;
    };
    std::vector<Dial> dials;
    std::set<LinkId> closed;
    std::vector<Ev> events;
    bool quit_done = false;

    LinkId accept() { return node->on_link_accepted("192.0.2.9", 50000); }
    void feed(LinkId l, const std::string& bytes) {
        buf_.assign(bytes.begin(), bytes.end());
        buf_.push_back('\0');
        node->on_bytes(l, buf_.data(), bytes.size());
    }
    // What the engine lets the host write now, as lines (one write per call
    // of output()).
    std::vector<std::string> take(LinkId l) {
        std::vector<std::string> lines;
        OutSlice s[16];
        for (;;) {
            std::size_t n = node->output(l, s, 16);
            if (n == 0) break;
            std::string w;
            for (std::size_t i = 0; i < n; ++i)
                w.append(s[i].data, s[i].len);
            writes.push_back(w);
            node->consumed(l, w.size());
            std::size_t pos = 0, nl;
            while ((nl = w.find('\n', pos)) != std::string::npos) {
                lines.push_back(w.substr(pos, nl - pos));
                pos = nl + 1;
            }
        }
        return lines;
    }
    std::vector<std::string> writes;  // every write, to check one message per write
    // Everything queued for `l`, letting time pass for a paced (legacy) link.
    std::vector<std::string> drain(LinkId l) {
        std::vector<std::string> lines;
        for (int i = 0; i < 10000; ++i) {
            for (std::string& s : take(l))
                lines.push_back(std::move(s));
            if (queued(l) == 0) break;
            advance(10);
        }
        return lines;
    }
    std::size_t queued(LinkId l) const {
        for (std::size_t i = 0; i < node->link_slots(); ++i) {
            LinkView v;
            if (node->link_view(i, v) && v.id == l) return v.queued_msgs;
        }
        return 0;
    }
    // Moves time and runs due timers.
    void advance(MonoMs ms) {
        MonoMs end = clock.mono_ms() + ms;
        while (node->next_deadline() <= end) {
            clock.set(std::max(clock.mono_ms(), node->next_deadline()));
            node->on_timer();
        }
        clock.set(end);
    }
    // Dials as a static peer and completes the handshake as `peer_id`.
    LinkId dial_and_handshake(const std::string& peer_id, const std::string& features) {
        node->add_static_peer("192.0.2.1", 7000);
        LinkId l = dials.back().link;
        node->on_link_connected(l);
        take(l);  // HELLO
        feed(l, "{\"type\":\"HELLO_OK\",\"peer_id\":\"" + peer_id +
                    "\",\"version\":\"1.0\",\"features\":" + features + ",\"ttl\":1}\n");
        return l;
    }
    LinkId accept_and_handshake(const std::string& peer_id, const std::string& features) {
        LinkId l = accept();
        feed(l, "{\"type\":\"HELLO\",\"peer_id\":\"" + peer_id +
                    "\",\"version\":\"1.0\",\"features\":" + features + ",\"ttl\":1}\n");
        take(l);  // HELLO_OK
        return l;
    }
    int count(EventKind k) const {
        int n = 0;
        for (const Ev& e : events)
            n += e.kind == k;
        return n;
    }
    bool peer(std::string_view id, PeerView& v) const {
        for (std::size_t i = 0; i < node->peer_slots(); ++i)
            if (node->peer_view(i, v) && v.peer_id == id) return true;
        return false;
    }
    std::string dump() const {
        std::string s;
        for (const Ev& e : events)
            s += "  " + describe(e) + "\n";
        return s;
    }

    bool dial(LinkId l, std::string_view host, std::uint16_t port) override {
        dials.push_back(Dial{l, std::string(host), port});
        return true;
    }
    void close_link(LinkId l) override { closed.insert(l); }
    void want_write(LinkId) override {}
    void emit(const NodeEvent& ev) override {
        Ev e;
        e.kind = ev.kind;
        e.peer = std::string(ev.peer_id);
        e.text = std::string(ev.text);
        e.msg_id = std::string(ev.msg_id);
        e.reason = std::string(ev.reason);
        e.state = ev.state;
        e.up = ev.up;
        e.at = clock.mono_ms();
        events.push_back(std::move(e));
    }
    void quit_complete() override { quit_done = true; }

  private:
    NodeConfig cfg_;
    std::vector<char> buf_;
};

inline bool has(const std::string& line, const std::string& part) {
    return line.find(part) != std::string::npos;
}

}  // namespace p2p::sim
