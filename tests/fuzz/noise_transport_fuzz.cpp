// libFuzzer target for the secured channel's transport framing (core/secure_channel.h):
// two ends finish the handshake in memory, then the fuzzer chooses what one end's owner
// queues (any bytes, any amount), how the socket takes it (short writes) and how the
// other end reads it (any chunking), and optionally one wire byte to change. Unchanged,
// the receiver must hand up exactly the bytes queued, in order; changed, it must never
// hand up the changed frame nor anything that was not sent.
#include <fuzzer/FuzzedDataProvider.h>
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/secure_channel.h"
#include "tests/support/channel_pipe.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "noise_transport_fuzz: %s\n", what);
        std::abort();
    }
}

p2p::NoiseCredentials make(std::uint8_t byte) {
    std::uint8_t seed[p2p::kIdentitySeedBytes] = {byte};
    p2p::noise::Key s;
    s.fill(static_cast<std::uint8_t>(byte + 1));
    return p2p::make_credentials(p2p::identity_from_seed(seed), s);
}

void drain(p2p::SecureChannel& from, std::string& queued, std::string& wire) {
    p2p::test::drain_channel(from, queued, wire);
}

bool feed(p2p::SecureChannel& to, const std::string& wire, std::string* plain) {
    return p2p::test::feed_channel(to, wire, wire.size(), plain);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool ready = sodium_init() >= 0;
    check(ready, "sodium_init");
    static const p2p::NoiseCredentials ca = make(1), cb = make(2);
    p2p::SecureChannel a(&ca), b(&cb);
    std::string aq = "HELLO\n", bq = "HELLO_OK\n", a_wire, b_wire, a_got, b_got;
    drain(a, aq, a_wire);
    check(feed(b, a_wire, &b_got), "HELLO");
    a_wire.clear();
    p2p::noise::Key ea, eb;
    ea.fill(3);
    eb.fill(4);
    std::string err;
    check(b.begin(false, eb, &err), "responder begins");
    drain(b, bq, b_wire);
    check(feed(a, b_wire, &a_got), "HELLO_OK");
    b_wire.clear();
    check(a.begin(true, ea, &err), "initiator begins");
    for (int i = 0; i < 4; ++i) {
        drain(a, aq, a_wire);
        check(feed(b, a_wire, &b_got), "handshake to the responder");
        a_wire.clear();
        drain(b, bq, b_wire);
        check(feed(a, b_wire, &a_got), "handshake to the initiator");
        b_wire.clear();
    }
    check(a.secured() && b.secured(), "the handshake completes");
    b_got.clear();

    FuzzedDataProvider in(data, size);
    const bool tamper = in.ConsumeBool();
    const std::size_t flip_at = in.ConsumeIntegral<std::uint16_t>();
    std::string sent;
    std::string wire;
    while (in.remaining_bytes() > 0) {
        std::string piece = in.ConsumeRandomLengthString(70000);
        sent += piece;
        aq += piece;
        // The socket takes some of what is offered, or all of it.
        std::size_t take = in.ConsumeIntegralInRange<std::size_t>(1, 9000);
        p2p::OutSlice plain{aq.data(), aq.size()};
        p2p::OutSlice out[4];
        std::size_t n = a.outbound(&plain, aq.empty() ? 0 : 1, out, 4);
        if (n > 0) {
            std::size_t w = std::min(take, out[0].len);
            wire.append(out[0].data, w);
            aq.erase(0, a.sent(w));
        }
    }
    drain(a, aq, wire);
    check(aq.empty(), "everything queued was written");
    bool changed = tamper && !wire.empty();
    if (changed) wire[flip_at % wire.size()] ^= 0x01;
    bool ok = feed(b, wire, &b_got);
    check(sent.compare(0, b_got.size(), b_got) == 0, "only what was sent, in order");
    if (!changed) check(ok && b_got == sent, "exactly what was sent");
    // A changed length may leave the last frame waiting for bytes that never come:
    // refused or held back, the changed frame is never handed up.
    if (changed) check(!ok || b_got.size() < sent.size(), "a changed byte is refused");
    return 0;
}
