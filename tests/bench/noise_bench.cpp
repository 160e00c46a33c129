// Benchmark (not a test): what a secured link costs in CPU and on the wire
// (docs/security.md "Figures").
//   - handshake: a whole Noise XX handshake between two in-memory channels
//     (core/secure_channel.h), both sides, signature check included; CPU time
//     per handshake, median of --runs runs of --handshakes each;
//   - limit: the primitives such a handshake cannot avoid, called directly
//     (per side: 1 X25519 key, 3 X25519 DH, 1 Ed25519 verification; the
//     static key's signature is made once per run of a node, not per link);
//     the ratio says what the protocol logic adds;
//   - bytes: the handshake's bytes on the wire each way, and the overhead of
//     the channel per transport frame;
//   - transport: MB/s of line traffic sealed and opened (one core, both ends).
//
// Usage: bench_noise_bench [--handshakes N] [--runs R]
#include <sodium.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/secure_channel.h"
#include "tests/support/bench_stats.h"
#include "tests/support/channel_pipe.h"

using namespace p2p;

namespace {

double cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct End {
    explicit End(const NoiseCredentials* c) : ch(c) {}
    SecureChannel ch;
    std::string queued, wire, received;
    std::size_t wire_total = 0;

    void write_out() { wire_total += test::drain_channel(ch, queued, wire); }
    bool read(std::string& from) {
        bool ok = test::feed_channel(ch, from, from.size(), &received);
        from.clear();
        return ok;
    }
};

const std::string kHello =
    "{\"type\":\"HELLO\",\"peer_id\":\"alice@CIC\",\"version\":\"1.0\",\"features\":[\"ack\","
    "\"metrics\",\"relay\",\"who_has\",\"noise\"],\"ttl\":1}\n";
const std::string kHelloOk =
    "{\"type\":\"HELLO_OK\",\"peer_id\":\"bob@CIC\",\"version\":\"1.0\",\"features\":[\"ack\","
    "\"metrics\",\"relay\",\"who_has\",\"noise\"],\"ttl\":1}\n";

// One handshake; the bytes each way after the plaintext lines.
bool handshake(End& a, End& b, noise::Key ea, noise::Key eb, std::size_t* a_bytes,
               std::size_t* b_bytes) {
    std::string err;
    a.queued = kHello;
    a.write_out();
    if (!b.read(a.wire)) return false;
    b.queued = kHelloOk;
    if (!b.ch.begin(false, eb, &err)) return false;
    b.write_out();
    if (!a.read(b.wire) || !a.ch.begin(true, ea, &err)) return false;
    std::size_t a0 = a.wire_total, b0 = b.wire_total;
    for (int i = 0; i < 3; ++i) {
        a.write_out();
        if (!b.read(a.wire)) return false;
        b.write_out();
        if (!a.read(b.wire)) return false;
    }
    *a_bytes = a.wire_total - a0;
    *b_bytes = b.wire_total - b0;
    return a.ch.secured() && b.ch.secured();
}

}  // namespace

int main(int argc, char** argv) {
    int handshakes = 2000, runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--handshakes")) handshakes = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    }
    if (sodium_init() < 0) return 1;
    std::uint8_t seed_a[32], seed_b[32];
    randombytes_buf(seed_a, sizeof seed_a);
    randombytes_buf(seed_b, sizeof seed_b);
    noise::Key sa, sb;
    randombytes_buf(sa.data(), sa.size());
    randombytes_buf(sb.data(), sb.size());
    NoiseCredentials ca = make_credentials(identity_from_seed(seed_a), sa);
    NoiseCredentials cb = make_credentials(identity_from_seed(seed_b), sb);

    std::vector<double> hs_ms, limit_ms;
    std::size_t a_bytes = 0, b_bytes = 0;
    for (int r = 0; r < runs; ++r) {
        End a(&ca), b(&cb);
        double t = cpu_ms();
        for (int i = 0; i < handshakes; ++i) {
            a.ch.reset();
            b.ch.reset();
            a.received.clear();
            b.received.clear();
            noise::Key ea, eb;
            randombytes_buf(ea.data(), ea.size());
            randombytes_buf(eb.data(), eb.size());
            if (!handshake(a, b, ea, eb, &a_bytes, &b_bytes)) {
                std::fprintf(stderr, "handshake failed\n");
                return 1;
            }
        }
        hs_ms.push_back((cpu_ms() - t) / handshakes);

        // The limit: the primitives of both sides, nothing else.
        std::uint8_t k[32], p[32], out[32], msg[57] = {};
        std::uint8_t sig[64];
        crypto_sign_detached(sig, nullptr, msg, sizeof msg, ca.identity.secret.data());
        t = cpu_ms();
        for (int i = 0; i < handshakes; ++i) {
            for (int side = 0; side < 2; ++side) {
                randombytes_buf(k, sizeof k);
                crypto_scalarmult_base(p, k);
                for (int d = 0; d < 3; ++d)
                    if (crypto_scalarmult(out, k, ca.static_key.public_key.data()) != 0) return 1;
                if (crypto_sign_verify_detached(sig, msg, sizeof msg,
                                                ca.identity.public_key.data()) != 0)
                    return 1;
            }
        }
        limit_ms.push_back((cpu_ms() - t) / handshakes);
    }
    double hs = test::percentile(hs_ms, 50), lim = test::percentile(limit_ms, 50);
    std::printf("handshake (both sides)    %.3f ms CPU   (median of %d runs of %d)\n", hs, runs,
                handshakes);
    std::printf("limit: its primitives     %.3f ms CPU   ratio %.2f\n", lim, hs / lim);
    std::printf("handshake bytes           initiator %zu, responder %zu (after HELLO/HELLO_OK)\n",
                a_bytes, b_bytes);
    std::printf(
        "per transport frame       %zu bytes (length 2 + tag %zu), frames of up to %zu "
        "bytes of lines\n",
        2 + noise::kTagBytes, noise::kTagBytes, SecureChannel::kMaxFramePlain);

    // Transport: 64 MB of 200-byte lines one way, sealed and opened.
    End a(&ca), b(&cb);
    noise::Key ea, eb;
    randombytes_buf(ea.data(), ea.size());
    randombytes_buf(eb.data(), eb.size());
    if (!handshake(a, b, ea, eb, &a_bytes, &b_bytes)) return 1;
    std::string line(199, 'x');
    line += '\n';
    std::string chunk;
    for (int i = 0; i < 320; ++i)
        chunk += line;  // 64 000 bytes
    std::vector<double> mbps;
    for (int r = 0; r < runs; ++r) {
        double t = cpu_ms();
        std::size_t moved = 0;
        for (int i = 0; i < 1000; ++i) {
            a.queued = chunk;
            a.write_out();
            b.received.clear();
            if (!b.read(a.wire)) return 1;
            moved += b.received.size();
        }
        mbps.push_back(static_cast<double>(moved) / 1e6 / ((cpu_ms() - t) / 1e3));
    }
    std::printf("transport                 %.0f MB/s of lines sealed + opened (one core)\n",
                test::percentile(mbps, 50));
    return 0;
}
