// The node's side of the rendezvous protocol (docs/protocol.md §3), sans-I/O.
//
// The client decides *what* to ask the rendezvous server and *when*; a runtime
// (shell/rendezvous_link) performs each request over one TCP connection and
// feeds the outcome back. Time comes from a Clock, randomness from an Rng, so
// every rule below is testable with a ManualClock:
//
//   - REGISTER at start; DISCOVER only once a REGISTER succeeded, then every
//     discovery interval and on demand; REGISTER again at ttl/2.
//   - At most one request in flight, and at most `max_requests_per_minute`
//     in any sliding minute, far below the server's 50-per-IP limit (all
//     nodes behind one address share that budget).
//   - Failures back off exponentially with jitter; a server that says we are
//     blocked is left alone for the time it states.
//   - UNREGISTER on shutdown.
//   - DISCOVER answers become discovered / updated / expired peer adverts
//     (core/peer_advert.h: the type Node::on_peer_advert takes). A peer
//     missing from the answers for longer than its last `expires_in` is
//     expired. Our own entry and entries with names we could never use as a
//     peer_id are skipped.
//   - The tracking table is no first-come gate (a rendezvous may list more
//     fakes than it holds): a listed peer the node does not want (it never
//     answered its probation dials, listener.wants) takes no slot, and when
//     the table is full, every tracked peer the node no longer wants is
//     expired and replaced by one picked uniformly at random (reservoir
//     sampling, up to kSparesPerSlot per slot) among the wanted peers the
//     last answer listed that did not fit, whatever their order in the
//     answer: at the end of the answer, then every kRefillPollMs while
//     picks are left, so the node tries candidates as fast as their
//     probation ends rather than one table's worth per DISCOVER.
//
// Tracked peers live in a fixed table sized at construction; handling a
// DISCOVER answer allocates nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/codec.h"
#include "core/limits.h"
#include "core/peer_advert.h"
#include "core/rng.h"

namespace p2p {

// The seconds N of "... The block will be lifted in N seconds." or -1.
std::int64_t parse_block_seconds(std::string_view error_text);

inline constexpr MonoMs kNeverMs = std::numeric_limits<MonoMs>::max();

enum class RdvRequestKind : std::uint8_t { kRegister, kDiscover, kUnregister };
const char* rdv_request_name(RdvRequestKind kind);

// One request the runtime should perform now. Views point into the client.
struct RdvRequest {
    RdvRequestKind kind = RdvRequestKind::kRegister;
    std::uint64_t id = 0;  // hand back with the outcome; stale ids are ignored
    std::string_view ns;   // empty for a DISCOVER of every namespace
    std::string_view name;
    std::uint16_t port = 0;  // REGISTER, UNREGISTER
    std::int64_t ttl_s = 0;  // REGISTER
};

// Why a request produced no usable answer (the runtime's side).
enum class RdvFailure : std::uint8_t {
    kResolve,    // host name did not resolve
    kConnect,    // refused, unreachable, or connect timed out
    kTimeout,    // connected but no complete answer in time
    kClosed,     // closed before a complete line (also how a blocking server says no)
    kIo,         // read/write error
    kTooLong,    // the answer exceeded the runtime's line limit
    kMalformed,  // the answer was not a JSON object
};
const char* rdv_failure_name(RdvFailure failure);

// What the client tells the node. Called synchronously from the client's
// methods; views are valid only during the call.
class RendezvousClientListener {
  public:
    virtual ~RendezvousClientListener() = default;
    virtual void on_registered(std::string_view observed_ip, std::int64_t observed_port,
                               std::int64_t ttl_s) = 0;
    // After each successful DISCOVER: entries listed, usable, and peers tracked.
    virtual void on_discovered(std::size_t listed, std::size_t usable, std::size_t tracked) = 0;
    // A peer discovered, updated or expired: hand it to Node::on_peer_advert.
    virtual void on_peer(const PeerAdvert& advert) = 0;
    // Whether a listed peer is worth a tracking slot: Node::wants_advert
    // (false for a peer that never answered its probation dials).
    virtual bool wants(const PeerAdvert& /*advert*/) { return true; }
    // A request failed; the next one is held for retry_in_ms. `blocked` when
    // the server said it blocked us (retry_in is then the time it stated).
    virtual void on_request_failed(RdvRequestKind kind, std::string_view reason, bool blocked,
                                   MonoMs retry_in_ms) = 0;
    virtual void on_unregistered(bool ok, std::string_view reason) = 0;
};

class RendezvousClient {
  public:
    struct Config {
        std::string name;
        std::string ns;
        std::uint16_t listen_port = 0;
        std::int64_t ttl_s = 7200;
        MonoMs discovery_interval_ms = 15'000;
        bool discover_all_namespaces = true;  // DISCOVER without `namespace`
        MonoMs backoff_initial_ms = 1'000;
        MonoMs backoff_max_ms = 300'000;
        int max_requests_per_minute = 20;
        std::size_t max_tracked_peers = 64;
        // Expiry horizon for an entry whose server gave neither expires_in nor ttl.
        std::int64_t default_expiry_s = 7200;
    };

