// An in-memory network with simulated time for driving many protocol engines
// deterministically (fixed seed): connects, per-direction byte streams with a
// latency, reads that coalesce what arrived together and optionally split it
// into small chunks, abrupt deaths, one-way reachability (NAT). Several
// participants may share one machine (a node and its rendezvous client), so
// they die and come back together. The rendezvous runs on it too
// (sim_rendezvous.h).
//
// Header-only so every sim test executable can include it (the test build
// compiles only tests/sim/*_test.cpp).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/node.h"
#include "core/rng.h"

namespace p2p::sim {

// Anything attached to the simulated network.
class Participant {
  public:
    virtual ~Participant() = default;
    virtual LinkId accept(std::string_view ip, std::uint16_t port) = 0;
    virtual void connected(LinkId link) = 0;
    virtual void bytes(LinkId link, char* data, std::size_t len) = 0;
    virtual void down(LinkId link, LinkDownReason reason) = 0;
    virtual std::size_t output(LinkId link, OutSlice* slices, std::size_t max) = 0;
    virtual void consumed(LinkId link, std::size_t n) = 0;
    virtual MonoMs next_deadline() = 0;
    virtual void timer() = 0;
    // Bytes the participant takes in its next read of `link` (0: it paused
    // reading it; Net::resume_reading starts it again).
    virtual std::size_t read_room(LinkId) { return SIZE_MAX; }
};

class Net {
  public:
    explicit Net(std::uint64_t seed = 42) : rng(seed) {}

    ManualClock clock{1'000'000};
    Rng rng;
    MonoMs latency_ms = 5;
    // 0: each read delivers everything that arrived; else reads are split in
    // random pieces of 1..chunk_max bytes.
    std::size_t chunk_max = 0;
    // Bytes a direction holds (in flight + arrived but unread) before the
    // writer blocks, like a pair of socket buffers. A reader that stops
    // reading (freeze) makes its peer's writes block.
    std::size_t sockbuf_bytes = 256 * 1024;

    struct Host {
        Participant* p = nullptr;
        std::string ip;
        std::uint16_t port = 0;
        bool up = true;
        std::set<int> unreachable_from;  // hosts that cannot dial this one
        std::vector<int> companions;     // share this host's machine (add_companion)
    };

    int add(Participant* p, std::string ip, std::uint16_t port) {
        hosts_.push_back(Host{p, std::move(ip), port, true, {}, {}});
        return static_cast<int>(hosts_.size()) - 1;
    }
    // Another participant on host h's machine: its IP, no listening port (it
    // only dials), and it dies, freezes and comes back with h. A node's
    // rendezvous client is one: its connections are not the engine's links.
    int add_companion(int h, Participant* p) {
        int c = add(p, hosts_[std::size_t(h)].ip, 0);
        hosts_[std::size_t(h)].companions.push_back(c);
        return c;
    }
    // Replaces host h's participant (a node that comes back with fresh state);
    // its companions come back with their own participants (which reset
    // themselves).
    void revive(int h, Participant* p) {
        revive_one(h, p);
        for (int c : hosts_[std::size_t(h)].companions)
            revive_one(c, hosts_[std::size_t(c)].p);
    }
    Host& host(int h) { return hosts_[std::size_t(h)]; }
    // `from` can no longer dial `to` (to is behind a NAT for from).
    void block_dial(int from, int to) { hosts_[std::size_t(to)].unreachable_from.insert(from); }

    // Abrupt death (SIGKILL, cable pulled): peers see their links close.
    void kill(int h) {
        kill_one(h);
        for (int c : hosts_[std::size_t(h)].companions)
            kill_one(c);
    }
    // Silent death (power cut, frozen process): nothing is read or written
    // any more and no one is told; peers find out by keep-alive.
    void freeze(int h) {
        hosts_[std::size_t(h)].up = false;
        for (int c : hosts_[std::size_t(h)].companions)
            hosts_[std::size_t(c)].up = false;
    }
    // Cuts one connection as if the network dropped it: both ends see an error.
    void cut(int h, LinkId link) {
        auto it = ends_.find({h, link});
        if (it == ends_.end()) return;
        Conn& c = conns_[it->second];
        for (int s = 0; s < 2; ++s) {
            if (!c.open[s]) continue;
            schedule_down(it->second, s, LinkDownReason::kError);
        }
    }

