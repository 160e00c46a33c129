// Benchmark (not a test): user-space instructions per message in the
// protocol engine (issue 17), counted by callgrind, so the figure is the same
// on every run of the same build (no timing, no scheduling, no other load).
//
// One Node ("node@CIC") is driven through its public API (core/node.h) with
// fake I/O: raw peers are links whose bytes the program writes straight into
// on_bytes() and whose output it takes with output()/consumed(), the clock is
// a ManualClock and the host keeps only counters. Lines arrive 16 to a read,
// as they do under load (64 in flight), and every queue is drained after
// each read. Only the Node's calls are counted (callgrind's collection is
// switched on around them): building the input is not.
//
//   direct  SEND in from a neighbour, addressed to the node: it shows the
//           message and answers ACK (1 line in, 1 out).
//   relay   SEND in from alice for bob, both neighbours: the node forwards
//           it to bob, bob's ACK comes in and goes back to alice (2 in, 2 out).
//   pub     PUB * in from a publisher, flooded to 4 subscribers and shown
//           (1 in, 4 out).
//
// Beside each case, the "limit": the same bytes through a loop that only
// finds msg_id (bounded memmem) and copies the answer / copies, no parser,
// as issue 17's C loop does. The ratio is node / limit.
//
// Run without arguments it re-runs itself under `valgrind --tool=callgrind`
// and prints the table; `--messages N` (default 2000); `--raw` prints only
// "case instructions_per_message" lines (what .ci/instructions compares).
// Under valgrind (the child) it runs the cases and dumps one profile each.
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/node.h"

namespace p2p {
namespace {

constexpr std::size_t kLinesPerRead = 16;
constexpr const char* kCases[] = {"direct", "relay", "pub"};

struct CountingHost final : NodeHost {
    long events[16] = {};
    bool dial(LinkId, std::string_view, std::uint16_t) override { return false; }
    void close_link(LinkId) override {}
    void want_write(LinkId) override {}
    void emit(const NodeEvent& e) override { ++events[static_cast<int>(e.kind)]; }
    void quit_complete() override {}
};

NodeConfig bench_config() {
    NodeConfig c;
    c.name = "node";
    c.ns = "CIC";
    c.relay_rate_per_origin = 1'000'000'000;  // the hop, not the limiter
    c.relay_rate_per_link = 1'000'000'000;
    c.max_relay_acks = 65'535;
    return c;
}

std::string hello(const std::string& id) {
    return "{\"type\":\"HELLO\",\"peer_id\":\"" + id +
           "\",\"version\":\"1.0\",\"features\":[\"ack\",\"relay\"],\"ttl\":1}\n";
}
std::string send_line(int i, const char* src, const char* dst) {
    return "{\"type\":\"SEND\",\"msg_id\":\"m" + std::to_string(i) + "\",\"src\":\"" + src +
           "\",\"dst\":\"" + dst +
           "\",\"payload\":\"a load message of a typical length, about sixty bytes\","
           "\"require_ack\":true,\"ttl\":1}\n";
}
std::string ack_line(int i) {
    return "{\"type\":\"ACK\",\"msg_id\":\"m" + std::to_string(i) +
           "\",\"from\":\"bob@CIC\",\"ttl\":1}\n";
}
std::string pub_line(int i) {
    return "{\"type\":\"PUB\",\"msg_id\":\"p" + std::to_string(i) +
           "\",\"src\":\"publisher@CIC\",\"dst\":\"*\",\"payload\":\"news for everyone, "
           "about forty bytes\",\"require_ack\":false,\"ttl\":1}\n";
}

// Reads of kLinesPerRead lines each, cut at line ends.
std::vector<std::string> reads_of(const std::vector<std::string>& lines) {
    std::vector<std::string> reads;
    for (std::size_t i = 0; i < lines.size(); i += kLinesPerRead) {
        std::string r;
        for (std::size_t j = i; j < lines.size() && j < i + kLinesPerRead; ++j)
            r += lines[j];
        reads.push_back(r);
    }
    return reads;
}

struct Bench {
    ManualClock clock;
    CountingHost host;
    Node node{bench_config(), clock, host};
    std::vector<char> buf = std::vector<char>(1 << 20);
    std::size_t drained_bytes = 0;

