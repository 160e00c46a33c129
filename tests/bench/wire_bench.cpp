// Benchmark (not a test): the node under load from clients that speak the
// protocol directly over TCP (no console in the path), one real p2pchat
// process in the middle:
//   send   direct SEND+ACK: one client, W SENDs in flight, to the node itself;
//   relay  SEND through one relay hop: alice -> node -> bob, bob ACKs each
//          SEND, the node passes the ACK back; W in flight;
//   pub    PUB fan-out: one publisher writes PUB * as fast as TCP lets it, the
//          node floods them to S subscribers that read as fast as they can.
// Each case reports messages per second, latency percentiles (send to ACK;
// for PUB, publisher write to subscriber read), losses (no ACK within the
// grace; PUB copies a subscriber never got), the node's CPU time per message
// (/proc), and a "limit": the same clients through a forwarder thread that
// moves the same bytes without parsing them (an echo, a pipe, a 1-to-S copy)
// — what the machine does with no work of ours — and the ratio.
//
// Usage: bench_wire_bench [--case send|relay|pub|all] [--count N]
//                         [--window W] [--subscribers S] [--runs R]
//                         [--old-flags 1]  (a p2pchat built before --relay-rate-link)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tests/support/bench_stats.h"
#include "tests/support/node_process.h"
#include "tests/support/process.h"

using namespace p2p::test;

namespace {

struct Args {
    std::string which = "all";
    int count = 50'000;
    int window = 256;
    int subscribers = 4;
    int runs = 3;
    bool old_flags = false;  // the node binary predates --relay-rate-link
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               BenchClock::now().time_since_epoch())
        .count();
}

int dial(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool write_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads lines from fd until stop() or EOF / `idle_ms` of silence.
template <class OnLine>
void read_lines(int fd, int idle_ms, OnLine&& on_line) {
    std::string buf;
    char chunk[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, idle_ms) <= 0) return;
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<std::size_t>(n));
        std::size_t pos = 0, nl;
        while ((nl = buf.find('\n', pos)) != std::string::npos) {
            if (!on_line(std::string_view(buf).substr(pos, nl - pos))) return;
            pos = nl + 1;
        }
        buf.erase(0, pos);
    }
}

// The value of "key":"..." in a line (no escapes in what we look for).
std::string_view field(std::string_view line, std::string_view key) {
    std::string pat = "\"" + std::string(key) + "\":\"";
    std::size_t at = line.find(pat);
    if (at == std::string_view::npos) return {};
    at += pat.size();
    std::size_t end = line.find('"', at);
    return end == std::string_view::npos ? std::string_view() : line.substr(at, end - at);
}

std::string hello(std::string_view id) {
    return "{\"type\":\"HELLO\",\"peer_id\":\"" + std::string(id) +
           "\",\"version\":\"1.0\",\"features\":[\"ack\",\"relay\"],\"ttl\":1}\n";
}

// HELLO, then the HELLO_OK (skipped for the forwarder, which speaks nothing).
int join(std::uint16_t port, std::string_view id, bool handshake) {
    int fd = dial(port);
    if (fd < 0 || !handshake) return fd;
    write_all(fd, hello(id));
    bool ok = false;
    read_lines(fd, 5000, [&](std::string_view line) {
        ok = line.find("HELLO_OK") != std::string_view::npos;
        return false;
    });
    return ok ? fd : -1;
}

// ---- the limit: a forwarder that moves bytes without looking at them -------------------

enum class Shape { kEcho, kPipe, kFanout };

