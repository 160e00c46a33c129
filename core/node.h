// The peer-link protocol engine (docs/protocol.md §4), sans-I/O.
//
// A Node owns every peer link's protocol state: handshake, keep-alive, SEND /
// ACK with retransmission, PUB, BYE, errors, the peer table with redial
// backoff, and a bounded outgoing queue per link. It makes no system calls.
// A host drives it:
//
//   - the real runtime (sockets on the reactor), or
//   - the in-memory simulator in tests/sim (many nodes, simulated time).
//
// The host tells the Node what happened (a link connected, bytes arrived, a
// link went down, time passed, the rendezvous listed a peer, the user typed a
// command) and the Node answers through NodeHost: dial this address, close
// this link, this link has bytes to write, show this event. Bytes to write
// stay in the Node's queue until the host takes them with output()/consumed().
//
// Re-entrancy: NodeHost callbacks may be invoked from inside any entry point.
// A host must not call back into the Node from inside a NodeHost callback;
// queue the work and do it after the entry point returns.
//
// Memory: everything is sized at construction from NodeConfig (peer records,
// link slots, partial-line buffers, the outgoing chunk pool, pending SENDs,
// the seen-msg_id cache, the timer heap). After construction the engine does
// not allocate; a full queue or table is reported (busy, undelivered), never
// grown.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/limits.h"
#include "core/message.h"
#include "core/node_types.h"
#include "core/peer_advert.h"

namespace p2p {

// ---- configuration -----------------------------------------------------------

struct NodeConfig {
    std::string name;  // local name, [A-Za-z0-9._-]{1,64}
    std::string ns;    // local namespace
    std::string version = "1.0";
    // Features announced in HELLO / HELLO_OK. Only what the engine implements:
    // the constructor masks this with kImplementedFeatures. --no-relay: drop
    // kFeatureRelay (the node then forwards nothing).
    std::uint32_t features = kAllFeatures;

    std::size_t max_peers = 64;  // peer records (--max-peers)
    std::size_t max_links = 0;   // link slots; 0 = 2 * max_peers + 8

    MonoMs ping_interval_ms = 30'000;
    int max_missed_pongs = 3;
    MonoMs handshake_timeout_ms = 10'000;
    MonoMs ack_timeout_ms = 5'000;
    int ack_retries = 3;
    // SENDs of ours written and awaiting their ACK, per peer that announced
    // `relay` (a window); a legacy peer gets one at a time.
    std::size_t max_pending_sends = 64;
    // The user's SENDs queued or awaiting ACK, all peers, in bytes (each
    // charged PendingAcks::charge()). Never refused below it: the host stops
    // reading its user's input while user_queue_has_room() is false.
    std::size_t max_user_queue_bytes = 1024 * 1024;

    int max_reconnect_attempts = 5;
    MonoMs backoff_initial_ms = 1'000;
    MonoMs backoff_max_ms = 300'000;
    // A peer that answered HELLO_REJECT ("already connected") is retried only
    // after this long, without counting an attempt.
    MonoMs reject_retry_ms = 30'000;
    // A STALE peer we cannot dial (known only from its inbound link) is
    // removed after this long unless it links again.
    MonoMs forget_stale_ms = 600'000;

    // Admission (docs/protocol.md §4 "Peer table and reconnection"). Records
    // one source address may create by HELLO (--max-peers-per-address), and
    // connections it may hold open before their HELLO
    // (--max-handshakes-per-address). When half the link slots wait for a
    // HELLO, a new connection's handshake must finish within
    // handshake_timeout_pressed_ms instead of handshake_timeout_ms.
    std::size_t max_peers_per_address = 16;
    std::size_t max_handshakes_per_address = 8;
    MonoMs handshake_timeout_pressed_ms = 2'000;

    // Outgoing queue per link. Control messages (PONG, ACK, BYE, ERROR) may
    // fill it; user and relayed data stop `control_reserve_bytes` earlier.
    std::size_t queue_max_bytes = 64 * 1024;
    std::size_t queue_max_msgs = 256;
    std::size_t control_reserve_bytes = 4 * 1024;
    // Total memory for all outgoing queues and pending SEND copies; 0 =
    // max_links * queue_max_bytes / 4 + max_user_queue_bytes.
    std::size_t pool_bytes = 0;

