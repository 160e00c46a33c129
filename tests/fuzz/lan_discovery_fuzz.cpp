// libFuzzer target for LAN discovery (core/lan_discovery.h, core/lan_wire.h):
// the input is a stream of datagrams, each from one of a few source
// addresses, with time moving on between them. Whatever arrives, every
// advert names a valid peer_id and a dialable port, the table never holds
// more than its size, and the counters add up.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/lan_discovery.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/text.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "lan_discovery_fuzz: %s\n", what);
        std::abort();
    }
}

class Checker final : public p2p::LanDiscoveryListener {
  public:
    void on_lan_peer(const p2p::PeerAdvert& a) override {
        check(p2p::is_valid_peer_id(a.peer_id), "advert with an invalid peer_id");
        check(!a.ip.empty(), "advert without an address");
        if (a.change != p2p::AdvertChange::kExpired) check(a.port != 0, "advert with port 0");
        ++adverts;
    }
    std::uint64_t adverts = 0;
};

const char* const kSources[] = {"10.0.0.2", "10.0.0.3", "fe80::1%eth0", "192.168.1.9"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    p2p::logger().set_level(p2p::LogLevel::kOff);
    FuzzedDataProvider in(data, size);
    p2p::ManualClock clock;
    p2p::Rng rng(1);
    Checker checker;
    p2p::LanDiscovery::Config config;
    config.name = "me";
    config.ns = "CIC";
    config.listen_port = 5000;
    config.instance = 0x1234;
    config.max_peers = 4;
    p2p::LanDiscovery lan(config, clock, rng, checker);
    lan.start();
    std::vector<char> buf(p2p::kLanMaxDatagramBytes + 1);
    while (in.remaining_bytes() > 0) {
        const char* source = kSources[in.ConsumeIntegralInRange<int>(0, 3)];
        clock.advance(in.ConsumeIntegralInRange<p2p::MonoMs>(0, 40'000));
        std::string datagram = in.ConsumeRandomLengthString(p2p::kLanMaxDatagramBytes + 16);
        std::size_t len = datagram.size();
        std::size_t copy = len < p2p::kLanMaxDatagramBytes ? len : p2p::kLanMaxDatagramBytes;
        std::copy(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(copy),
                  buf.begin());
        lan.on_datagram(source, buf.data(), len);
        lan.tick();
        std::string_view out;
        while (lan.next_announcement(out))
            check(!out.empty(), "empty announcement");
        check(lan.tracked() <= config.max_peers, "more peers tracked than the table holds");
        const auto& c = lan.counters();
        std::uint64_t reasons = 0;
        for (std::uint64_t r : c.by_reason)
            reasons += r;
        check(reasons == c.refused, "refusals by reason do not add up");
    }
    return 0;
}
