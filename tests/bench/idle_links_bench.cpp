// Benchmark (not a test): what an idle link costs a p2pchat node.
//   RSS (VmRSS from /proc/<pid>/status) of a freshly started idle node, then
//   with N idle links open (default 1000), each a raw TCP peer that dialed
//   the node and completed HELLO/HELLO_OK; per-link cost = the difference / N.
//
// Usage: bench_idle_links_bench [--links N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

using namespace p2p::test;
using namespace std::chrono_literals;

namespace {

// Every link is an fd here and one in the node (which inherits this limit).
bool raise_fd_limit(rlim_t want) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
    if (rl.rlim_cur >= want) return true;
    rl.rlim_cur = std::min(want, rl.rlim_max);
    return ::setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want;
}

// RSS once it has stopped moving (the node may still be finishing work).
long settled_rss(pid_t pid) {
    long prev = -1, cur = rss_kib(pid);
    for (int i = 0; i < 20 && cur != prev; ++i) {
        prev = cur;
        std::this_thread::sleep_for(100ms);  // a measurement pause, not synchronisation
        cur = rss_kib(pid);
    }
    return cur;
}

}  // namespace

int main(int argc, char** argv) {
    int links = 1000;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!std::strcmp(argv[i], "--links")) links = std::atoi(argv[i + 1]);
    if (!raise_fd_limit(static_cast<rlim_t>(links) * 2 + 256)) {
        std::fprintf(stderr, "cannot raise the fd limit to %d\n", links * 2 + 256);
        return 1;
    }
    DeadPort no_rendezvous;
    NodeConfig c;
    c.name = "idle";
    c.rendezvous_port = no_rendezvous.port();
    std::string err;

    // A node as people run it (default --max-peers), for the idle figure.
    long idle_default = -1;
    {
        NodeProcess plain;
        if (!plain.start(c, &err)) {
            std::fprintf(stderr, "node did not start: %s\n", err.c_str());
            return 1;
        }
        idle_default = settled_rss(plain.proc().pid());
        plain.quit();
    }

    // Room for every load link: the peer table and link slots are sized at
    // start, so this node's idle RSS already holds their arenas.
    // Every load link comes from 127.0.0.1: lift the per-address caps that
    // would otherwise (rightly) stop one address from holding 1000 links.
    c.extra_args = {"--max-peers",
                    std::to_string(links + 16),
                    "--max-peers-per-address",
                    std::to_string(links + 16),
                    "--max-handshakes-per-address",
                    std::to_string(links + 16)};
    NodeProcess node;
    if (!node.start(c, &err)) {
        std::fprintf(stderr, "node did not start: %s\n", err.c_str());
        return 1;
    }
    pid_t pid = node.proc().pid();
    long idle_sized = settled_rss(pid);

    std::vector<RawPeer> peers(static_cast<std::size_t>(links));
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < links; ++i) {
        RawPeer& p = peers[static_cast<std::size_t>(i)];
        if (!p.connect(node.port()) || !p.hello("load" + std::to_string(i) + "@CIC", {"ack"})) {
            std::fprintf(stderr, "link %d failed\n%s\n", i, node.dump().c_str());
            return 1;
        }
    }
    double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    long loaded = settled_rss(pid);

    // The figures mean something only if every link is still up: each one
    // must still answer a PING.
    for (int i = 0; i < links; ++i) {
        RawPeer& p = peers[static_cast<std::size_t>(i)];
        std::string id = "alive" + std::to_string(i);
        auto pong = p.send_raw(make_ping(id)) ? p.read_type("PONG", 10s) : std::nullopt;
        if (!pong || pong->str("msg_id") != id) {
            std::fprintf(stderr, "link %d no longer answers\n", i);
            return 1;
        }
    }
    std::printf("idle node RSS (default --max-peers): %ld KiB\n", idle_default);
    std::printf("idle node RSS (--max-peers %d): %ld KiB\n", links + 16, idle_sized);
    std::printf("with %d idle links: %ld KiB (opened in %.2f s, all answer PING)\n", links, loaded,
                open_s);
    std::printf("per idle link: %.2f KiB over the sized idle node, %.2f KiB over the default\n",
                static_cast<double>(loaded - idle_sized) / links,
                static_cast<double>(loaded - idle_default) / links);
    peers.clear();
    node.quit();
    return 0;
}