    std::size_t seen_cache_entries = 8192;
    MonoMs seen_cache_age_ms = 600'000;
    int rtt_samples = 8;  // RTT mean over the last N PONGs

    // Legacy peers (no `relay`): pause after the handshake before our first
    // message, and minimum gap between two writes (one message per write).
    MonoMs legacy_first_write_delay_ms = 50;
    MonoMs legacy_write_gap_ms = 50;

    // A HELLO naming a peer we have a live link to is refused; that link is
    // PINGed and closed if no PONG comes back within this (docs/protocol.md
    // §4 "Duplicate links").
    MonoMs duplicate_probe_ms = 5'000;

    // Close a link that asked to close (BYE sent) after this long even if
    // its BYE_OK or flush never came (docs/protocol.md §4: wait up to 2 s).
    MonoMs close_grace_ms = 2'000;

    // ---- relay (docs/protocol.md §5) ----
    int relay_ttl = 1;                  // origin ttl of our SEND/PUB/WHO_HAS, 1..8
    MonoMs route_ttl_ms = 120'000;      // a cached route dst -> via
    MonoMs who_has_timeout_ms = 3'000;  // no HIT by then: no_route
    std::size_t max_routes = 128;       // cached routes
    std::size_t max_relay_acks = 512;   // forwarded SENDs whose ACK we pass back
    int relay_share_percent = 50;       // of a link's queue usable by relayed traffic
    int relay_rate_per_origin = 50;     // relayed messages per origin per second (over_quota)
    // Relayed SENDs per neighbour link per second (over_quota), whatever
    // `src` they claim: a neighbour cannot escape the per-origin rate by
    // making up a fresh origin for each message.
    int relay_rate_per_link = 250;
    // Backpressure (docs/architecture.md "Backpressure"): a link whose queue
    // stays above its relay share this long is a slow reader: its relayed
    // copies are dropped (counted, one WARN) instead of pausing the links
    // that feed it.
    MonoMs slow_reader_ms = 2'000;

