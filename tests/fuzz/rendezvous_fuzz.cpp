// libFuzzer target: the rendezvous request handler (core/registry.h).
//
// The input is a script of requests, separated by '\n', run against one
// registry with a simulated clock. The first byte of each line steers the
// clock and the source IP, so expiry, rate limiting, upserts from several
// IPs and persistence all see fuzzed input. Checked on every step: the
// answer is one JSON object line; the registry never holds more than its
// capacity; every answer is valid UTF-8; serialize/load round-trips.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/codec.h"
#include "core/registry.h"
#include "core/text.h"
#include "tests/fuzz/reach.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "rendezvous_fuzz: %s\n", what);
        std::abort();
    }
}

// Requests the registry accepted, told apart by their OK answer's shape.
enum Answered : std::size_t { kRegistered, kDiscovered, kUnregistered, kAnswerKinds };
p2p::fuzz::Reach<kAnswerKinds> g_reach("rendezvous_fuzz", {"REGISTER", "DISCOVER", "UNREGISTER"});

void check_answer(std::string_view reply) {
    check(!reply.empty() && reply.back() == '\n', "answer is not a line");
    check(reply.find('\n') == reply.size() - 1, "answer holds a raw newline");
    // Issue 9.5: one stored surrogate made every listing invalid for clients.
    check(p2p::is_valid_utf8(reply), "answer is not valid UTF-8");
    std::string copy(reply.substr(0, reply.size() - 1));
    copy.push_back('\0');
    static p2p::JsonArena arena;
    p2p::RendezvousResponse resp;
    check(p2p::decode_rendezvous_response(copy.data(), copy.size() - 1, arena, resp, nullptr,
                                          nullptr, nullptr),
          "answer is not a JSON object");
    check(resp.ok || !resp.error.empty(), "error answer without a message");
    if (resp.ok)
        g_reach.handled(resp.has_peers ? kDiscovered : resp.ttl > 0 ? kRegistered : kUnregistered);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const char* kIps[] = {"203.0.113.7", "198.51.100.9", "::1", "10.0.0.1"};
    p2p::ManualClock clock;
    p2p::RegistryConfig config;
    config.max_registrations = 8;
    config.max_tracked_ips = 2;
    config.rate_limit = 4;
    config.rate_window_ms = 10'000;
    config.block_ms = 5'000;
    p2p::Registry registry(clock, config);

    std::string line;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        std::size_t nl = input.find('\n');
        std::string_view raw = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        if (raw.empty()) continue;
        std::uint8_t steer = static_cast<std::uint8_t>(raw[0]);
        raw.remove_prefix(1);
        clock.advance(static_cast<p2p::MonoMs>(steer & 0x0F) * 700);
        const char* ip = kIps[(steer >> 4) & 3];
        std::uint16_t port = static_cast<std::uint16_t>(40000 + steer);

        std::string_view blocked;
        if ((steer & 0x40) &&
            registry.admit(ip, port, &blocked) == p2p::Registry::Admission::kBlocked)
            check_answer(blocked);

        line.assign(raw.data(), raw.size());
        line.push_back('\0');
        check_answer(registry.handle(line.data(), raw.size(), ip, port));
        check(registry.size() <= config.max_registrations, "over capacity");
    }

    std::string text;
    registry.serialize(text);
    p2p::Registry reloaded(clock, config);
    p2p::Registry::LoadResult r = reloaded.load(text);
    check(r.ok, "own serialization does not load");
    check(r.skipped == 0, "own serialization has malformed entries");
    check(reloaded.size() == registry.size(), "round trip lost registrations");
    std::string again;
    reloaded.serialize(again);
    check(again == text, "round trip changed the file");
    // An empty registry round-trips trivially; count only the ones that held entries.
    if (registry.size() > 0) g_reach.roundtrip();

    // The loader must also survive arbitrary text.
    p2p::Registry fuzzed(clock, config);
    fuzzed.load(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
