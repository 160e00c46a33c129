// JSON codec for every message of docs/protocol.md, built on RapidJSON.
//
// Decoding parses in situ: the caller's line buffer is modified and the
// decoded views point into it. Parsing uses a MemoryPoolAllocator over a fixed
// buffer owned by a JsonArena, so steady-state decoding never touches the heap
// (tests assert the arena did not overflow). Encoding writes into a fixed
// output buffer and reports overflow instead of growing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_arena.h"
#include "core/limits.h"
#include "core/message.h"

namespace p2p {

enum class DecodeStatus {
    kOk,
    kNotJson,    // not valid JSON
    kNotObject,  // valid JSON but not an object
    kNoType,     // object without a string `type`
    kBadField,   // a known field has a type we cannot accept (detail says which)
};

struct DecodeResult {
    DecodeStatus status = DecodeStatus::kOk;
    std::string_view detail;  // static text naming the offending field, for ERROR.detail
    bool ok() const { return status == DecodeStatus::kOk; }
};

// Decodes one line (without its '\n'; `line` must have room for a trailing
// NUL at line[len], which the framer guarantees). Tolerant as docs/protocol.md
// §2/§4 require: unknown fields ignored, missing ttl = 1, timestamps of any
// form, error code under `error` or `code`, msg_id "" or null accepted.
DecodeResult decode_peer_message(char* line, std::size_t len, JsonArena& arena, PeerMessage& out);

// Encodes `msg` as one JSON line terminated by '\n' into out[0..cap).
// Returns the bytes written, or 0 if it does not fit (nothing usable written).
// Writes only the fields that belong to msg.type, with `ttl` last.
std::size_t encode_peer_message(const PeerMessage& msg, char* out, std::size_t cap);

// Bytes encode_peer_message would write for `msg`, its '\n' included, without
// writing anything; 0 if it cannot be encoded (kUnknown, a NaN rtt_ms).
std::size_t encoded_size(const PeerMessage& msg);

// True if `msg` encodes to a line peers accept: at most kMaxLineBytes before
// the '\n'. A SEND/PUB failing this is refused with `message_too_large`.
bool fits_in_line(const PeerMessage& msg);

// ---- Rendezvous (docs/protocol.md §3) ------------------------------------------

// A JSON value seen loosely, so the registry can apply the reference server's
// Python-style rules (numeric strings accepted for port/ttl, etc.).
struct LooseValue {
    enum class Kind : std::uint8_t { kMissing, kNull, kBool, kInt, kDouble, kString, kOther };
    Kind kind = Kind::kMissing;
    std::string_view str;  // kString
    std::int64_t i = 0;    // kInt, kBool (0/1)
    double d = 0;          // kDouble
};

struct RendezvousRequest {
    std::string_view type;  // as sent; match case-insensitively
    LooseValue ns;          // "namespace"
    LooseValue name;
    LooseValue port;
    LooseValue ttl;
};

enum class RequestParse {
    kOk,
    kNotJsonOrNoType,  // the server answers "Unknown command"
};

RequestParse decode_rendezvous_request(char* line, std::size_t len, JsonArena& arena,
                                       RendezvousRequest& out);

// One entry of a DISCOVER answer, tolerant of missing/extra fields.
struct DiscoveredPeer {
    std::string_view ip;
    std::int64_t port = 0;
    std::string_view name;
    std::string_view ns;
    std::int64_t ttl = 0;
    std::int64_t expires_in = -1;  // -1 when the server did not say
};

// A rendezvous server's answer, from new or old servers alike.
struct RendezvousResponse {
    bool ok = false;                 // status == "OK"
    std::string_view error;          // `message` or else `error` when not ok
    std::int64_t ttl = 0;            // REGISTER
    std::string_view observed_ip;    // `ip` or else `observed_ip`
    std::int64_t observed_port = 0;  // `port` or else `observed_port`
    bool has_peers = false;          // DISCOVER
};

// The longest registration any server grants (the reference clamps ttl into
// 1..86400 s): every ttl and expires_in read from an answer is clamped to it
// before any arithmetic (docs/protocol.md §3 "Client behaviour").
inline constexpr std::int64_t kMaxRendezvousTtlSeconds = 86'400;
// Clamp a decoded answer / entry into those ranges (ttl 0..max, expires_in
// -1 or 0..max, observed_port 0..65535). decode_rendezvous_response applies
// them; a decoder of its own (the client's for long answers) must too.
void clamp_response(RendezvousResponse& response);
void clamp_discovered(DiscoveredPeer& peer);

// Calls `on_peer(ctx, peer)` for each well-formed entry of `peers` (entries
// that are not objects, or lack ip/port/name/namespace, are skipped and
// counted in *skipped). Returns false if the line is not a JSON object.
// Raw bytes that are not UTF-8 are accepted (older servers wrote them): the
// status and error text are repaired, an observed ip that is not a usable
// address is dropped, and each entry's name/namespace/ip is left for the
// client's name rule, which skips the entry.
using DiscoveredPeerFn = void (*)(void* ctx, const DiscoveredPeer& peer);
bool decode_rendezvous_response(char* line, std::size_t len, JsonArena& arena,
                                RendezvousResponse& out, DiscoveredPeerFn on_peer, void* ctx,
                                std::size_t* skipped);

}  // namespace p2p
