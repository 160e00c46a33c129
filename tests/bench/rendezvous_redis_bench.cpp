// Benchmark (not a test): the rendezvous with its registry in Redis (issue 18).
// Requests per second, one request per connection, for
//   limit      a bare accept / read a line / answer / close loop on one thread (this
//              program's, no registry at all): what the machine allows any server
//   memory     `p2pchat rendezvous` with its registry in its own memory
//   redis x1   one front-end with --registry on a real redis-server
//   redis x2   two front-ends on the same redis-server, connections alternating
// each the median of --runs runs, with the ratio to the limit and the CPU the servers
// (front-ends + redis-server) used per request. Then what one registration costs in
// Redis memory (used_memory before and after --memory-peers registrations, and
// MEMORY USAGE of the structures).
//
//   bench_rendezvous_redis_bench [--seconds S] [--runs N] [--concurrency C]
//                                [--request register|discover] [--memory-peers N]
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/request_load.h"
#include "tests/support/tcp_client.h"

namespace {

using namespace std::chrono_literals;

struct Options {
    double seconds = 2.0;
    int runs = 3;
    int concurrency = 32;
    std::string request = "register";
    int memory_peers = 1000;
};

// The limit: accept, read until '\n', write a fixed answer, close; one thread, epoll.
class LimitServer {
  public:
    LimitServer() {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(listen_fd_, 1024);
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { loop(); });
    }
    ~LimitServer() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    void loop() {
        int ep = ::epoll_create1(EPOLL_CLOEXEC);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = listen_fd_;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd_, &ev);
        const char answer[] =
            "{\"status\":\"OK\",\"ttl\":7200,\"ip\":\"127.0.0.1\",\"port\":7000}\n";
        char buf[4096];
        epoll_event events[256];
        while (!stop_) {
            int n = ::epoll_wait(ep, events, 256, 50);
            for (int i = 0; i < n; ++i) {
                int fd = events[i].data.fd;
                if (fd == listen_fd_) {
                    for (int k = 0; k < 256; ++k) {
                        int c =
                            ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (c < 0) break;
                        epoll_event cev{};
                        cev.events = EPOLLIN;
                        cev.data.fd = c;
                        ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    }
                    continue;
                }
                ssize_t got = ::recv(fd, buf, sizeof buf, 0);
                if (got > 0 && !std::memchr(buf, '\n', static_cast<std::size_t>(got))) continue;
                if (got > 0) ::send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL);
                ::close(fd);  // also takes it out of the epoll set
            }
        }
        ::close(ep);
    }

    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

std::unique_ptr<p2p::test::Process> start_frontend(const std::vector<std::string>& extra,
                                                   std::uint16_t* port) {
    auto p = std::make_unique<p2p::test::Process>();
    std::vector<std::string> args = {"rendezvous", "--listen",    "127.0.0.1:0", "--rate-limit",
                                     "0",          "--log-level", "ERROR"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string err;
    if (!p->start(P2PCHAT_BIN, args, {}, &err)) {
        std::fprintf(stderr, "cannot start %s: %s\n", P2PCHAT_BIN, err.c_str());
        std::exit(1);
    }
    std::vector<std::string> groups;
    if (!p->wait_for_line(R"(^listening on 127\.0\.0\.1:(\d+)$)", 15s, p2p::test::Stream::kStdout,
                          &groups)) {
        std::fprintf(stderr, "server did not start:\n%s", p->dump().c_str());
        std::exit(1);
    }
    *port = static_cast<std::uint16_t>(std::stoi(groups[1]));
    return p;
}

std::string register_line(int i) {
    return R"({"type":"REGISTER","namespace":"bench","name":"peer)" + std::to_string(i) +
           R"(","port":)" + std::to_string(7000 + i % 50000) + "}";
}

struct Figure {
    double per_second = 0;
    double cpu_us = 0;        // the front-ends' CPU per request
    double redis_cpu_us = 0;  // redis-server's
    long failed = 0;
};

// One case: where its requests go, and whose CPU counts.
struct Case {
    const char* name;
    std::vector<std::uint16_t> ports;
    std::vector<pid_t> frontends;
    pid_t redis = 0;
    std::vector<Figure> runs;
};

double cpu_of(const std::vector<pid_t>& pids) {
    double sum = 0;
    for (pid_t pid : pids)
        sum += p2p::test::cpu_seconds(pid);
    return sum;
}

Figure measure_once(const Options& o, const Case& c, const std::string& request) {
    double front_before = cpu_of(c.frontends);
    double redis_before = c.redis ? p2p::test::cpu_seconds(c.redis) : 0;
    p2p::test::LoadResult r =
        p2p::test::run_request_load("127.0.0.1", c.ports, o.concurrency, o.seconds, request);
    double front = cpu_of(c.frontends) - front_before;
    double redis = c.redis ? p2p::test::cpu_seconds(c.redis) - redis_before : 0;
    double per = r.done > 0 ? 1e6 / static_cast<double>(r.done) : 0;
    return {r.per_second(), front * per, redis * per, r.failed};
}