    std::uint64_t seed = 1;  // msg_id generation and jitter
};

// Features this build of the engine implements (and so may announce).
inline constexpr std::uint32_t kImplementedFeatures = kAllFeatures | kFeatureNoise;

// ---- events for the console ---------------------------------------------------

// Kinds match the console contract (docs/shell.md "Output"). Views are valid only during emit().
enum class EventKind : std::uint8_t {
    kMsg,          // peer_id: text (msg_id)              incoming unicast, once per msg_id
    kPub,          // scope peer_id: text (msg_id)        incoming publish
    kSent,         // msg_id to peer_id                   a SEND left us
    kDelivered,    // msg_id to peer_id (rtt_ms)          its ACK arrived
    kAckTimeout,   // msg_id to peer_id, retry/max_retry  will retransmit
    kUndelivered,  // msg_id to peer_id: reason           final
    kPeer,         // peer_id state [detail]
    kLink,         // peer_id up|down direction [reason]
    kInfo,         // text
    kError,        // text (a command was refused)
    kWire,         // /watch: one protocol line sent (outgoing) or received
    kMetrics,      // peer_id: a METRICS answer (metrics_* fields; text: one summary line)
};
const char* event_kind_name(EventKind kind);  // "msg", "pub", ... "wire"

struct NodeEvent {
    EventKind kind = EventKind::kInfo;
    std::string_view peer_id;  // from / to / subject; may be empty before a handshake
    std::string_view scope;    // kPub: "#ns" or "*"
    std::string_view text;     // kMsg/kPub payload, kInfo/kError text
    std::string_view msg_id;
    std::string_view reason;                             // kUndelivered, kLink down, kPeer detail
    PeerState state = PeerState::kDiscovered;            // kPeer
    LinkDirection direction = LinkDirection::kOutbound;  // kLink, kWire
    bool up = false;                                     // kLink
    bool outgoing = false;                               // kWire
    std::string_view line;                               // kWire, without '\n'
    std::int64_t rtt_ms = 0;                             // kDelivered
    // kPeer: a redial's CONNECTING, or its STALE with the cause already shown: a
    // retry of a failure the console said once (docs/node.md "Failures").
    bool repeat = false;
    int retry = 0;                       // kAckTimeout
    int max_retries = 0;                 // kAckTimeout
    LinkId link = kNoLink;               // kLink, kWire
    double metrics_rtt_ms = 0;           // kMetrics: the responder's figures
    std::uint64_t metrics_sent = 0;      // kMetrics
    std::uint64_t metrics_recv = 0;      // kMetrics
    std::uint64_t metrics_dropped = 0;   // kMetrics: our relayed copies dropped toward that peer
    std::string_view metrics_last_seen;  // kMetrics, ISO 8601 as received
};

// ---- what the engine asks of its host ----------------------------------------

class NodeHost {
  public:
    virtual ~NodeHost() = default;
    // Start a TCP connect of `link` to host:port (numeric IP or a name the
    // host resolves without blocking). Report the outcome later with
    // on_link_connected() or on_link_down(kConnectFailed). Return false if it
    // failed at once (the engine treats it as a failed dial; do not report).
    virtual bool dial(LinkId link, std::string_view host, std::uint16_t port) = 0;
    // Close the socket now, discarding unwritten bytes (the engine has already
    // flushed what mattered or given up waiting). Do not report on_link_down
    // for it; the id is dead once this returns.
    virtual void close_link(LinkId link) = 0;
    // `link` has bytes to write (or may have again after a legacy pause):
    // call output()/consumed() when the socket is writable.
    virtual void want_write(LinkId link) = 0;
    // Something for the console / event stream.
    virtual void emit(const NodeEvent& event) = 0;
    // Both sides announced `noise` (docs/protocol.md §8): from the end of the HELLO /
    // HELLO_OK line just handled, `link` is a secured channel, `initiator` on the side
    // that dialed. False: it cannot be (the engine closes the link). A host that never
    // adds kFeatureNoise to NodeConfig::features is never asked.
    virtual bool secure_link(LinkId link, bool initiator) {
        (void)link;
        (void)initiator;
        return false;
    }
    // After quit(): every link is closed. The host may now UNREGISTER and exit.
    virtual void quit_complete() = 0;
    // Backpressure: stop (true) or start again (false) reading `link`, because
    // the queues its messages go to are full (docs/architecture.md
    // "Backpressure"). While paused, read_room() is 0. A host that ignores
    // this loses nothing the engine can hold (it reads at most read_room()
    // bytes); beyond that the engine handles the bytes as if not paused.
    virtual void pause_reading(LinkId /*link*/, bool /*paused*/) {}
    // Fill out[0..n) with unpredictable bytes (the OS's random source) and
    // return true; false when the host has none, and the engine then uses
    // its seeded Rng (simulations: deterministic). msg_ids are drawn from
    // these bytes (core/wire_util.h), asked for 4 KiB at a time.
    virtual bool random_bytes(std::uint8_t* /*out*/, std::size_t /*n*/) { return false; }
};

// Inputs from the rendezvous client: PeerAdvert (core/peer_advert.h).

// ---- results of user commands ---------------------------------------------------

enum class SendStatus : std::uint8_t {
    kQueued,          // msg_id assigned; kSent/kDelivered/kUndelivered follow
    kNoRoute,         // no link to that peer and none being made
    kTooLarge,        // the line would exceed kMaxLineBytes
    kBusy,            // the user queue's byte bound is reached (see user_queue_has_room)
    kBadDestination,  // not a usable peer_id / scope, or ourselves
    kShuttingDown,
};
const char* send_status_name(SendStatus status);  // "queued", "no_route", "message_too_large", ...

struct SendResult {
    SendStatus status = SendStatus::kQueued;
    char msg_id[40] = {};   // NUL-terminated when status == kQueued
    std::size_t links = 0;  // pub(): links the PUB was queued on
};

// ---- read-only views for /peers /conn /rtt /routes ------------------------------

struct PeerView {
    std::string_view peer_id;  // empty for a static peer whose HELLO has not come yet
    std::string_view ns;
    std::string_view host;  // dial address (DISCOVER ip or static host); may be empty
    std::uint16_t port = 0;
    PeerState state = PeerState::kDiscovered;
    bool is_static = false;
    bool said_bye = false;  // left with BYE (state GONE): not redialed until it re-registers
    LinkId link = kNoLink;  // the link messages go on, if any
    LinkDirection direction = LinkDirection::kOutbound;
    double rtt_mean_ms = 0;  // mean of the last samples; 0 when none
    int rtt_count = 0;
    std::int64_t last_rtt_ms = 0;
    int reconnect_attempts = 0;
    MonoMs next_attempt_at = 0;    // 0 when no redial is scheduled
    std::uint64_t sent_count = 0;  // messages sent to / received from this peer
    std::uint64_t recv_count = 0;
    MonoMs last_seen = 0;  // last message received
    // Its link is secured (docs/protocol.md §8): the identity's fingerprint, grouped.
    // The engine does not know it: the shell fills it from the host.
    std::string_view fingerprint;
};

struct LinkView {
    LinkId id = kNoLink;
    std::string_view peer_id;  // empty until the handshake names it
    std::string_view remote;   // "ip:port" as the host reported / dialed
    LinkDirection direction = LinkDirection::kOutbound;
    LinkState state = LinkState::kDialing;
    std::uint32_t features = 0;  // negotiated (intersection)
    bool legacy = false;         // peer did not announce `relay`
    bool active = false;         // the link messages to this peer go on
    std::size_t queued_bytes = 0;
    std::size_t queued_msgs = 0;
    int missed_pongs = 0;
    MonoMs established_at = 0;
    bool reading_paused = false;   // backpressure: its reader is paused
    bool slow_reader = false;      // its queue stayed full too long: relayed copies dropped
    std::uint64_t dropped = 0;     // relayed copies dropped toward this link
    std::string_view fingerprint;  // secured: the peer's, grouped (filled by the shell)
};

// A cached route (learnt from WHO_HAS_HIT): messages to dst go via `via`.
struct RouteView {
    std::string_view dst;
    std::string_view via;
    LinkId link = kNoLink;
    double via_rtt_ms = 0;
    MonoMs learnt_at = 0;
    MonoMs expires_at = 0;
};

// ---- the engine -------------------------------------------------------------------

class Node {
  public:
    // The clock and host must outlive the Node. Allocates all its memory here.
    Node(const NodeConfig& config, const Clock& clock, NodeHost& host);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    std::string_view self_id() const;  // name@namespace
    const NodeConfig& config() const;
    // Settings a running node may change (a config reload on SIGHUP): the
    // PING period (from each link's next PING on) and the share of a link's
    // queue relayed traffic may use (from the next relayed message on).
    // Values are clamped as at construction.
    void set_ping_interval(MonoMs ms);
    void set_relay_share(int percent);