    RendezvousClient(Config config, const Clock& clock, Rng& rng,
                     RendezvousClientListener& listener);
    RendezvousClient(const RendezvousClient&) = delete;
    RendezvousClient& operator=(const RendezvousClient&) = delete;

    // Makes the first REGISTER due now.
    void start();
    // A DISCOVER as soon as allowed (/reconnect). Skips a pending failure
    // backoff, never a server block nor the per-minute budget.
    void request_discover();
    // Clean exit: abandons any request in flight and makes an UNREGISTER due
    // (only if a REGISTER was ever sent). done() turns true when it is over.
    void shutdown();
    bool done() const { return done_; }

    // The request to perform now, if one is due and none is in flight.
    bool next_request(RdvRequest& out);
    // When next_request() or tick() may have something to do (kNeverMs: nothing).
    MonoMs next_deadline() const;
    // Expires peers whose registration lapsed. next_request() calls it too.
    void tick();

    // Outcome of request `id`, in two steps so the runtime can stream a
    // DISCOVER answer's entries straight from the decoder: each entry, then
    // the response itself. Outcomes of stale ids are ignored.
    void on_discover_entry(std::uint64_t id, const DiscoveredPeer& entry);
    void on_response(std::uint64_t id, const RendezvousResponse& response);
    // `detail`: the cause as the runtime saw it ("Connection refused",
    // "cannot resolve HOST: Name or service not known"), appended to the
    // failure's name in the reason the listener gets.
    void on_failure(std::uint64_t id, RdvFailure failure, std::string_view detail = {});
    // Both steps from one answer line, decoded in situ (line[len] must be
    // writable) by the shared codec — tolerant: errors under `message` or
    // `error`, `ip`/`port` or `observed_ip`/`observed_port`, missing and extra
    // fields. An answer longer than kMaxLineBytes (a DISCOVER of a busy
    // server) is decoded with the same rules into a heap-backed document. A
    // line that is not a JSON object counts as kMalformed.
    void on_response_line(std::uint64_t id, char* line, std::size_t len, JsonArena& arena);

    // Inspection (tests, /peers, status lines).
    bool registered() const { return registered_; }
    bool in_flight() const { return in_flight_; }
    int consecutive_failures() const { return failures_; }
    std::int64_t granted_ttl_s() const { return granted_ttl_s_; }
    const Config& config() const { return config_; }
    // A config reload (SIGHUP): the DISCOVER period from the next DISCOVER on.
    void set_discovery_interval(MonoMs ms) {
        if (ms > 0) config_.discovery_interval_ms = ms;
    }
    const std::string& self_id() const { return self_id_; }