    LinkId join(const std::string& id, int n) {
        std::string ip = "192.0.2." + std::to_string(n);
        LinkId l = node.on_link_accepted(ip, static_cast<std::uint16_t>(40000 + n));
        feed(l, hello(id));
        drain(l);
        return l;
    }
    // One read: the bytes are copied into the host's read buffer first (a
    // real host's read(2) does that copy in the kernel), uncounted.
    void feed(LinkId l, const std::string& bytes) {
        std::memcpy(buf.data(), bytes.data(), bytes.size());
        CALLGRIND_TOGGLE_COLLECT;
        node.on_bytes(l, buf.data(), bytes.size());
        CALLGRIND_TOGGLE_COLLECT;
    }
    // Everything queued on l, as a host's write loop takes it.
    void drain(LinkId l) {
        CALLGRIND_TOGGLE_COLLECT;
        OutSlice s[16];
        for (std::size_t n; (n = node.output(l, s, 16)) > 0;) {
            std::size_t len = 0;
            for (std::size_t i = 0; i < n; ++i)
                len += s[i].len;
            node.consumed(l, len);
            drained_bytes += len;
        }
        CALLGRIND_TOGGLE_COLLECT;
    }
    void tick() {
        clock.advance(1);
        if (node.next_deadline() <= clock.mono_ms()) {
            CALLGRIND_TOGGLE_COLLECT;
            node.on_timer();
            CALLGRIND_TOGGLE_COLLECT;
        }
    }
};

// Each case: the peers join, the input is built, the counters are zeroed,
// then only the Node's calls are counted (Bench toggles collection on and off
// around each), and the case's profile is dumped under its name.
bool run_direct(int n) {
    Bench b;
    LinkId a = b.join("alice@CIC", 1);
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i)
        lines.push_back(send_line(i, "alice@CIC", "node@CIC"));
    std::vector<std::string> reads = reads_of(lines);
    CALLGRIND_ZERO_STATS;
    for (const std::string& r : reads) {
        b.feed(a, r);
        b.drain(a);
        b.tick();
    }
    CALLGRIND_DUMP_STATS_AT("direct");
    return b.host.events[static_cast<int>(EventKind::kMsg)] == n && b.node.stats().bad_lines == 0;
}

bool run_relay(int n) {
    Bench b;
    LinkId a = b.join("alice@CIC", 1);
    LinkId bob = b.join("bob@CIC", 2);
    std::vector<std::string> sends, acks;
    for (int i = 0; i < n; ++i) {
        sends.push_back(send_line(i, "alice@CIC", "bob@CIC"));
        acks.push_back(ack_line(i));
    }
    std::vector<std::string> send_reads = reads_of(sends), ack_reads = reads_of(acks);
    std::uint64_t relayed_before = b.node.stats().relayed;
    CALLGRIND_ZERO_STATS;
    for (std::size_t i = 0; i < send_reads.size(); ++i) {
        b.feed(a, send_reads[i]);
        b.drain(bob);
        b.feed(bob, ack_reads[i]);
        b.drain(a);
        b.tick();
    }
    CALLGRIND_DUMP_STATS_AT("relay");
    return b.node.stats().relayed - relayed_before == static_cast<std::uint64_t>(n) &&
           b.node.stats().relay_refused == 0 && b.node.stats().bad_lines == 0;
}

bool run_pub(int n) {
    Bench b;
    LinkId p = b.join("publisher@CIC", 1);
    LinkId subs[4];
    for (int s = 0; s < 4; ++s)
        subs[s] = b.join("sub" + std::to_string(s) + "@CIC", 2 + s);
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i)
        lines.push_back(pub_line(i));
    std::vector<std::string> reads = reads_of(lines);
    std::uint64_t relayed_before = b.node.stats().relayed;
    CALLGRIND_ZERO_STATS;
    for (const std::string& r : reads) {
        b.feed(p, r);
        for (LinkId s : subs)
            b.drain(s);
        b.tick();
    }
    CALLGRIND_DUMP_STATS_AT("pub");
    return b.host.events[static_cast<int>(EventKind::kPub)] == n &&
           b.node.stats().relayed - relayed_before == 4u * static_cast<std::uint64_t>(n) &&
           b.node.stats().bad_lines == 0;
}

// ---- the limit: find msg_id, copy; no parser ----------------------------------------

// Appends `line`'s msg_id value to out (bounded search, as issue 17's C loop).
std::size_t copy_msg_id(const char* line, std::size_t len, char* out) {
    static constexpr char kKey[] = "\"msg_id\":\"";
    const void* at = memmem(line, len, kKey, sizeof kKey - 1);
    if (at == nullptr) return 0;
    const char* v = static_cast<const char*>(at) + sizeof kKey - 1;
    const char* end = static_cast<const char*>(std::memchr(v, '"', len - (v - line)));
    std::memcpy(out, v, static_cast<std::size_t>(end - v));
    return static_cast<std::size_t>(end - v);
}

// For each line of each read: `copies` copies of it out, and an ACK built
// from its msg_id when `ack`.
void limit_loop(const std::vector<std::string>& reads, std::vector<char>& in, int copies, bool ack,
                char* out) {
    for (const std::string& r : reads) {
        std::memcpy(in.data(), r.data(), r.size());
        CALLGRIND_TOGGLE_COLLECT;
        const char* p = in.data();
        const char* end = p + r.size();
        std::size_t o = 0;
        while (p < end) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
            std::size_t len = static_cast<std::size_t>(nl - p) + 1;
            for (int c = 0; c < copies; ++c, o += len)
                std::memcpy(out + o, p, len);
            if (ack) {
                static constexpr char kHead[] = "{\"type\":\"ACK\",\"msg_id\":\"";
                static constexpr char kTail[] = "\",\"from\":\"node@CIC\",\"ttl\":1}\n";
                std::memcpy(out + o, kHead, sizeof kHead - 1);
                o += sizeof kHead - 1;
                o += copy_msg_id(p, len, out + o);
                std::memcpy(out + o, kTail, sizeof kTail - 1);
                o += sizeof kTail - 1;
            }
            p = nl + 1;
        }
        CALLGRIND_TOGGLE_COLLECT;
    }
}

