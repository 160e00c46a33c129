// Benchmark (not a test): what one relay hop costs. Three real p2pchat
// nodes over loopback, alice – relay – bob, where alice and bob are never
// linked directly: each has only a static --peer link to the relay and the
// rendezvous address is a dead port, so neither ever learns the other's
// address (no flag is needed to stop a dial; there is nothing to dial).
//   1. SEND+ACK throughput through the relay: for D seconds alice sends
//      /msg to bob with up to W typed ahead, then waits for the last
//      answers; delivered messages per second of the whole run. The same
//      run to the relay itself (one direct hop) gives the baseline. A run
//      of fixed duration (not a fixed count) measures a sustained rate even
//      when the relay's per-origin quota refuses most of a burst.
//   2. Latency from writing /msg on alice's stdin to alice's `delivered`
//      line (the full round trip: SEND out, ACK back), one message at a
//      time, relayed (to bob) and direct (to the relay); p50/p99, and the
//      difference, which is what the hop adds.
//
// The relay limits what it forwards per origin and second (`over_quota`);
// those refusals are counted, not hidden. Latency samples are paced
// (--pace-ms, default 25 ms = 40/s) to stay under the default quota, so they
// measure the hop and not the limiter. --relay-arg passes a flag to the
// relay's command line (repeatable), e.g. to change its limits.
//
// Usage: bench_relay_bench [--seconds D] [--window W] [--samples S]
//                          [--pace-ms P] [--relay-arg FLAG]...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/bench_stats.h"
#include "tests/support/node_process.h"

using namespace p2p::test;
using Clock = p2p::test::BenchClock;
using p2p::test::ms_since;
using p2p::test::percentile;