    struct TrackedPeer {
        char peer_id[2 * kMaxNameBytes + 2];
        char ip[64];
        std::uint8_t name_len = 0;
        std::uint8_t ns_len = 0;
        std::uint8_t ip_len = 0;
        std::uint16_t port = 0;
        std::int64_t expires_in_s = 0;
        MonoMs last_seen = 0;
        MonoMs expires_at = 0;
        std::uint64_t round = 0;
        bool used = false;
        std::string_view id() const { return {peer_id, std::size_t(name_len) + 1 + ns_len}; }
        std::string_view name() const { return {peer_id, name_len}; }
        std::string_view ns() const { return {peer_id + name_len + 1, ns_len}; }
        std::string_view address_ip() const { return {ip, ip_len}; }
        // A DISCOVER answer listed it (again): where it is and until when. `addr` fits
        // `ip` (the caller checked).
        void listed(std::string_view addr, std::uint16_t at_port, std::int64_t expires_in,
                    MonoMs now, MonoMs until, std::uint64_t in_round) {
            std::memcpy(ip, addr.data(), addr.size());
            ip_len = static_cast<std::uint8_t>(addr.size());
            port = at_port;
            expires_in_s = expires_in;
            last_seen = now;
            expires_at = until;
            round = in_round;
        }
    };
    std::size_t tracked_count() const { return tracked_; }

    // Backoff before retry number `failures` (1 = first retry), with jitter:
    // uniform in [d/2, d] where d = initial * 2^(failures-1), capped.
    MonoMs backoff_delay(int failures);

  private:
    void fail(RdvRequestKind kind, std::string_view reason, std::int64_t blocked_s);
    void finish_discover_round();
    void expire_peers(MonoMs now);
    void emit(AdvertChange change, const TrackedPeer& p, bool address_changed, bool reregistered);
    TrackedPeer* find(std::string_view name, std::string_view ns);
    TrackedPeer* alloc_slot();
    // A listed entry that did not fit: a candidate for a slot the node no
    // longer wants (uniform sample of the round's overflow).
    void offer_spare(const TrackedPeer& candidate);
    // Gives the slots of tracked peers the node no longer wants to the next
    // spares; returns how many it placed.
    std::size_t replace_unwanted();
    // The next spare to place (a random one of those left), or nullptr.
    const TrackedPeer* take_spare();
    PeerAdvert advert_of(const TrackedPeer& p) const;
    MonoMs budget_free_at(MonoMs now) const;
    void note_request(MonoMs now);

    Config config_;
    const Clock& clock_;
    Rng& rng_;
    RendezvousClientListener& listener_;
    std::string self_id_;

    bool started_ = false;
    bool registered_ = false;
    bool register_ever_sent_ = false;
    bool shutting_down_ = false;
    bool unregister_sent_ = false;
    bool done_ = false;

    bool in_flight_ = false;
    RdvRequestKind in_flight_kind_ = RdvRequestKind::kRegister;
    std::uint64_t in_flight_id_ = 0;
    std::uint64_t next_id_ = 1;

    std::int64_t granted_ttl_s_ = 0;
    MonoMs register_due_ = 0;
    MonoMs discover_due_ = kNeverMs;
    MonoMs hold_until_ = 0;  // failure backoff or server block
    bool hold_is_block_ = false;
    int failures_ = 0;

    // Send times of the last max_requests_per_minute requests (ring).
    std::vector<MonoMs> recent_;
    std::size_t recent_next_ = 0;

    // Tracked peers (fixed capacity) and the DISCOVER round in progress.
    std::vector<TrackedPeer> peers_;
    std::size_t tracked_ = 0;
    std::uint64_t round_ = 0;
    std::size_t round_listed_ = 0;
    std::size_t round_usable_ = 0;
    std::size_t round_invalid_ = 0;
    std::size_t last_round_invalid_ = 0;
    std::size_t round_dropped_full_ = 0;
    // The round's reservoir of wanted entries that did not fit (capacity:
    // kSparesPerSlot * max_tracked_peers, allocated at construction), placed
    // in order from spare_next_.
    static constexpr std::size_t kSparesPerSlot = 8;
    static constexpr MonoMs kRefillPollMs = 1'000;
    std::vector<TrackedPeer> spare_;
    std::size_t spare_count_ = 0;
    std::size_t spare_next_ = 0;
    MonoMs refill_due_ = kNeverMs;
    std::size_t round_overflow_ = 0;
    std::size_t round_unwanted_ = 0;
};

}  // namespace p2p