    // ---- called by hosts ----
    bool dial(int h, LinkId link, std::string_view ip, std::uint16_t port) {
        dials_.insert({h, link});
        Event e;
        e.kind = Event::kConnect;
        e.host = h;
        e.link = link;
        e.target_ip = std::string(ip);
        e.target_port = port;
        push(clock.mono_ms() + latency_ms, std::move(e));
        return true;
    }
    void close(int h, LinkId link) {
        dials_.erase({h, link});
        dirty_.erase({h, link});
        auto it = ends_.find({h, link});
        if (it == ends_.end()) return;
        int id = it->second;
        Conn& c = conns_[id];
        int s = c.host[0] == h && c.link[0] == link ? 0 : 1;
        c.open[s] = false;
        c.arrived[s].clear();
        ends_.erase(it);
        if (c.open[1 - s]) schedule_down(id, 1 - s, LinkDownReason::kClosedByPeer);
    }
    void want_write(int h, LinkId link) { dirty_.insert({h, link}); }
    // The participant reads `link` again after a pause: what waits is read now.
    void resume_reading(int h, LinkId link) {
        auto it = ends_.find({h, link});
        if (it == ends_.end()) return;
        Conn& c = conns_[it->second];
        int s = c.host[0] == h && c.link[0] == link ? 0 : 1;
        schedule_read(it->second, s);
    }

    // ---- running ----
    void run_for(MonoMs ms) { run_until_time(clock.mono_ms() + ms); }

    void run_until_time(MonoMs end) {
        int spins = 0;
        MonoMs last = clock.mono_ms();
        for (;;) {
            flush();
            MonoMs next = Node::kNoDeadline;
            if (!events_.empty()) next = std::min(next, events_.top().at);
            for (Host& hs : hosts_)
                if (hs.up) next = std::min(next, hs.p->next_deadline());
            if (next > end) break;
            if (next > clock.mono_ms()) clock.set(next);
            MonoMs now = clock.mono_ms();
            if (now == last) {
                ASSERT_LT(++spins, 200000) << "simulation makes no progress at t=" << now;
            } else {
                spins = 0;
                last = now;
            }
            while (!events_.empty() && events_.top().at <= now) {
                Event e = events_.top().e;
                events_.pop();
                process(e);
                flush();
            }
            for (Host& hs : hosts_)
                if (hs.up && hs.p->next_deadline() <= now) hs.p->timer();
        }
        if (clock.mono_ms() < end) clock.set(end);
    }

    // Runs until pred() holds or `limit` ms of simulated time passed.
    bool run_until(const std::function<bool()>& pred, MonoMs limit, MonoMs step = 10) {
        MonoMs end = clock.mono_ms() + limit;
        while (!pred()) {
            if (clock.mono_ms() >= end) return false;
            run_until_time(std::min(end, clock.mono_ms() + step));
        }
        return true;
    }

    std::size_t open_connections() const {
        std::size_t n = 0;
        for (auto& [id, c] : conns_)
            if (c.open[0] && c.open[1]) ++n;
        return n;
    }
    std::uint64_t bytes_delivered = 0;

  private:
    struct Conn {
        int host[2] = {-1, -1};
        LinkId link[2] = {kNoLink, kNoLink};
        bool open[2] = {false, false};
        MonoMs last_arrival[2] = {0, 0};  // keeps each direction in order
        std::string arrived[2];           // arrived, not yet read
        std::size_t unread[2] = {0, 0};   // in flight + arrived, toward side i
        bool read_scheduled[2] = {false, false};
    };
    struct Event {
        enum Kind { kConnect, kData, kRead, kDown } kind = kData;
        int host = -1;
        LinkId link = kNoLink;
        std::string target_ip;
        std::uint16_t target_port = 0;
        int conn = -1;
        int side = 0;
        std::string data;
        LinkDownReason reason = LinkDownReason::kClosedByPeer;
    };
    struct Timed {
        MonoMs at;
        std::uint64_t seq;
        Event e;
        bool operator>(const Timed& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };

