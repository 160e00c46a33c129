// The engine's small shared types: link ids, peer and link states, and the
// output slice. Kept apart from node.h so the engine's building blocks (peer
// table, pending SENDs, out queues) can name them without including the whole
// Node API, and node.h includes those modules rather than the reverse.
#pragma once
#include <cstddef>
#include <cstdint>

namespace p2p {

// Names a link for the lifetime of one connection. 0 is never a valid id; ids
// carry a generation, so an id of a closed link is never confused with a new
// link in the same slot.
using LinkId = std::uint32_t;
inline constexpr LinkId kNoLink = 0;

enum class LinkDirection : std::uint8_t { kOutbound, kInbound };
const char* link_direction_name(LinkDirection dir);  // "outbound" / "inbound"

enum class PeerState : std::uint8_t { kDiscovered, kConnecting, kConnected, kStale, kGone };
const char* peer_state_name(PeerState state);  // "DISCOVERED", ...

enum class LinkState : std::uint8_t {
    kDialing,       // outbound, TCP connect in progress
    kAwaitHelloOk,  // outbound, HELLO sent
    kAwaitHello,    // inbound, waiting for the dialer's HELLO
    kEstablished,   // handshake complete
    kClosing,       // BYE sent or close requested; waiting for flush / BYE_OK
};
const char* link_state_name(LinkState state);

// What the relay forwards or fans out (core/forward_gate.h, docs/protocol.md
// §5 "Admission"), and what the gate answered, counted per pair for /routes.
enum class Forward : std::uint8_t {
    kSend,        // a SEND for another peer, relayed on toward it
    kPub,         // a PUB flooded to the neighbours in its scope (ours to all)
    kWhoHas,      // a route query: ours to the neighbours, or asked further
    kWhoHasHit,   // a route answer passed back toward the asker
    kMetricsReq,  // a metrics query to a neighbour (answered there, never passed on)
    kPassBack,    // an ACK or a RELAY_OK/RELAY_FAIL/TTL_EXPIRED passed back toward its origin
};
inline constexpr std::size_t kForwardKinds = 6;
const char* forward_kind_name(Forward kind);  // "SEND", "PUB", ..., "answers"

enum class ForwardVerdict : std::uint8_t {
    kPass,
    kNotNegotiated,  // the link, or this node (--no-relay), does not take this kind
    kTtlExpired,     // no hop left
    kOverQuota,      // the link's or the origin's token bucket is empty
};
inline constexpr std::size_t kForwardVerdicts = 4;
const char* forward_verdict_name(ForwardVerdict v);  // "admitted", "not_negotiated", ...

struct ForwardCounts {
    std::uint64_t n[kForwardKinds][kForwardVerdicts] = {};
    std::uint64_t at(Forward k, ForwardVerdict v) const {
        return n[static_cast<std::size_t>(k)][static_cast<std::size_t>(v)];
    }
    std::uint64_t refused(Forward k) const {
        return at(k, ForwardVerdict::kNotNegotiated) + at(k, ForwardVerdict::kTtlExpired) +
               at(k, ForwardVerdict::kOverQuota);
    }
};

// Why the host reports a link down.
enum class LinkDownReason : std::uint8_t {
    kConnectFailed,  // an outbound dial did not connect (refused, timeout, DNS)
    kClosedByPeer,   // EOF
    kError,          // read/write error (reset, ...)
};

// One piece of queued output. The host copies these into iovecs for writev.
struct OutSlice {
    const char* data;
    std::size_t len;
};

}  // namespace p2p
