// libFuzzer target for the secured-link handshake (core/secure_channel.h, core/noise.h):
// a channel in either role, upgraded after its HELLO / HELLO_OK, is fed the input as the
// peer's bytes in a fuzzer-chosen chunking. Whatever they are it must never crash, never
// hand up more plaintext than the buffer holds, never claim a secured link (only a peer
// holding a key pair and a signature can finish the handshake), and once it refused the
// bytes it stays refused.
#include <fuzzer/FuzzedDataProvider.h>
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/secure_channel.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "noise_handshake_fuzz: %s\n", what);
        std::abort();
    }
}

const p2p::NoiseCredentials& credentials() {
    static const p2p::NoiseCredentials c = [] {
        check(sodium_init() >= 0, "sodium_init");
        std::uint8_t seed[p2p::kIdentitySeedBytes] = {7};
        p2p::noise::Key s;
        s.fill(9);
        return p2p::make_credentials(p2p::identity_from_seed(seed), s);
    }();
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const bool initiator = in.ConsumeBool();
    p2p::SecureChannel ch(&credentials());
    std::string hello = "{\"type\":\"HELLO\",\"features\":[\"noise\"]}\n";
    std::string ok = "{\"type\":\"HELLO_OK\",\"features\":[\"noise\"]}\n";
    std::string& ours = initiator ? hello : ok;
    std::string theirs = initiator ? ok : hello;
    p2p::OutSlice plain{ours.data(), ours.size()};
    p2p::OutSlice wire[4];
    std::vector<char> buf(65536 + 1);
    if (initiator) {  // the dialer sent its HELLO and read the HELLO_OK
        check(ch.outbound(&plain, 1, wire, 4) == 1, "HELLO offered");
        ch.sent(ours.size());
    }
    std::memcpy(buf.data(), theirs.data(), theirs.size());
    check(ch.inbound(buf.data(), theirs.size(), 65536) == long(theirs.size()), "clear line");
    p2p::noise::Key e;
    e.fill(initiator ? 2 : 4);
    std::string err;
    check(ch.begin(initiator, e, &err), "begin");
    if (!initiator) {  // the HELLO_OK goes out in clear, then the handshake
        check(ch.outbound(&plain, 1, wire, 4) == 1 && wire[0].len == ours.size(), "HELLO_OK");
        ch.sent(ours.size());
    }
    while (in.remaining_bytes() > 0) {
        std::size_t want = in.ConsumeIntegralInRange<std::size_t>(1, 70000);
        std::size_t room = ch.read_room(65536);
        check(room >= 1 && room <= 65536, "read room within the buffer");
        std::vector<std::uint8_t> chunk = in.ConsumeBytes<std::uint8_t>(std::min(want, room));
        if (chunk.empty()) break;
        std::memcpy(buf.data(), chunk.data(), chunk.size());
        long got = ch.inbound(buf.data(), chunk.size(), 65536);
        if (got == p2p::SecureChannel::kFailed) {
            check(!ch.secured(), "a refused channel is not secured");
            break;
        }
        check(got >= 0 && got <= 65536, "plaintext within the buffer");
        // What it has to send (its handshake answers) comes out whole and framed.
        while (ch.has_output()) {
            std::size_t n = ch.outbound(nullptr, 0, wire, 4);
            check(n == 1 && wire[0].len >= 2, "a framed handshake message");
            ch.sent(wire[0].len);
        }
        check(!ch.secured(), "secured without the peer's keys");
    }
    return 0;
}