    void revive_one(int h, Participant* p) {
        // The old process's sockets are gone without a word (a reboot):
        // peers learn it by keep-alive or when they next hear from us.
        for (auto& [id, c] : conns_)
            for (int s = 0; s < 2; ++s)
                if (c.host[s] == h && c.open[s]) {
                    c.open[s] = false;
                    c.arrived[s].clear();
                    ends_.erase({h, c.link[s]});
                }
        for (auto it = dials_.begin(); it != dials_.end();)
            it = it->first == h ? dials_.erase(it) : std::next(it);
        dirty_.erase(dirty_.lower_bound({h, 0}), dirty_.lower_bound({h + 1, 0}));
        hosts_[std::size_t(h)].p = p;
        hosts_[std::size_t(h)].up = true;
    }
    void kill_one(int h) {
        hosts_[std::size_t(h)].up = false;
        for (auto& [id, c] : conns_) {
            if (!c.open[0] && !c.open[1]) continue;
            for (int s = 0; s < 2; ++s) {
                if (c.host[s] != h || !c.open[s]) continue;
                c.open[s] = false;
                ends_.erase({h, c.link[s]});
                int o = 1 - s;
                if (c.open[o]) schedule_down(id, o, LinkDownReason::kClosedByPeer);
            }
        }
        for (auto it = dials_.begin(); it != dials_.end();)
            it = it->first == h ? dials_.erase(it) : std::next(it);
        dirty_.erase(dirty_.lower_bound({h, 0}), dirty_.lower_bound({h + 1, 0}));
    }
    void push(MonoMs at, Event e) { events_.push(Timed{at, seq_++, std::move(e)}); }

    MonoMs arrival(Conn& c, int side) {
        MonoMs t = std::max(clock.mono_ms() + latency_ms, c.last_arrival[side]);
        c.last_arrival[side] = t;
        return t;
    }

    void schedule_down(int id, int side, LinkDownReason reason) {
        Conn& c = conns_[id];
        Event e;
        e.kind = Event::kDown;
        e.conn = id;
        e.side = side;
        e.reason = reason;
        push(arrival(c, side), std::move(e));
    }

    void flush() {
        OutSlice slices[16];
        while (!dirty_.empty()) {
            auto [h, link] = *dirty_.begin();
            dirty_.erase(dirty_.begin());
            for (;;) {
                auto it = ends_.find({h, link});
                if (it == ends_.end() || !hosts_[std::size_t(h)].up) break;
                int id = it->second;
                Conn& c = conns_[id];
                int s = c.host[0] == h && c.link[0] == link ? 0 : 1;
                int o = 1 - s;
                std::size_t room = c.unread[o] < sockbuf_bytes ? sockbuf_bytes - c.unread[o] : 0;
                if (room == 0) {
                    blocked_.insert({h, link});  // retried when the reader drains
                    break;
                }
                std::size_t n = hosts_[std::size_t(h)].p->output(link, slices, 16);
                if (n == 0) break;
                std::string data;
                for (std::size_t i = 0; i < n && data.size() < room; ++i)
                    data.append(slices[i].data, std::min(slices[i].len, room - data.size()));
                if (c.open[o]) {
                    c.unread[o] += data.size();
                    Event e;
                    e.kind = Event::kData;
                    e.conn = id;
                    e.side = o;
                    e.data = data;
                    push(arrival(c, o), std::move(e));
                }
                hosts_[std::size_t(h)].p->consumed(link, data.size());
            }
        }
    }

