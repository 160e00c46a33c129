// The peer codec's field table and the SAX collector that fills it from a
// line (internal to codec.cpp and codec_fields.cpp).
//
// Decoding used to build a RapidJSON document and walk it; now the reader's
// SAX events go straight into FieldSlots: one slot per known field, the last
// value of each (duplicate keys: the last wins, as in Python's json module),
// everything else only counted for depth (issue 17: a third of the
// instructions per message went into the document and the second walk). The
// values keep the distinctions the document had (null, bool, the integer
// kinds, double, string, array, object), so every rule of docs/protocol.md §2
// decides as before.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_arena.h"
#include "core/message.h"

namespace p2p::codec {

// Field order here is the order fields are written in. `ttl` must stay last.
enum Field : unsigned {
    kFMsgId,
    kFSrc,
    kFDst,
    kFPeerId,
    kFVersion,
    kFFeatures,
    kFPayload,
    kFRequireAck,
    kFFrom,
    kFReason,
    kFVia,
    kFTimestamp,
    kFError,
    kFRef,
    kFDetail,
    kFLimit,
    kFRttMs,
    kFSentCount,
    kFRecvCount,
    kFLastSeen,
    kFTtl,
    kFieldCount,
    // Members read besides the fields (their slots follow the fields').
    kMType = kFieldCount,
    kMStatus,  // {"status":"ERROR",...} form
    kMCode,    // error code under `code`
    kSlotCount,
};

using FieldMask = std::uint32_t;
constexpr FieldMask bit(unsigned f) {
    return FieldMask{1} << f;
}
static_assert(kSlotCount <= 32);

struct FieldInfo {
    std::string_view key;
    std::string_view bad_detail;     // DecodeResult::detail when its value has the wrong type
    std::string_view bad_id_detail;  // ... when an identifier's string is unusable
};
inline constexpr std::array<FieldInfo, kFieldCount> kFields = {{
    {"msg_id", "field 'msg_id' must be a string", "field 'msg_id' must be valid UTF-8"},
    {"src", "field 'src' must be a string", "field 'src' must be a valid peer_id"},
    {"dst", "field 'dst' must be a string", "field 'dst' must be a valid peer_id or scope"},
    {"peer_id", "field 'peer_id' must be a string", "field 'peer_id' must be valid UTF-8"},
    {"version", "field 'version' must be a string", ""},
    {"features", "field 'features' must be an array", ""},
    {"payload", "field 'payload' must be a string", ""},
    {"require_ack", "field 'require_ack' must be a boolean", ""},
    {"from", "field 'from' must be a string", "field 'from' must be a valid peer_id"},
    {"reason", "field 'reason' must be a string", ""},
    {"via", "field 'via' must be a string", "field 'via' must be a valid peer_id"},
    {"timestamp", "", ""},  // never rejected
    {"error", "field 'error' must be a string", ""},
    {"ref", "field 'ref' must be a string", ""},
    {"detail", "field 'detail' must be a string", ""},
    {"limit", "field 'limit' must be a number", ""},
    {"rtt_ms", "field 'rtt_ms' must be a number", ""},
    {"sent_count", "field 'sent_count' must be a number", ""},
    {"recv_count", "field 'recv_count' must be a number", ""},
    {"last_seen", "field 'last_seen' must be a string", ""},
    {"ttl", "field 'ttl' must be a number", ""},
}};

struct FeatureName {
    Feature bit;
    std::string_view name;
};
inline constexpr std::array<FeatureName, 5> kFeatureNames = {{
    {kFeatureAck, "ack"},
    {kFeatureMetrics, "metrics"},
    {kFeatureRelay, "relay"},
    {kFeatureWhoHas, "who_has"},
    {kFeatureNoise, "noise"},
}};

// The slot a root member's key names, or kSlotCount when none.
unsigned slot_of_key(std::string_view key);

// One root member's value, with the accessors the decoder used on a
// RapidJSON Value (same names, same answers).
//
// No member initialisers: a decode does not pay for clearing every slot. The
// collector value-initialises a slot (all zero) before it fills it and marks
// it present.
struct FieldValue {
    enum class Kind : std::uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
    Kind kind;
    bool boolean;          // kBool
    bool int64_ok;         // kInt: fits std::int64_t
    bool uint64_ok;        // kInt: not negative
    std::int64_t i;        // kInt with int64_ok
    std::uint64_t u;       // kInt with uint64_ok
    double d;              // kDouble
    std::string_view str;  // kString (points into the in-situ line)
    // kArray: its direct string elements read as feature names (the only
    // array a peer message has): known features' bits, and the last
    // GREASE-shaped name.
    std::uint32_t feature_bits;
    std::string_view grease;

    bool IsNull() const { return kind == Kind::kNull; }
    bool IsBool() const { return kind == Kind::kBool; }
    bool IsNumber() const { return kind == Kind::kInt || kind == Kind::kDouble; }
    bool IsString() const { return kind == Kind::kString; }
    bool IsArray() const { return kind == Kind::kArray; }
    bool IsInt64() const { return kind == Kind::kInt && int64_ok; }
    bool IsUint64() const { return kind == Kind::kInt && uint64_ok; }
    bool GetBool() const { return boolean; }
    std::int64_t GetInt64() const { return i; }
    std::uint64_t GetUint64() const { return u; }
    double GetDouble() const {
        if (kind == Kind::kDouble) return d;
        return int64_ok ? static_cast<double>(i) : static_cast<double>(u);
    }
};

// The members a decode cares about. Only `present` is reset per line.
struct FieldSlots {
    FieldMask present;
    FieldValue slot[kSlotCount];
    bool root_is_object;
    const FieldValue* get(unsigned s) const { return present & bit(s) ? &slot[s] : nullptr; }
};

// Parses line[0..len) in place into `slots` (json::parse_line_sax): false
// when the line is not one JSON text (nor UTF-8, nor within kMaxDepth).
bool collect_fields(JsonArena& arena, char* line, std::size_t len, FieldSlots& slots);

}  // namespace p2p::codec
