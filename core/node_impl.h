// Private state of the Node engine, shared by node*.cpp. Not part of the API.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/civil_time.h"
#include "core/codec.h"
#include "core/invariant.h"
#include "core/line_framer.h"
#include "core/node.h"
#include "core/origin_rates.h"
#include "core/out_queue.h"
#include "core/peer_table.h"
#include "core/pending_acks.h"
#include "core/relay_acks.h"
#include "core/rng.h"
#include "core/route_cache.h"
#include "core/seen_cache.h"
#include "core/text.h"
#include "core/timer_heap.h"
#include "core/wire_util.h"

namespace p2p {

// "ip:port" -> "ip" (IPv6 "::1:5000" -> "::1").
inline std::string_view host_part(std::string_view remote) {
    std::size_t colon = remote.rfind(':');
    return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

struct Link {
    Link() : framer(nullptr) {}

    bool used = false;
    std::uint16_t gen = 0;
    LinkId id = kNoLink;
    LinkState state = LinkState::kDialing;
    LinkDirection dir = LinkDirection::kOutbound;
    int peer = -1;  // record index once known (outbound: from the start)
    char remote[72] = {};
    std::uint8_t remote_len = 0;
    char version[16] = {};
    std::uint32_t features = 0;  // negotiated
    bool legacy = true;          // no `relay` on both sides
    bool detached = false;       // no longer carries its peer's traffic
    bool await_bye_ok = false;   // closing: wait for BYE_OK (else for the flush)
    bool got_reject = false;     // HELLO_REJECT seen: "already connected"
    LineFramer framer;
    OutQueue out;

    MonoMs opened_at = 0;
    MonoMs established_at = 0;
    MonoMs hs_deadline = 0;  // handshake (and connect) must finish by then
    MonoMs next_ping = 0;
    MonoMs close_deadline = 0;        // kClosing: close at the latest then
    MonoMs write_ready_at = 0;        // legacy pacing: no write before then
    MonoMs probe_deadline = 0;        // a duplicate HELLO came: no PONG by then = dead
    std::uint64_t lines_queued = 0;   // lines pushed on `out` so far
    std::uint64_t lines_written = 0;  // of those, written by the host
    std::uint64_t lines_in = 0;       // lines received since the handshake
    bool echo = false;                // peer echoed our GREASE token: legacy

    int missed = 0;               // PINGs in a row without PONG
    bool ping_postponed = false;  // this period's PING waited once for a busy paced link
    struct Ping {
        std::uint64_t hash;
        MonoMs at;
    };
    static constexpr int kPings = 4;
    Ping pings[kPings] = {};
    int ping_next = 0;

    // Backpressure and the relay's per-link limit (node_flow.cpp).
    bool read_paused = false;     // lines held in the framer until resume
    LinkId blocked_by = kNoLink;  // the link whose full queue paused our reading
    MonoMs resume_at = 0;         // read_paused: look at blocked_by again then
    MonoMs full_since = 0;        // our queue rose above the relay share then (0: below)
    bool slow = false;            // full_since is older than slow_reader_ms
    std::uint64_t dropped = 0;    // relayed copies dropped toward this link
    WindowRate relay_rate;        // relayed SENDs received on this link, per second

    std::string_view remote_view() const { return {remote, remote_len}; }
    // The address without ":port" (the source an inbound link comes from).
    std::string_view remote_host() const { return host_part(remote_view()); }
};

struct Node::Impl {
    Impl(const NodeConfig& config, const Clock& clock, NodeHost& host);

    // ---- configuration and collaborators ----
    NodeConfig cfg;
    const Clock& clock;
    NodeHost& host;
    Rng rng;
    std::string self;            // name@ns
    std::string self_ns;         // ns
    std::string grease;          // our GREASE feature token (docs/protocol.md §4)
    std::size_t user_bytes = 0;  // charged by the user's SENDs (PendingAcks::charge)

    // ---- fixed-size state ----
    std::unique_ptr<char[]> partials;  // max_links * LineFramer::kPartialBytes
    std::vector<Link> links;
    std::vector<int> free_links;
    std::size_t open_links = 0;
    ChunkPool pool;
    PeerTable peers;
    PendingAcks pending;
    SeenCache seen;
    TimerHeap timers;
    JsonArena arena;
    std::unique_ptr<char[]> scratch;  // one encoded line (kMaxLineBytes + 2)
    static constexpr std::size_t kScratchBytes = kMaxLineBytes + 2;

    RouteCache routes;  // the relay's tables (node_relay.cpp)
    RelayAcks relay_acks;
    OriginRates rates;
    static constexpr std::size_t kRateOrigins = 64;  // origins whose relay rate is tracked at once

    Stats stats;
    bool watch = false;
    bool quitting = false;
    bool quit_done = false;
    std::uint64_t seq = 0;
    int feeding_slot = -1;  // link whose bytes are being parsed right now
    bool feeding_released = false;

    // ---- timer slots ----
    std::size_t link_timer(std::size_t slot) const { return slot; }
    std::size_t peer_timer(int index) const { return links.size() + std::size_t(index); }
    std::size_t pending_timer(int index) const {
        return links.size() + peers.capacity() + std::size_t(index);
    }

    MonoMs now() const { return clock.mono_ms(); }

    // ---- links (node_link.cpp) ----
    Link& link_at(std::size_t slot) {
        P2P_ASSERT(slot < links.size());
        return links[slot];
    }
    const Link& link_at(std::size_t slot) const {
        P2P_ASSERT(slot < links.size());
        return links[slot];
    }
    Link* find_link(LinkId id);
    const Link* find_link(LinkId id) const;
    Link* alloc_link(LinkDirection dir, std::string_view remote);
    void free_slot(Link& l);
    void rearm_link(Link& l);
    void link_timer_fired(Link& l);
    void feed(Link& l, char* data, std::size_t len);
    void on_framed(Link& l, LinkId id, LineFramer::Event ev, char* line, std::size_t n);
    void handle_line(Link& l, char* line, std::size_t len);
    void handle_before_handshake(Link& l, const PeerMessage& m);
    void handle_established(Link& l, const PeerMessage& m);
    bool accept_hello(Link& l, const PeerMessage& m);
    void establish(Link& l, int peer);
    void keepalive(Link& l);
    bool send_ping(Link& l);
    void take_handshake(Link& l, const PeerMessage& m);
    bool echoes_us(Link& l, const PeerMessage& m);
    bool refuse_duplicate(Link& l, int peer);
    void on_pong(Link& l, const PeerMessage& m);
    // Stop using `l` for its peer (emits link down); the peer may go STALE.
    void detach(Link& l, const char* reason, bool penalize);
    // BYE then close once flushed (or BYE_OK when await_bye_ok), within the grace.
    void begin_close(Link& l, std::string_view bye_reason, const char* why, bool await_bye_ok,
                     bool penalize);
    // Close once what is queued (an ERROR) is written, without BYE.
    void close_after_flush(Link& l, const char* why, bool penalize);
    // Close at once: the host drops the socket, the slot is freed.
    void close_now(Link& l, const char* why, bool penalize);
    void release(Link& l, const char* why, bool penalize);

    bool queue_line(Link& l, const char* line, std::size_t len, bool control);

    // The queue limits a line of ours or a relayed one (not control) must fit under.

    OutQueue::Limits data_limits() const;
    bool queue_msg(Link& l, const PeerMessage& m, bool control);
    void send_error(Link& l, std::string_view code, std::string_view ref, std::string_view detail);
    void signal_write(Link& l);

    // ---- peers (node_peers.cpp) ----
    void set_state(int peer, PeerState state, std::string_view detail);
    bool start_dial(int peer);
    void peer_lost(int peer, const char* why, bool penalize);
    void peer_timer_fired(int peer);
    void remove_peer(int peer, const char* why);
    Link* active_link(int peer);
    int learn_peer(Link& l, std::string_view peer_id);
    // A record for a new peer, evicting an idle one if that is what it takes
    // (node_admission.cpp); -1 when every record is held. `source`: the
    // address of the inbound link it comes from ("" for discovered/static).
    int admit_peer(std::string_view source);
    bool evictable(int peer) const;
    // Before alloc_link takes a slot (node_admission.cpp): false to refuse a
    // connection from `remote` ("ip:port"); may close the oldest connection
    // still waiting for its HELLO to make room. *hs_timeout: how long the new
    // link has for its handshake.
    bool make_room_for_link(LinkDirection dir, std::string_view remote, MonoMs* hs_timeout);

    // ---- messages (node_messages.cpp) ----
    void on_send(Link& l, const PeerMessage& m);
    void on_ack(Link& l, const PeerMessage& m);
    void on_pub(Link& l, const PeerMessage& m);
    void on_bye(Link& l, const PeerMessage& m);
    void on_error(Link& l, const PeerMessage& m);
    int next_pending_of(int peer, int after) const;
    bool transmit(int index);  // queue a copy of pending SEND `index`
    void flush_pending(int peer);
    bool needs_copy(const PendingSend& ps) const;
    void start_ack_clocks(Link& l);
    void pending_timer_fired(int index);
    void finish_pending(int index, bool delivered, std::string_view reason);
    void put_waiting_on_clock(int p, MonoMs t);
    void fail_waiting(int peer, std::string_view reason);

    // ---- relay (node_relay.cpp) ----
    bool relaying() const { return (cfg.features & kFeatureRelay) != 0; }
    Link* route_link(std::string_view dst);
    bool has_who_has_neighbour(std::string_view except_peer);
    void send_who_has(std::string_view dst);
    void remember(std::string_view msg_id, LinkId prev, MonoMs keep);
    Link* backtrack_link(std::string_view msg_id);
    bool queue_relayed(Link& from, Link& next, const PeerMessage& m);
    void relay_send(Link& l, const PeerMessage& m);
    void relay_pub(Link& l, const PeerMessage& m, std::string_view ns, bool all);
    void relay_reply(Link& l, MsgType type, const PeerMessage& m, std::string_view reason);
    void on_who_has(Link& l, const PeerMessage& m);
    void on_who_has_hit(Link& l, const PeerMessage& m);
    void on_relay_answer(Link& l, const PeerMessage& m);
    void on_metrics_req(Link& l, const PeerMessage& m);
    void on_metrics(Link& l, const PeerMessage& m);
    void flush_routed(std::string_view dst);

    // ---- backpressure (node_flow.cpp) ----
    std::size_t paused_links = 0;
    bool above_share(const Link& l) const;
    bool below_low_water(const Link& l) const;
    bool slow_reader(Link& l);  // marks and WARNs on the first call past the bound
    void fed(Link& from, Link& to);
    void pause_reading(Link& l, Link& blocker);
    void try_resume(Link& l);
    void release_held(Link& l);
    void flow_drained(Link& l);  // after consumed(): below its low-water mark?
    void flow_closed(Link& l);   // l is going away: links it paused look again

    // ---- events ----
    void emit(const NodeEvent& ev) { host.emit(ev); }
    void emit_link(const Link& l, bool up, std::string_view reason);
    void emit_undelivered(std::string_view msg_id, std::string_view to, std::string_view reason);
};

}  // namespace p2p