    // -- links (host -> engine) --
    // An inbound connection was accepted. Returns its LinkId, or kNoLink when
    // every link slot is taken (the host then closes the socket).
    LinkId on_link_accepted(std::string_view remote_ip, std::uint16_t remote_port);
    // An outbound dial started by NodeHost::dial connected.
    void on_link_connected(LinkId link);
    // Bytes read from the link. `data` is the host's shared read buffer; the
    // engine parses complete lines in place (it writes into data[0..len]) and
    // copies only an unfinished last line into the link's own partial buffer.
    void on_bytes(LinkId link, char* data, std::size_t len);
    // How many bytes the host should pass at most to the next on_bytes() for
    // `link`: 0 while its reading is paused (NodeHost::pause_reading), else
    // what the engine can hold if a pause comes mid-read (about
    // LineFramer::kPartialBytes, never less than 4 KiB).
    std::size_t read_room(LinkId link) const;
    // The connection ended without the engine asking (EOF, error, failed dial).
    // `cause`: why a dial failed, as the OS said it ("Connection refused"),
    // shown in the peer's STALE line and its WARN.
    void on_link_down(LinkId link, LinkDownReason reason, std::string_view cause = {});

    // -- output (host -> engine) --
    // Fills up to max slices with the link's next bytes to write; returns the
    // count (0: nothing to write now). To a legacy peer this is at most one
    // message, and nothing during its pauses (want_write() announces the end
    // of a pause).
    std::size_t output(LinkId link, OutSlice* slices, std::size_t max);
    // The host wrote `bytes` of what output() offered.
    void consumed(LinkId link, std::size_t bytes);