void run_limit(const char* which, int n) {
    std::vector<std::string> lines, acks;
    for (int i = 0; i < n; ++i) {
        lines.push_back(which[0] == 'p' ? pub_line(i) : send_line(i, "alice@CIC", "bob@CIC"));
        acks.push_back(ack_line(i));
    }
    std::vector<char> in(1 << 20), out(1 << 20);
    std::vector<std::string> reads = reads_of(lines), ack_reads = reads_of(acks);
    CALLGRIND_ZERO_STATS;
    if (which[0] == 'd') limit_loop(reads, in, 0, true, out.data());
    if (which[0] == 'r') {
        limit_loop(reads, in, 1, false, out.data());      // SEND forwarded
        limit_loop(ack_reads, in, 1, false, out.data());  // ACK passed back
    }
    if (which[0] == 'p') limit_loop(reads, in, 4, false, out.data());
    std::string name = std::string("limit_") + which;
    CALLGRIND_DUMP_STATS_AT(name.c_str());
}

// ---- the parent: run the child under callgrind, read its dumps ---------------------

// Total instructions of the dump whose description is `name`.
long long dump_total(const std::string& prefix, const std::string& name) {
    for (int part = 1; part < 32; ++part) {
        std::ifstream f(prefix + "." + std::to_string(part));
        if (!f) break;
        std::string line;
        bool match = false;
        while (std::getline(f, line)) {
            if (line.rfind("desc: Trigger: Client Request: ", 0) == 0)
                match = line.substr(31) == name;
            if (match && line.rfind("summary: ", 0) == 0) return std::atoll(line.c_str() + 9);
            if (match && line.rfind("totals: ", 0) == 0) return std::atoll(line.c_str() + 8);
        }
    }
    return -1;
}

int parent(const char* self, int n, bool raw) {
    char dir[] = "/tmp/p2p-instructions.XXXXXX";
    if (mkdtemp(dir) == nullptr) return 2;
    std::string prefix = std::string(dir) + "/cg";
    std::string cmd =
        "valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=" + prefix + " '" +
        self + "' --messages " + std::to_string(n) + " >" + dir + "/log 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc != 0) {
        std::fprintf(stderr, "callgrind run failed (%d); its log:\n", rc);
        std::system((std::string("cat ") + dir + "/log >&2").c_str());
        std::system((std::string("rm -rf ") + dir).c_str());
        return 2;
    }
    if (!raw) {
        std::printf(
            "user-space instructions per message (callgrind), %d messages, "
            "%zu lines per read\n\n",
            n, kLinesPerRead);
        std::printf("| case | node | limit (find msg_id, copy) | ratio |\n|---|---|---|---|\n");
    }
    int status = 0;
    for (const char* c : kCases) {
        long long node = dump_total(prefix, c);
        long long limit = dump_total(prefix, std::string("limit_") + c);
        if (node < 0 || limit < 0) {
            std::fprintf(stderr, "no callgrind dump for %s\n", c);
            status = 2;
            continue;
        }
        double per = static_cast<double>(node) / n, lim = static_cast<double>(limit) / n;
        if (raw)
            std::printf("%s %.0f\n", c, per);
        else
            std::printf("| %s | %.0f | %.0f | %.1f |\n", c, per, lim, per / lim);
    }
    std::system((std::string("rm -rf ") + dir).c_str());
    return status;
}

int child(int n) {
    bool ok = true;
    if (!run_direct(n))
        std::fprintf(stderr, "direct: the node did not answer every SEND\n"), ok = false;
    if (!run_relay(n))
        std::fprintf(stderr, "relay: the node did not forward every SEND\n"), ok = false;
    if (!run_pub(n)) std::fprintf(stderr, "pub: the node did not flood every PUB\n"), ok = false;
    for (const char* c : kCases)
        run_limit(c, n);
    return ok ? 0 : 1;
}

}  // namespace
}  // namespace p2p

int main(int argc, char** argv) {
    int n = 2000;
    bool raw = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--messages" && i + 1 < argc) {
            n = std::atoi(argv[++i]);
        } else if (a == "--raw") {
            raw = true;
        } else {
            std::fprintf(stderr, "usage: %s [--messages N] [--raw]\n", argv[0]);
            return 2;
        }
    }
    if (n <= 0 || n % static_cast<int>(p2p::kLinesPerRead) != 0) {
        std::fprintf(stderr, "--messages must be a positive multiple of %zu\n", p2p::kLinesPerRead);
        return 2;
    }
    if (RUNNING_ON_VALGRIND) return p2p::child(n);
    return p2p::parent(argv[0], n, raw);
}