Figure median(std::vector<Figure> figures) {
    std::sort(figures.begin(), figures.end(),
              [](const Figure& a, const Figure& b) { return a.per_second < b.per_second; });
    return figures[figures.size() / 2];
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--seconds") {
            o.seconds = std::atof(value().c_str());
        } else if (a == "--runs") {
            o.runs = std::atoi(value().c_str());
        } else if (a == "--concurrency") {
            o.concurrency = std::atoi(value().c_str());
        } else if (a == "--memory-peers") {
            o.memory_peers = std::atoi(value().c_str());
        } else if (a == "--request") {
            o.request = value();
            if (o.request != "register" && o.request != "discover") return false;
        } else {
            return false;
        }
    }
    return o.seconds > 0 && o.runs >= 1 && o.concurrency >= 1 && o.memory_peers >= 1;
}

long used_memory(p2p::test::RedisServer& redis) {
    std::string info = redis.cli("INFO memory");
    auto at = info.find("used_memory:");
    return at == std::string::npos ? -1 : std::atol(info.c_str() + at + 12);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr,
                     "usage: %s [--seconds S] [--runs N] [--concurrency C] "
                     "[--request register|discover] [--memory-peers N]\n",
                     argv[0]);
        return 2;
    }
    p2p::test::RedisServer redis;
    std::string err;
    if (!redis.start(&err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    // redis-server's pid, for its CPU: the one listening on our port.
    std::string server_info = redis.cli("INFO server");
    auto pid_at = server_info.find("process_id:");
    pid_t redis_pid =
        pid_at == std::string::npos ? 0 : static_cast<pid_t>(std::atol(&server_info[pid_at + 11]));

    std::uint16_t mem_port = 0, r1 = 0, r2 = 0;
    auto memory = start_frontend({}, &mem_port);
    auto front1 = start_frontend({"--registry", redis.url()}, &r1);
    auto front2 = start_frontend({"--registry", redis.url()}, &r2);
    // DISCOVER needs a registration from our address, and lists 10 peers.
    for (std::uint16_t port : {mem_port, r1})
        for (int i = 0; i < 10; ++i)
            p2p::test::request_line(port, register_line(i));
    std::string request =
        (o.request == "register" ? register_line(0)
                                 : std::string(R"({"type":"DISCOVER","namespace":"bench"})")) +
        "\n";

    std::printf(
        "rendezvous %s, one request per connection, concurrency %d, median of %d "
        "runs of %.1f s\n",
        o.request.c_str(), o.concurrency, o.runs, o.seconds);
    std::printf("%-12s %12s %8s %8s %20s %18s\n", "case", "requests/s", "ratio", "failed",
                "front-end CPU us/req", "redis CPU us/req");
    // The cases take turns within each run, so a moment of load on the shared machine
    // falls on all of them rather than on one.
    LimitServer limit;
    std::vector<Case> cases = {
        {"limit", {limit.port()}, {}, 0, {}},
        {"memory", {mem_port}, {memory->pid()}, 0, {}},
        {"redis x1", {r1}, {front1->pid()}, redis_pid, {}},
        {"redis x2", {r1, r2}, {front1->pid(), front2->pid()}, redis_pid, {}},
    };
    for (int run = 0; run < o.runs; ++run)
        for (Case& c : cases)
            c.runs.push_back(measure_once(o, c, request));
    Figure limit_figure = median(cases[0].runs);
    for (const Case& c : cases) {
        Figure f = median(c.runs);
        char cpu_text[32] = "-", redis_text[32] = "-";
        if (!c.frontends.empty()) std::snprintf(cpu_text, sizeof cpu_text, "%.1f", f.cpu_us);
        if (c.redis) std::snprintf(redis_text, sizeof redis_text, "%.1f", f.redis_cpu_us);
        std::printf("%-12s %12.0f %8.2f %8ld %20s %18s\n", c.name, f.per_second,
                    limit_figure.per_second > 0 ? f.per_second / limit_figure.per_second : 0.0,
                    f.failed, cpu_text, redis_text);
    }
    std::fflush(stdout);

    // Memory per registration: 64-byte names would be the worst case; these are the
    // short names real clients use ("peerN" in namespace "bench", from one address).
    long before = used_memory(redis);
    for (int i = 0; i < o.memory_peers; ++i)
        p2p::test::request_line(r1, register_line(100'000 + i));
    long after = used_memory(redis);
    std::printf(
        "\nRedis used_memory: %ld -> %ld bytes for %d more registrations: %.0f bytes "
        "each\n",
        before, after, o.memory_peers, static_cast<double>(after - before) / o.memory_peers);
    for (const char* key :
         {"p2pchat:rdv:exp", "p2pchat:rdv:all", "p2pchat:rdv:o:bench", "p2pchat:rdv:r"})
        std::printf("MEMORY USAGE %-22s %s bytes\n", key,
                    redis.cli(std::string("MEMORY USAGE ") + key + " SAMPLES 0").c_str());
    std::printf("registrations: %s\n", redis.cli("ZCARD p2pchat:rdv:exp").c_str());
    return 0;
}