    // -- time --
    // Earliest moment on_timer() has work (kNoDeadline: none).
    static constexpr MonoMs kNoDeadline = INT64_MAX;
    MonoMs next_deadline() const;
    // Runs everything due at clock.mono_ms(). Call when next_deadline() passed
    // (calling early is harmless).
    void on_timer();

    // -- peers from the rendezvous client and the command line --
    void on_peer_advert(const PeerAdvert& advert);
    // Whether the engine would give this listed peer a place: false for one
    // that never answered its probation dials (docs/protocol.md §4). The
    // rendezvous client asks before tracking a peer (RendezvousClientListener::wants).
    bool wants_advert(const PeerAdvert& advert) const;
    // --peer HOST:PORT. Dialed at once; its peer_id is learnt from HELLO_OK.
    // False when the peer table is full or the address is invalid.
    bool add_static_peer(std::string_view host, std::uint16_t port);

    // -- user commands --
    // /msg: SEND with require_ack to a peer we have (or are making) a link to.
    SendResult send(std::string_view dst_peer_id, std::string_view text);
    // The user's queue (NodeConfig::max_user_queue_bytes): bytes charged now,
    // and whether one more SEND of any size fits. A host that reads its
    // user's input pauses while this is false and resumes when a kDelivered
    // or kUndelivered event makes room again (backpressure, never `busy`).
    std::size_t user_queue_bytes() const;
    bool user_queue_has_room() const;
    // /pub: scope is "*" or "#ns" (a bare "ns" is taken as "#ns").
    SendResult pub(std::string_view scope, std::string_view text);
    // /connect peer_id: reset its backoff and dial now. False if unknown.
    bool connect_peer(std::string_view peer_id);
    // /reconnect: reset every STALE peer's attempts (and BYE mark) and redial.
    void reconnect_all();
    // /quit or a signal: BYE on every link, wait up to close_grace_ms for the
    // BYE_OKs, close; then NodeHost::quit_complete().
    void quit(std::string_view reason = "Encerrando sessão");
    bool quitting() const;
    // /metrics peer_id: METRICS_REQ on its link; the answer comes as a
    // kMetrics event (text: "metrics <peer_id>: rtt_ms=.. sent=.. recv=..
    // last_seen=..").
    // False when there is no link to it that negotiated `metrics`.
    bool request_metrics(std::string_view peer_id);
    // /watch: emit a kWire event for every protocol line sent and received.
    void set_watch(bool on);
    bool watching() const;

    // -- views (index-based so callers need no callbacks) --
    std::size_t peer_slots() const;
    bool peer_view(std::size_t slot, PeerView& out) const;  // false: slot unused
    std::size_t link_slots() const;
    bool link_view(std::size_t slot, LinkView& out) const;  // false: slot unused
    std::size_t route_slots() const;
    bool route_view(std::size_t slot, RouteView& out) const;  // false: unused or expired
    std::size_t peer_count() const;                           // records in use
    std::size_t link_count() const;                           // links open

    // Counters for tests and /conn.
    struct Stats {
        std::uint64_t lines_in = 0;
        std::uint64_t lines_out = 0;
        std::uint64_t bad_lines = 0;    // bad_format / unknown / too long received
        std::uint64_t dropped_out = 0;  // control messages dropped on a full queue
        std::uint64_t duplicates = 0;   // SEND/PUB copies suppressed by msg_id
        std::uint64_t retransmits = 0;
        std::uint64_t decode_overflow = 0;  // JSON arena spilled to the heap
        std::uint64_t relayed = 0;          // SEND/PUB copies forwarded for others
        std::uint64_t relay_refused = 0;    // RELAY_FAIL / TTL_EXPIRED / over_quota answered
        std::uint64_t relay_dropped = 0;    // relayed PUB copies not queued (slow reader, full)
        std::uint64_t reads_paused = 0;     // backpressure: times a link's reading was paused
        std::uint64_t slow_readers = 0;     // episodes of a reader past slow_reader_ms
    };
    const Stats& stats() const;
    // What the forwarding gate answered, per forwarded kind (docs/protocol.md §5 "Admission").
    const ForwardCounts& forward_counts() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace p2p
