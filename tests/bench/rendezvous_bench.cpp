// Benchmark (not a test): rendezvous requests per second with one request per
// connection, as real clients use the server, at several concurrencies, and
// the server's resident memory.
//
//   bench_rendezvous_bench [--connect HOST:PORT] [--seconds S]
//                          [--concurrency 1,16,64,256] [--request register|discover]
//                          [--peers N] [--long-names]
//
// Without --connect it starts `p2pchat rendezvous` itself on 127.0.0.1 with
// the rate limit off (every connection comes from one IP) and no db file, and
// reports its VmRSS/VmHWM and the CPU it used per request (user + system, from
// /proc: wall time says little on a loaded machine). --peers N registrations
// (10 by default) are what a DISCOVER lists; --long-names gives them 64-byte
// names and namespace, so 7200 of them make the ~1.5 MiB answer of issue 14.5. The client is one
// thread driving all connections with epoll, so the figure is the server's, not the client's thread
// scheduling.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/request_load.h"
#include "tests/support/tcp_client.h"

namespace {

using namespace std::chrono_literals;

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    double seconds = 2.0;
    std::vector<int> concurrency = {1, 16, 64, 256};
    std::string request = "register";
    int peers = 10;
    bool long_names = false;
};

long status_kib(pid_t pid, const char* key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    std::size_t n = std::strlen(key);
    while (std::getline(in, line))
        if (line.compare(0, n, key) == 0) return std::strtol(line.c_str() + n, nullptr, 10);
    return -1;
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--connect") {
            std::string v = value();
            auto colon = v.rfind(':');
            if (colon == std::string::npos) return false;
            o.host = v.substr(0, colon);
            o.port = static_cast<std::uint16_t>(std::atoi(v.c_str() + colon + 1));
        } else if (a == "--seconds") {
            o.seconds = std::atof(value().c_str());
        } else if (a == "--concurrency") {
            o.concurrency.clear();
            std::stringstream ss(value());
            std::string item;
            while (std::getline(ss, item, ','))
                o.concurrency.push_back(std::atoi(item.c_str()));
        } else if (a == "--peers") {
            o.peers = std::atoi(value().c_str());
        } else if (a == "--long-names") {
            o.long_names = true;
        } else if (a == "--request") {
            o.request = value();
            if (o.request != "register" && o.request != "discover") return false;
        } else {
            return false;
        }
    }
    return o.seconds > 0 && !o.concurrency.empty() && o.peers >= 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr,
                     "usage: %s [--connect HOST:PORT] [--seconds S] [--concurrency 1,16,64,256] "
                     "[--request register|discover] [--peers N] [--long-names]\n",
                     argv[0]);
        return 2;
    }
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);

    p2p::test::Process server;
    if (o.port == 0) {
        std::string err;
        if (!server.start(P2PCHAT_BIN,
                          {"rendezvous", "--listen", "127.0.0.1:0", "--rate-limit", "0",
                           "--log-level", "ERROR"},
                          {}, &err)) {
            std::fprintf(stderr, "cannot start %s: %s\n", P2PCHAT_BIN, err.c_str());
            return 1;
        }
        std::vector<std::string> groups;
        if (!server.wait_for_line(R"(^listening on 127\.0\.0\.1:(\d+)$)", 15s,
                                  p2p::test::Stream::kStdout, &groups)) {
            std::fprintf(stderr, "server did not start:\n%s", server.dump().c_str());
            return 1;
        }
        o.port = static_cast<std::uint16_t>(std::stoi(groups[1]));
    }

    // DISCOVER needs a registration from our IP; give it --peers peers to list.
    const std::string ns = o.long_names ? std::string(64, 'n') : std::string("bench");
    auto name_of = [&](int i) {
        std::string name = "peer" + std::to_string(i);
        if (o.long_names) name.resize(64, 'x');
        return name;
    };
    for (int i = 0; i < o.peers; ++i) {
        p2p::test::request_line(o.port, R"({"type":"REGISTER","namespace":")" + ns +
                                            R"(","name":")" + name_of(i) + R"(","port":)" +
                                            std::to_string(7000 + i % 50000) + "}");
    }
    std::string request = o.request == "register" ? R"({"type":"REGISTER","namespace":")" + ns +
                                                        R"(","name":")" + name_of(0) +
                                                        R"(","port":7000})"
                                                        "\n"
                                                  : R"({"type":"DISCOVER","namespace":")" + ns +
                                                        R"("})"
                                                        "\n";

    std::printf("rendezvous %s on %s:%u, one request per connection, %.1f s per level\n",
                o.request.c_str(), o.host.c_str(), o.port, o.seconds);
    if (server.pid() > 0)
        std::printf("server RSS at start: %ld KiB\n", p2p::test::rss_kib(server.pid()));
    std::printf("%12s %12s %10s %14s %18s\n", "concurrency", "requests/s", "failed",
                "server RSS KiB", "server CPU us/req");
    for (int conc : o.concurrency) {
        double cpu_before = server.pid() > 0 ? p2p::test::cpu_seconds(server.pid()) : 0;
        p2p::test::LoadResult r =
            p2p::test::run_request_load(o.host, {o.port}, conc, o.seconds, request);
        long rss = server.pid() > 0 ? p2p::test::rss_kib(server.pid()) : -1;
        double cpu = server.pid() > 0 ? p2p::test::cpu_seconds(server.pid()) - cpu_before : 0;
        std::printf("%12d %12.0f %10ld %14ld %18.1f\n", conc, r.per_second(), r.failed, rss,
                    r.done > 0 ? cpu * 1e6 / static_cast<double>(r.done) : 0.0);
        std::fflush(stdout);
    }
    if (server.pid() > 0)
        std::printf("server peak RSS (VmHWM): %ld KiB\n", status_kib(server.pid(), "VmHWM:"));
    return 0;
}