    void process(Event& e) {
        switch (e.kind) {
            case Event::kConnect: {
                if (!dials_.count({e.host, e.link}) || !hosts_[std::size_t(e.host)].up) return;
                dials_.erase({e.host, e.link});
                Participant* dialer = hosts_[std::size_t(e.host)].p;
                int t = find_host(e.target_ip, e.target_port);
                if (t < 0 || !hosts_[std::size_t(t)].up ||
                    hosts_[std::size_t(t)].unreachable_from.count(e.host)) {
                    dialer->down(e.link, LinkDownReason::kConnectFailed);
                    return;
                }
                LinkId tl =
                    hosts_[std::size_t(t)].p->accept(hosts_[std::size_t(e.host)].ip, next_port_++);
                if (tl == kNoLink) {
                    dialer->down(e.link, LinkDownReason::kConnectFailed);
                    return;
                }
                int id = next_conn_++;
                Conn& c = conns_[id];
                c.host[0] = e.host;
                c.link[0] = e.link;
                c.host[1] = t;
                c.link[1] = tl;
                c.open[0] = c.open[1] = true;
                ends_[{e.host, e.link}] = id;
                ends_[{t, tl}] = id;
                dialer->connected(e.link);
                return;
            }
            case Event::kData: {
                Conn& c = conns_[e.conn];
                if (!c.open[e.side]) return;
                c.arrived[e.side] += e.data;
                schedule_read(e.conn, e.side);
                return;
            }
            case Event::kRead: {
                Conn& c = conns_[e.conn];
                c.read_scheduled[e.side] = false;
                deliver(e.conn, e.side);
                return;
            }
            case Event::kDown: {
                Conn& c = conns_[e.conn];
                if (!c.open[e.side] || !hosts_[std::size_t(c.host[e.side])].up) return;
                deliver(e.conn, e.side);  // bytes before the FIN are read first
                if (!c.open[e.side]) return;
                if (!c.arrived[e.side].empty()) {
                    push(clock.mono_ms() + 1, e);  // a paused reader sees the FIN later
                    return;
                }
                c.open[e.side] = false;
                ends_.erase({c.host[e.side], c.link[e.side]});
                dirty_.erase({c.host[e.side], c.link[e.side]});
                hosts_[std::size_t(c.host[e.side])].p->down(c.link[e.side], e.reason);
                return;
            }
        }
    }

    void schedule_read(int id, int side) {
        Conn& c = conns_[id];
        if (c.read_scheduled[side]) return;
        c.read_scheduled[side] = true;
        Event r;
        r.kind = Event::kRead;
        r.conn = id;
        r.side = side;
        push(clock.mono_ms(), std::move(r));
    }

    void deliver(int id, int side) {
        if (!hosts_[std::size_t(conns_[id].host[side])].up) return;  // frozen: reads nothing
        std::string data;
        data.swap(conns_[id].arrived[side]);
        // The writer toward this side may have room again.
        int o = 1 - side;
        auto b = blocked_.find({conns_[id].host[o], conns_[id].link[o]});
        if (b != blocked_.end()) {
            dirty_.insert(*b);
            blocked_.erase(b);
        }
        std::size_t pos = 0;
        while (pos < data.size()) {
            Conn& c = conns_[id];
            if (!c.open[side]) return;
            if (!hosts_[std::size_t(c.host[side])].up) return;
            Participant* p = hosts_[std::size_t(c.host[side])].p;
            std::size_t n = data.size() - pos;
            if (chunk_max > 0) n = std::min<std::size_t>(n, 1 + rng.below(chunk_max));
            std::size_t cap = std::min({n, sizeof read_buf_, p->read_room(c.link[side])});
            if (cap == 0) {
                // Paused: the rest stays in the socket buffer (and keeps the
                // writer blocked) until resume_reading().
                c.arrived[side].insert(0, data, pos, std::string::npos);
                break;
            }
            std::copy(data.data() + pos, data.data() + pos + cap, read_buf_);
            pos += cap;
            bytes_delivered += cap;
            c.unread[side] -= std::min(c.unread[side], cap);
            p->bytes(c.link[side], read_buf_, cap);
        }
    }

    int find_host(const std::string& ip, std::uint16_t port) const {
        for (std::size_t i = 0; i < hosts_.size(); ++i)
            if (hosts_[i].port != 0 && hosts_[i].ip == ip && hosts_[i].port == port)
                return static_cast<int>(i);
        return -1;
    }

    std::vector<Host> hosts_;
    std::map<int, Conn> conns_;
    std::map<std::pair<int, LinkId>, int> ends_;
    std::set<std::pair<int, LinkId>> dials_;
    std::set<std::pair<int, LinkId>> dirty_;
    std::set<std::pair<int, LinkId>> blocked_;  // writers waiting for buffer room
    std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>> events_;
    std::uint64_t seq_ = 0;
    int next_conn_ = 1;
    std::uint16_t next_port_ = 40000;
    char read_buf_[64 * 1024];  // the one shared read buffer, like the real host
};

}  // namespace p2p::sim
