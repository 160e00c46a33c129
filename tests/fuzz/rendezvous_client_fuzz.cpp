// libFuzzer target: the rendezvous client's handling of answers (issue 9.9),
// a real RendezvousClient against a simulated server under a ManualClock.
//
// The input is a script of lines, each the answer to the next request the
// client makes. The first byte of each line steers: 0x07 advances the clock
// by 0..7 x 9 s beyond the client's own deadline; 0x08 makes the request fail
// instead (connect error); 0x10 asks for a DISCOVER at once (/reconnect);
// 0x20 answers with a stale request id; 0x40 repeats the line as the entries
// of a DISCOVER answer longer than a protocol line (the client's own decoder
// for long answers).
//
// Checked on every step: no crash; the next deadline is never in the past
// and never further than the longest wait any answer may impose; never more
// than max_requests_per_minute requests in any sliding minute; tracked peers
// within the table; every advert names a valid peer_id and a usable address.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/codec.h"
#include "core/rendezvous_client.h"
#include "core/rng.h"
#include "core/text.h"

namespace {

using namespace p2p;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "rendezvous_client_fuzz: %s\n", what);
        std::abort();
    }
}

class CheckingListener final : public RendezvousClientListener {
  public:
    void on_registered(std::string_view ip, std::int64_t port, std::int64_t ttl) override {
        check(is_valid_utf8(ip), "observed ip is not UTF-8");
        check(port >= 0 && port <= 65535, "observed port out of range");
        check(ttl >= 1 && ttl <= kMaxRendezvousTtlSeconds, "granted ttl out of range");
    }
    void on_discovered(std::size_t, std::size_t usable, std::size_t tracked) override {
        check(tracked <= kMaxTracked, "tracked peers beyond the table");
        (void)usable;
    }
    void on_peer(const PeerAdvert& a) override {
        check(is_valid_peer_id(a.peer_id), "advert with an unusable peer_id");
        if (a.change != AdvertChange::kExpired) {
            check(is_valid_name(a.ip), "advert with an unusable address");
            check(a.port >= 1, "advert without a port");
        }
    }
    void on_request_failed(RdvRequestKind, std::string_view reason, bool, MonoMs retry) override {
        check(is_valid_utf8(reason), "failure reason is not UTF-8");
        check(retry >= 0 && retry <= kMaxWaitMs, "retry delay out of range");
    }
    void on_unregistered(bool, std::string_view reason) override {
        check(is_valid_utf8(reason), "unregister reason is not UTF-8");
    }
    static constexpr std::size_t kMaxTracked = 8;
    // The longest any answer may hold the client back: a ttl/2 re-REGISTER
    // of the longest ttl, a peer's expiry, a block (600 s), the backoff cap.
    static constexpr MonoMs kMaxWaitMs = (kMaxRendezvousTtlSeconds + 60) * 1000;
};

constexpr int kPerMinute = 6;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::string line;
    ManualClock clock;
    Rng rng(1);
    CheckingListener listener;
    RendezvousClient::Config c;
    c.name = "alice";
    c.ns = "CIC";
    c.listen_port = 7070;
    c.max_requests_per_minute = kPerMinute;
    c.max_tracked_peers = CheckingListener::kMaxTracked;
    c.discovery_interval_ms = 5'000;
    RendezvousClient client(c, clock, rng, listener);
    client.start();
    JsonArena arena;
    std::deque<MonoMs> sent;  // request times within the last minute

    std::string_view input(reinterpret_cast<const char*>(data), size);
    for (int steps = 0; !input.empty() && steps < 256; ++steps) {
        std::size_t nl = input.find('\n');
        std::string_view raw = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        std::uint8_t steer = raw.empty() ? 0 : static_cast<std::uint8_t>(raw[0]);
        if (!raw.empty()) raw.remove_prefix(1);

        if (steer & 0x10) client.request_discover();
        // Move to the client's next deadline (it must lie ahead and be
        // bounded), then on by the steered amount.
        MonoMs now = clock.mono_ms();
        MonoMs deadline = client.next_deadline();
        check(deadline == kNeverMs || deadline <= now + CheckingListener::kMaxWaitMs + 1,
              "next deadline beyond any bound");
        if (deadline != kNeverMs && deadline > now) clock.set(deadline);
        clock.advance(static_cast<MonoMs>(steer & 7) * 9'000);
        client.tick();
        RdvRequest req;
        if (!client.next_request(req)) continue;
        check(client.next_deadline() == kNeverMs || client.next_deadline() >= clock.mono_ms(),
              "deadline in the past while a request is in flight");

        now = clock.mono_ms();
        while (!sent.empty() && sent.front() + 60'000 <= now)
            sent.pop_front();
        sent.push_back(now);
        check(sent.size() <= static_cast<std::size_t>(kPerMinute), "request budget exceeded");

        std::uint64_t id = (steer & 0x20) ? req.id + 1 : req.id;
        if (steer & 0x08) {
            client.on_failure(id, RdvFailure::kConnect);
        } else {
            if (steer & 0x40) {
                line = R"({"status":"OK","peers":[)";
                while (line.size() <= kMaxLineBytes) {
                    line.append(raw.data(), raw.size());
                    line += ',';
                }
                line += "{}]}";
            } else {
                line.assign(raw.data(), raw.size());
            }
            std::size_t len = line.size();
            line.push_back('\0');
            client.on_response_line(id, line.data(), len, arena);
        }
        if (id != req.id) client.on_failure(req.id, RdvFailure::kTimeout);
        check(client.tracked_count() <= CheckingListener::kMaxTracked, "tracked beyond table");
        check(client.granted_ttl_s() >= 0 && client.granted_ttl_s() <= kMaxRendezvousTtlSeconds,
              "granted ttl out of range");
    }
    check(!arena.overflowed(), "the answer arena fell back to the heap");
    return 0;
}
