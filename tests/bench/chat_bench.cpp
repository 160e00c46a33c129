// Benchmark (not a test): two real p2pchat nodes linked over loopback.
//   1. SEND+ACK throughput: alice sends N /msg to bob with up to W typed
//      ahead; messages per second until every one is `delivered`.
//   2. /msg-to-display latency: one message at a time, from writing the
//      /msg line to alice's stdin until bob's stdout shows it; p50/p99.
//
// Usage: bench_chat_bench [--messages N] [--window W] [--samples S]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/bench_stats.h"
#include "tests/support/node_process.h"

using namespace p2p::test;
using Clock = p2p::test::BenchClock;
using p2p::test::ms_since;
using p2p::test::percentile;

namespace {

struct Args {
    int messages = 2000;
    int window = 32;
    int samples = 200;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        int v = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--messages"))
            a.messages = v;
        else if (!std::strcmp(argv[i], "--window"))
            a.window = v;
        else if (!std::strcmp(argv[i], "--samples"))
            a.samples = v;
        else
            std::fprintf(stderr, "ignoring unknown argument %s\n", argv[i]);
    }
    a.window = std::max(1, a.window);
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    Args args = parse(argc, argv);
    DeadPort no_rendezvous;
    NodeProcess alice, bob;
    NodeConfig ca;
    ca.name = "alice";
    ca.rendezvous_port = no_rendezvous.port();
    std::string err;
    if (!alice.start(ca, &err)) {
        std::fprintf(stderr, "alice did not start: %s\n", err.c_str());
        return 1;
    }
    NodeConfig cb = ca;
    cb.name = "bob";
    cb.peers = {alice.address()};
    if (!bob.start(cb, &err)) {
        std::fprintf(stderr, "bob did not start: %s\n", err.c_str());
        return 1;
    }
    if (!alice.wait_link_up("bob@CIC") || !bob.wait_link_up("alice@CIC")) {
        std::fprintf(stderr, "no link\n%s\n%s\n", alice.dump().c_str(), bob.dump().c_str());
        return 1;
    }

    // ---- throughput ----
    int typed = 0, delivered = 0, failed = 0;
    auto start = Clock::now();
    while (delivered + failed < args.messages) {
        while (typed < args.messages && typed - delivered - failed < args.window)
            alice.command("/msg bob@CIC t" + std::to_string(typed++));
        std::vector<std::string> g;
        auto line = alice.expect("^(delivered|undelivered) ", std::chrono::seconds(30), &g);
        if (!line) {
            std::fprintf(stderr, "stalled after %d delivered\n%s\n", delivered,
                         alice.dump().c_str());
            return 1;
        }
        (g[1] == "delivered" ? delivered : failed)++;
    }
    double secs = ms_since(start) / 1000.0;
    // Sanity: the figures count only what bob really showed.
    int shown = 0;
    for (const auto& line : bob.proc().lines())
        if (line.rfind("msg alice@CIC: t", 0) == 0) ++shown;
    if (shown != delivered) {
        std::fprintf(stderr, "bob showed %d messages but %d were delivered\n", shown, delivered);
        return 1;
    }
    std::printf("throughput: %d SEND+ACK in %.2f s = %.0f msg/s (window %d, %d undelivered)\n",
                delivered, secs, delivered / secs, args.window, failed);

    // ---- latency ----
    std::vector<double> lat;
    std::vector<double> acked;  // SEND -> ACK as alice herself measured it
    for (int i = 0; i < args.samples; ++i) {
        std::string text = "lat" + std::to_string(i);
        auto t0 = Clock::now();
        alice.command("/msg bob@CIC " + text);
        if (!bob.expect("^msg alice@CIC: " + text + "$", std::chrono::seconds(30))) {
            std::fprintf(stderr, "sample %d never shown\n%s\n", i, bob.dump().c_str());
            return 1;
        }
        lat.push_back(ms_since(t0));
        // Wait for its ACK too, so samples do not queue behind each other.
        std::vector<std::string> g;
        if (alice.expect("^delivered \\S+ to bob@CIC \\(([0-9.]+) ms\\)", std::chrono::seconds(30),
                         &g))
            acked.push_back(std::stod(g[1]));
    }
    std::printf("latency /msg -> display: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)\n",
                percentile(lat, 50), percentile(lat, 99), percentile(lat, 100), args.samples);
    std::printf("SEND -> ACK as the sending node reports it: p50 %.2f ms, p99 %.2f ms\n",
                percentile(acked, 50), percentile(acked, 99));
    alice.quit();
    bob.quit();
    return 0;
}
