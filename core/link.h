// One peer link's record: the state every part of the engine keeps about a
// connection, in one slot of the LinkTable (core/link_table.h). A record,
// not a class: the groups below say which part writes which fields.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/line_framer.h"
#include "core/node_types.h"
#include "core/origin_rates.h"
#include "core/out_queue.h"

namespace p2p {

// "ip:port" -> "ip" (IPv6 "::1:5000" -> "::1").
inline std::string_view host_part(std::string_view remote) {
    std::size_t colon = remote.rfind(':');
    return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

struct Link {
    Link() : framer(nullptr) {}

    // ---- the slot (LinkTable) ----
    bool used = false;
    std::uint16_t gen = 0;
    LinkId id = kNoLink;
    LinkState state = LinkState::kDialing;
    LinkDirection dir = LinkDirection::kOutbound;
    int peer = -1;  // record index once known (outbound: from the start)
    char remote[72] = {};
    std::uint8_t remote_len = 0;
    LineFramer framer;
    OutQueue out;
    std::uint64_t lines_queued = 0;   // lines pushed on `out` so far
    std::uint64_t lines_written = 0;  // of those, written by the host
    MonoMs write_ready_at = 0;        // legacy pacing: no write before then

    // ---- the handshake (Handshake) ----
    char version[16] = {};
    std::uint32_t features = 0;  // negotiated
    bool legacy = true;          // no `relay` on both sides
    bool echo = false;           // peer echoed our GREASE token: legacy
    // The host secures the link from the end of the line being handled: what else this
    // read brought is not the handshake's (Inbound closes the link on it).
    bool upgrade_cut = false;
    MonoMs opened_at = 0;
    MonoMs established_at = 0;
    MonoMs hs_deadline = 0;     // handshake (and connect) must finish by then
    MonoMs probe_deadline = 0;  // a duplicate HELLO came: no PONG by then = dead

    // ---- keep-alive and close (LinkLife) ----
    bool detached = false;      // no longer carries its peer's traffic
    bool await_bye_ok = false;  // closing: wait for BYE_OK (else for the flush)
    bool got_reject = false;    // HELLO_REJECT seen: "already connected"
    MonoMs next_ping = 0;
    MonoMs close_deadline = 0;    // kClosing: close at the latest then
    std::uint64_t lines_in = 0;   // lines received since the handshake
    int missed = 0;               // PINGs in a row without PONG
    bool ping_postponed = false;  // this period's PING waited once for a busy paced link
    struct Ping {
        std::uint64_t hash;
        MonoMs at;
    };
    static constexpr int kPings = 4;
    Ping pings[kPings] = {};
    int ping_next = 0;

    // ---- backpressure (Flow, node_flow.cpp) ----
    bool read_paused = false;     // lines held in the framer until resume
    LinkId blocked_by = kNoLink;  // the link whose full queue paused our reading
    MonoMs resume_at = 0;         // read_paused: look at blocked_by again then
    MonoMs full_since = 0;        // our queue rose above the relay share then (0: below)
    bool slow = false;            // full_since is older than slow_reader_ms
    std::uint64_t dropped = 0;    // relayed copies dropped toward this link

    // ---- the forwarding gate (ForwardGate) ----
    TokenBucket relay_rate;  // messages received on this link for forwarding (forward_gate.h)

    std::string_view remote_view() const { return {remote, remote_len}; }
    // The address without ":port" (the source an inbound link comes from).
    std::string_view remote_host() const { return host_part(remote_view()); }
};

inline bool handshaking(const Link& l) {
    return l.state == LinkState::kDialing || l.state == LinkState::kAwaitHello ||
           l.state == LinkState::kAwaitHelloOk;
}

}  // namespace p2p
