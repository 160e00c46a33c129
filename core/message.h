// The messages of a peer link (docs/protocol.md §4, §5) as plain values.
//
// Decoded messages hold string_views into the line they were parsed from (an
// in-situ parse), so a PeerMessage is valid only while that line is. Encoding
// writes into a caller-provided fixed buffer. Nothing here allocates.
#pragma once
#include <cstdint>
#include <string_view>

namespace p2p {

enum class MsgType : std::uint8_t {
    kUnknown,  // a string `type` we do not know: answer p2p_unknown_command
    kHello,
    kHelloOk,
    kHelloReject,
    kPing,
    kPong,
    kSend,
    kAck,
    kPub,
    kBye,
    kByeOk,
    kError,
    kWhoHas,
    kWhoHasHit,
    kRelayOk,
    kRelayFail,
    kTtlExpired,
    kMetricsReq,
    kMetrics,
};

// The wire name of a type ("HELLO_OK", ...); "" for kUnknown.
std::string_view msg_type_name(MsgType type);
// Exact, case-sensitive match of a wire name; kUnknown if none.
MsgType msg_type_from_name(std::string_view name);

// Features a peer announces in HELLO/HELLO_OK, as bits.
enum Feature : std::uint32_t {
    kFeatureAck = 1u << 0,
    kFeatureMetrics = 1u << 1,
    kFeatureRelay = 1u << 2,
    kFeatureWhoHas = 1u << 3,
    // Secured links (docs/protocol.md §8): announced only by a node with a key, so not
    // in kAllFeatures; the host adds it (NodeConfig::features).
    kFeatureNoise = 1u << 4,
};
inline constexpr std::uint32_t kAllFeatures =
    kFeatureAck | kFeatureMetrics | kFeatureRelay | kFeatureWhoHas;

// Feature tokens of this shape are never real features: a node puts one,
// random, in its HELLO to detect peers that echo the caller's list.
inline constexpr std::string_view kGreasePrefix = "x-grease-";
// What an absent string field holds: empty but never a null pointer, so a
// handler may memcpy(dst, field.data(), field.size()) whatever arrived (a
// HELLO without `version` did that with a null source; found by
// tests/fuzz/peer_session_fuzz.cpp).
inline constexpr std::string_view kNoText = "";

// One peer-link message. Fields a type does not use stay empty/zero.
// `has_*` flags tell "absent" from "empty" where the protocol cares.
struct PeerMessage {
    MsgType type = MsgType::kUnknown;
    std::string_view type_name = kNoText;  // as received, for p2p_unknown_command

    std::string_view msg_id = kNoText;  // "" when absent or null (broken legacy ACKs)
    bool has_msg_id = false;            // a non-empty string msg_id was present
    std::string_view src = kNoText;
    std::string_view dst = kNoText;
    std::string_view peer_id = kNoText;  // HELLO, HELLO_OK
    std::string_view version = kNoText;  // HELLO, HELLO_OK
    std::uint32_t features = 0;          // HELLO, HELLO_OK: known features only
    // HELLO, HELLO_OK: a GREASE token (kGreasePrefix + hex, docs/protocol.md
    // §4). Encode: appended to `features` when set. Decode: the last
    // GREASE-shaped token in the list (in-situ, like the other views).
    std::string_view grease = kNoText;
    std::string_view payload = kNoText;  // SEND, PUB
    bool require_ack = false;            // SEND, PUB
    std::string_view from = kNoText;     // ACK
    std::string_view reason = kNoText;   // BYE, RELAY_FAIL, TTL_EXPIRED, HELLO_REJECT
    std::string_view via = kNoText;      // WHO_HAS_HIT
    // ISO string as received; epoch numbers are accepted but not kept.
    std::string_view timestamp = kNoText;

    // ERROR: the code may arrive under `error` or `code` (both accepted).
    std::string_view error = kNoText;
    std::string_view ref = kNoText;
    std::string_view detail = kNoText;
    std::int64_t limit = 0;

    // METRICS
    double rtt_ms = 0;
    std::uint64_t sent_count = 0;
    std::uint64_t recv_count = 0;
    std::string_view last_seen = kNoText;

    // Missing ttl counts as 1 (docs/protocol.md §2). Written last on encode.
    std::int64_t ttl = 1;
};

}  // namespace p2p