class Forwarder {
  public:
    Forwarder(Shape shape, int outputs)
        : shape_(shape), want_(shape == Shape::kEcho ? 1 : 1 + outputs) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd_, 16);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~Forwarder() {
        stop_ = true;
        thread_.join();
        for (int c : conns_)
            ::close(c);
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    void run() {
        while (static_cast<int>(conns_.size()) < want_ && !stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            int c = ::accept(fd_, nullptr, nullptr);
            int one = 1;
            ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conns_.push_back(c);
        }
        char buf[65536];
        while (!stop_) {
            std::vector<pollfd> ps;
            for (int c : conns_)
                ps.push_back(pollfd{c, POLLIN, 0});
            if (::poll(ps.data(), ps.size(), 100) <= 0) continue;
            for (std::size_t i = 0; i < ps.size(); ++i) {
                if (!(ps[i].revents & POLLIN)) continue;
                ssize_t n = ::recv(ps[i].fd, buf, sizeof buf, 0);
                if (n <= 0) return;
                std::string s(buf, static_cast<std::size_t>(n));
                if (shape_ == Shape::kEcho) write_all(conns_[0], s);
                if (shape_ == Shape::kPipe) write_all(conns_[1 - i], s);
                if (shape_ == Shape::kFanout && i == 0)
                    for (std::size_t k = 1; k < conns_.size(); ++k)
                        write_all(conns_[k], s);
            }
        }
    }

    Shape shape_;
    int want_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::vector<int> conns_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// ---- the cases ----------------------------------------------------------------------------

struct Result {
    double msg_per_s = 0;
    double p50_ms = 0, p99_ms = 0;
    long lost = 0;
    long relay_fail = 0;
    double cpu_us_per_msg = -1;  // the node's; -1 for the forwarder
};

std::string send_line(int i, std::string_view src, std::string_view dst) {
    return "{\"type\":\"SEND\",\"msg_id\":\"m" + std::to_string(i) + "\",\"src\":\"" +
           std::string(src) + "\",\"dst\":\"" + std::string(dst) +
           "\",\"payload\":\"t=" + std::to_string(now_ns()) +
           " load message\",\"require_ack\":true,\"ttl\":1}\n";
}

// Case send / relay: W SENDs in flight from `from`; ACKs (or, for the
// forwarder, echoed SENDs) read on the same socket. `answerer` (relay case)
// reads the SENDs at bob and writes an ACK for each.
Result windowed_sends(int from, int answerer, const Args& a, std::string_view dst) {
    std::vector<std::int64_t> sent_at(static_cast<std::size_t>(a.count), 0);
    std::vector<double> lat;
    lat.reserve(static_cast<std::size_t>(a.count));
    std::atomic<int> acked{0};
    std::atomic<long> fails{0};
    std::thread bob;
    if (answerer >= 0)
        bob = std::thread([&] {
            read_lines(answerer, 3000, [&](std::string_view line) {
                std::string_view id = field(line, "msg_id");
                if (line.find("\"SEND\"") != std::string_view::npos)
                    write_all(answerer, "{\"type\":\"ACK\",\"msg_id\":\"" + std::string(id) +
                                            "\",\"from\":\"bob@CIC\",\"ttl\":1}\n");
                return true;
            });
        });
    auto t0 = BenchClock::now();
    std::thread reader([&] {
        read_lines(from, 3000, [&](std::string_view line) {
            if (line.find("RELAY_FAIL") != std::string_view::npos) ++fails;
            bool ack = line.find("\"ACK\"") != std::string_view::npos ||
                       line.find("\"SEND\"") != std::string_view::npos;  // the echo
            if (!ack) return true;
            std::string_view id = field(line, "msg_id");
            int i = std::atoi(std::string(id.substr(1)).c_str());
            if (i >= 0 && i < a.count && sent_at[static_cast<std::size_t>(i)] != 0) {
                lat.push_back(static_cast<double>(now_ns() - sent_at[static_cast<std::size_t>(i)]) /
                              1e6);
                sent_at[static_cast<std::size_t>(i)] = 0;
            }
            return ++acked < a.count;
        });
    });
    std::string batch;
    for (int i = 0; i < a.count; ++i) {
        while (i - acked.load() >= a.window - fails.load())
            std::this_thread::yield();
        if (!reader.joinable()) break;
        sent_at[static_cast<std::size_t>(i)] = now_ns();
        if (!write_all(from, send_line(i, "alice@CIC", dst))) break;
    }
    reader.join();
    double secs = ms_since(t0) / 1000.0;
    ::shutdown(from, SHUT_RDWR);
    if (answerer >= 0) {
        ::shutdown(answerer, SHUT_RDWR);
        bob.join();
    }
    Result r;
    r.msg_per_s = acked.load() / secs;
    r.p50_ms = percentile(lat, 50);
    r.p99_ms = percentile(lat, 99);
    r.lost = a.count - acked.load();
    r.relay_fail = fails.load();
    return r;
}

// Case pub: the publisher writes everything as fast as TCP lets it;
// subscribers count and time what they read.
Result fan_out(int publisher, const std::vector<int>& subs, const Args& a) {
    std::vector<std::vector<double>> lat(subs.size());
    std::vector<long> got(subs.size(), 0);
    std::vector<std::thread> readers;
    auto t0 = BenchClock::now();
    for (std::size_t k = 0; k < subs.size(); ++k)
        readers.emplace_back([&, k] {
            lat[k].reserve(static_cast<std::size_t>(a.count));
            read_lines(subs[k], 3000, [&](std::string_view line) {
                if (line.find("\"PUB\"") == std::string_view::npos) return true;
                std::string_view p = field(line, "payload");
                if (p.size() > 2)
                    lat[k].push_back(static_cast<double>(
                                         now_ns() - std::atoll(std::string(p.substr(2)).c_str())) /
                                     1e6);
                return ++got[k] < a.count;
            });
        });
    std::string batch;
    for (int i = 0; i < a.count; ++i) {
        batch += "{\"type\":\"PUB\",\"msg_id\":\"p" + std::to_string(i) +
                 "\",\"src\":\"publisher@CIC\",\"dst\":\"*\",\"payload\":\"t=" +
                 std::to_string(now_ns()) + " load\",\"require_ack\":false,\"ttl\":1}\n";
        if (batch.size() > 16 * 1024 || i + 1 == a.count) {
            if (!write_all(publisher, batch)) break;
            batch.clear();
        }
    }
    for (std::thread& t : readers)
        t.join();
    double secs = ms_since(t0) / 1000.0;
    Result r;
    std::vector<double> all;
    long slowest = a.count;
    for (std::size_t k = 0; k < subs.size(); ++k) {
        all.insert(all.end(), lat[k].begin(), lat[k].end());
        slowest = std::min(slowest, got[k]);
    }
    r.msg_per_s = slowest / secs;
    r.p50_ms = percentile(all, 50);
    r.p99_ms = percentile(all, 99);
    r.lost = a.count - slowest;
    return r;
}

// One run of a case, against the node (node == true) or the forwarder.
Result run_case(const std::string& which, const Args& a, bool node) {
    std::unique_ptr<DeadPort> dead;
    std::unique_ptr<NodeProcess> proc;
    std::unique_ptr<Forwarder> fwd;
    std::uint16_t port;
    if (node) {
        dead = std::make_unique<DeadPort>();
        NodeConfig c;
        c.name = "node";
        c.rendezvous_port = dead->port();
        c.extra_args = {"--relay-rate", "1000000",     "--max-relay-acks",
                        "65535",        "--log-level", "WARN"};
        if (!a.old_flags) {
            c.extra_args.push_back("--relay-rate-link");
            c.extra_args.push_back("1000000");
        }
        proc = std::make_unique<NodeProcess>();
        std::string err;
        if (!proc->start(c, &err)) {
            std::fprintf(stderr, "node: %s\n", err.c_str());
            std::exit(1);
        }
        port = proc->port();
    } else {
        Shape s = which == "send" ? Shape::kEcho : which == "relay" ? Shape::kPipe : Shape::kFanout;
        fwd = std::make_unique<Forwarder>(s, which == "relay" ? 1 : a.subscribers);
        port = fwd->port();
    }
    double cpu0 = node ? cpu_seconds(proc->proc().pid()) : 0;
    Result r;
    if (which == "send") {
        int fd = join(port, "alice@CIC", node);
        r = windowed_sends(fd, -1, a, "node@CIC");
        ::close(fd);
    } else if (which == "relay") {
        int alice = join(port, "alice@CIC", node);
        int bob = join(port, "bob@CIC", node);
        if (node) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        r = windowed_sends(alice, bob, a, "bob@CIC");
        ::close(alice);
        ::close(bob);
    } else {
        int publisher = join(port, "publisher@CIC", node);
        std::vector<int> subs;
        for (int k = 0; k < a.subscribers; ++k)
            subs.push_back(join(port, "sub" + std::to_string(k) + "@CIC", node));
        if (node) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        r = fan_out(publisher, subs, a);
        ::close(publisher);
        for (int s : subs)
            ::close(s);
    }
    if (node) r.cpu_us_per_msg = (cpu_seconds(proc->proc().pid()) - cpu0) * 1e6 / a.count;
    return r;
}

double median(std::vector<double> v) {
    return percentile(std::move(v), 50);
}

void report(const std::string& which, const Args& a) {
    std::vector<double> rate, p50, p99, cpu, lim;
    long lost = 0, fails = 0;
    for (int run = 0; run < a.runs; ++run) {
        Result n = run_case(which, a, true);
        Result f = run_case(which, a, false);
        rate.push_back(n.msg_per_s);
        p50.push_back(n.p50_ms);
        p99.push_back(n.p99_ms);
        cpu.push_back(n.cpu_us_per_msg);
        lim.push_back(f.msg_per_s);
        lost += n.lost;
        fails += n.relay_fail;
        std::printf(
            "  run %d: %.0f msg/s, p50 %.2f ms, p99 %.2f ms, lost %ld, relay_fail %ld, "
            "cpu %.2f us/msg; limit %.0f msg/s\n",
            run + 1, n.msg_per_s, n.p50_ms, n.p99_ms, n.lost, n.relay_fail, n.cpu_us_per_msg,
            f.msg_per_s);
    }
    double r = median(rate), l = median(lim);
    std::printf(
        "%-5s median of %d: %.0f msg/s, p50 %.2f ms, p99 %.2f ms, node cpu %.2f us/msg, "
        "lost %ld, relay_fail %ld (all runs); limit %.0f msg/s, ratio %.2f\n",
        which.c_str(), a.runs, r, median(p50), median(p99), median(cpu), lost, fails, l,
        l > 0 ? r / l : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--case")
            a.which = argv[i + 1];
        else if (k == "--count")
            a.count = std::max(1, std::atoi(argv[i + 1]));
        else if (k == "--window")
            a.window = std::max(1, std::atoi(argv[i + 1]));
        else if (k == "--subscribers")
            a.subscribers = std::max(1, std::atoi(argv[i + 1]));
        else if (k == "--runs")
            a.runs = std::max(1, std::atoi(argv[i + 1]));
        else if (k == "--old-flags")
            a.old_flags = std::atoi(argv[i + 1]) != 0;
    }
    std::printf("wire bench: %d messages, window %d, %d subscribers, %d runs\n", a.count, a.window,
                a.subscribers, a.runs);
    for (const char* c : {"send", "relay", "pub"})
        if (a.which == "all" || a.which == c) report(c, a);
    return 0;
}