namespace {

struct Args {
    int seconds = 3;
    int window = 32;
    int samples = 200;
    int pace_ms = 25;
    std::vector<std::string> relay_args;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        int v = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--relay-arg"))
            a.relay_args.push_back(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--pace-ms"))
            a.pace_ms = std::max(0, v);
        else if (!std::strcmp(argv[i], "--seconds"))
            a.seconds = v;
        else if (!std::strcmp(argv[i], "--window"))
            a.window = v;
        else if (!std::strcmp(argv[i], "--samples"))
            a.samples = v;
        else
            std::fprintf(stderr, "ignoring unknown argument %s\n", argv[i]);
    }
    a.window = std::max(1, a.window);
    a.seconds = std::max(1, a.seconds);
    a.samples = std::max(1, a.samples);
    return a;
}

// The last lines of a node's stdout, enough to see why a run stopped.
std::string tail(NodeProcess& node, std::size_t n = 20) {
    auto lines = node.proc().lines();
    std::string out;
    for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
        out += "  " + lines[i] + "\n";
    return out;
}

int count_over_quota(NodeProcess& node) {
    int n = 0;
    for (const auto& l : node.proc().lines())
        n += l.rfind("undelivered ", 0) == 0 && l.find(": over_quota") != std::string::npos;
    return n;
}

struct Run {
    double rate = -1;  // delivered per second; < 0: the run stalled
    int typed = 0;
    int delivered = 0;
    int failed = 0;  // `undelivered`
};

// /msg from `from` to `to` for `seconds`, up to `window` outstanding.
Run throughput(NodeProcess& from, const std::string& to, const Args& args, const std::string& tag) {
    Run r;
    int& typed = r.typed;
    int& delivered = r.delivered;
    int* failed = &r.failed;
    auto start = Clock::now();
    auto stop_typing = start + std::chrono::seconds(args.seconds);
    std::string done_re = "^(delivered|undelivered) \\S+ to " + regex_escape(to);
    while (delivered + *failed < typed || Clock::now() < stop_typing) {
        while (Clock::now() < stop_typing && typed - delivered - *failed < args.window)
            from.command("/msg " + to + " " + tag + std::to_string(typed++));
        std::vector<std::string> g;
        if (!from.expect(done_re, std::chrono::seconds(30), &g)) {
            std::fprintf(stderr, "%s: stalled after %d delivered\n%s", tag.c_str(), delivered,
                         tail(from).c_str());
            return r;
        }
        (g[1] == "delivered" ? delivered : *failed)++;
    }
    r.rate = delivered / (ms_since(start) / 1000.0);
    return r;
}

// One /msg at a time, `pace_ms` apart: ms from writing it to its `delivered` line.
bool round_trips(NodeProcess& from, const std::string& to, int samples, int pace_ms,
                 const std::string& tag, std::vector<double>* out) {
    std::string done_re = "^(delivered|undelivered) \\S+ to " + regex_escape(to);
    auto next = Clock::now();
    for (int i = 0; i < samples; ++i) {
        std::this_thread::sleep_until(next);  // pacing, not synchronisation
        next = Clock::now() + std::chrono::milliseconds(pace_ms);
        auto t0 = Clock::now();
        from.command("/msg " + to + " " + tag + std::to_string(i));
        std::vector<std::string> g;
        if (!from.expect(done_re, std::chrono::seconds(30), &g) || g[1] != "delivered") {
            std::fprintf(stderr, "%s sample %d not delivered\n%s", tag.c_str(), i,
                         tail(from).c_str());
            return false;
        }
        out->push_back(ms_since(t0));
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Args args = parse(argc, argv);
    DeadPort no_rendezvous;
    NodeProcess relay, alice, bob;
    NodeConfig cr;
    cr.name = "relay";
    cr.rendezvous_port = no_rendezvous.port();
    cr.extra_args = args.relay_args;
    std::string err;
    if (!relay.start(cr, &err)) {
        std::fprintf(stderr, "relay did not start: %s\n", err.c_str());
        return 1;
    }
    NodeConfig ca = cr;
    ca.extra_args.clear();
    ca.name = "alice";
    ca.peers = {relay.address()};
    NodeConfig cb = ca;
    cb.name = "bob";
    if (!alice.start(ca, &err) || !bob.start(cb, &err)) {
        std::fprintf(stderr, "alice or bob did not start: %s\n", err.c_str());
        return 1;
    }
    if (!alice.wait_link_up("relay@CIC") || !bob.wait_link_up("relay@CIC")) {
        std::fprintf(stderr, "no links to the relay\n%s\n%s\n", alice.dump().c_str(),
                     bob.dump().c_str());
        return 1;
    }

    // The first relayed message pays for route discovery (WHO_HAS, up to 3 s):
    // send it before measuring.
    std::vector<double> warmup;
    if (!round_trips(alice, "bob@CIC", 1, 0, "warm", &warmup)) return 1;
    std::printf("first relayed message (incl. route discovery): %.2f ms\n", warmup[0]);

    Run relayed_run = throughput(alice, "bob@CIC", args, "r");
    int over_quota = count_over_quota(alice);
    Run direct_run = throughput(alice, "relay@CIC", args, "d");
    if (relayed_run.rate < 0 || direct_run.rate < 0) return 1;
    // Every delivered relayed message was shown by bob, once.
    int shown = 0;
    for (const auto& l : bob.proc().lines())
        shown += l.rfind("msg alice@CIC: r", 0) == 0;
    if (shown != relayed_run.delivered) {
        std::fprintf(stderr, "bob showed %d relayed messages, alice counted %d delivered\n", shown,
                     relayed_run.delivered);
        return 1;
    }
    std::printf(
        "throughput through 1 relay hop: %.0f msg/s delivered with ACK (%d s, window %d: "
        "%d typed, %d delivered, %d undelivered, %d of them over_quota)\n",
        relayed_run.rate, args.seconds, args.window, relayed_run.typed, relayed_run.delivered,
        relayed_run.failed, over_quota);
    std::printf(
        "throughput direct (baseline):   %.0f msg/s delivered with ACK (%d s, window %d: "
        "%d typed, %d delivered, %d undelivered)\n",
        direct_run.rate, args.seconds, args.window, direct_run.typed, direct_run.delivered,
        direct_run.failed);

    // Let the relay's per-second quota window pass before the paced samples.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::vector<double> relayed, direct;
    if (!round_trips(alice, "bob@CIC", args.samples, args.pace_ms, "lr", &relayed) ||
        !round_trips(alice, "relay@CIC", args.samples, args.pace_ms, "ld", &direct))
        return 1;
    double r50 = percentile(relayed, 50), r99 = percentile(relayed, 99);
    double d50 = percentile(direct, 50), d99 = percentile(direct, 99);
    std::printf("/msg -> delivered, relayed: p50 %.2f ms, p99 %.2f ms (%d samples, %d ms apart)\n",
                r50, r99, args.samples, args.pace_ms);
    std::printf("/msg -> delivered, direct:  p50 %.2f ms, p99 %.2f ms (%d samples, %d ms apart)\n",
                d50, d99, args.samples, args.pace_ms);
    std::printf("added by the relay hop:     p50 %.2f ms, p99 %.2f ms\n", r50 - d50, r99 - d99);

    // The relay really carried them: bob saw alice's messages without a link to her.
    if (bob.saw("^link alice@CIC up") || alice.saw("^link bob@CIC up")) {
        std::fprintf(stderr, "alice and bob linked directly: the figures are not relayed\n");
        return 1;
    }
    alice.quit();
    bob.quit();
    relay.quit();
    return 0;
}
