// Peer-link codec (docs/protocol.md §2, §4, §5). The arena and RapidJSON plumbing
// live in json_arena.cpp and json_util.cpp; the rules chosen here are explained in docs/codec.md.
//
// One table says which fields belong to each type. Decoding reads only those
// (anything else is an extra field and ignored); encoding writes only those,
// in the table's field order, which puts `ttl` last.
#include "core/codec.h"

#include <array>
#include <cstdint>
#include <limits>

#include "core/json_util.h"
#include "core/limits.h"
#include "core/text.h"

namespace p2p {

namespace {

using json::Value;

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
};

using FieldMask = std::uint32_t;
constexpr FieldMask bit(Field f) {
    return FieldMask{1} << f;
}

struct FieldInfo {
    std::string_view key;
    std::string_view bad_detail;     // DecodeResult::detail when its value has the wrong type
    std::string_view bad_id_detail;  // ... when an identifier's string is unusable
};

constexpr std::array<FieldInfo, kFieldCount> kFields = {{
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
constexpr std::string_view kBadCodeDetail = "field 'code' must be a string";

// Which fields a type carries, and which of those are written only when set
// (non-empty string, non-zero number). Decoding treats every field as optional.
struct TypeFields {
    FieldMask fields;
    FieldMask optional;
};

constexpr FieldMask kRouted = bit(kFMsgId) | bit(kFSrc) | bit(kFDst) | bit(kFTtl);
constexpr FieldMask kHandshake = bit(kFPeerId) | bit(kFVersion) | bit(kFFeatures) | bit(kFTtl);
constexpr FieldMask kChat = kRouted | bit(kFPayload) | bit(kFRequireAck);

constexpr std::array<TypeFields, 19> kTypeFields = {{
    /* kUnknown     */ {bit(kFMsgId), 0},
    /* kHello       */ {kHandshake, 0},
    /* kHelloOk     */ {kHandshake, 0},
    /* kHelloReject */ {bit(kFPeerId) | bit(kFReason) | bit(kFTtl), bit(kFPeerId) | bit(kFReason)},
    /* kPing        */ {bit(kFMsgId) | bit(kFTimestamp) | bit(kFTtl), bit(kFTimestamp)},
    /* kPong        */
    {bit(kFMsgId) | bit(kFSrc) | bit(kFTimestamp) | bit(kFTtl), bit(kFSrc) | bit(kFTimestamp)},
    /* kSend        */ {kChat, 0},
    /* kAck         */
    {bit(kFMsgId) | bit(kFSrc) | bit(kFFrom) | bit(kFTimestamp) | bit(kFTtl),
     bit(kFSrc) | bit(kFTimestamp)},
    /* kPub         */ {kChat, 0},
    /* kBye         */ {kRouted | bit(kFReason), bit(kFReason)},
    /* kByeOk       */ {kRouted, 0},
    /* kError       */
    {bit(kFError) | bit(kFRef) | bit(kFDetail) | bit(kFLimit) | bit(kFTtl),
     bit(kFRef) | bit(kFDetail) | bit(kFLimit)},
    /* kWhoHas      */ {kRouted, 0},
    /* kWhoHasHit   */ {kRouted | bit(kFVia), 0},
    /* kRelayOk     */ {kRouted, 0},
    /* kRelayFail   */ {kRouted | bit(kFReason), bit(kFReason)},
    /* kTtlExpired  */ {kRouted | bit(kFReason), bit(kFReason)},
    /* kMetricsReq  */ {kRouted, 0},
    /* kMetrics     */
    {kRouted | bit(kFRttMs) | bit(kFSentCount) | bit(kFRecvCount) | bit(kFLastSeen),
     bit(kFLastSeen)},
}};
static_assert(kTypeFields.size() == static_cast<std::size_t>(MsgType::kMetrics) + 1);

const TypeFields& fields_of(MsgType type) {
    return kTypeFields[static_cast<std::size_t>(type)];
}

struct FeatureName {
    Feature bit;
    std::string_view name;
};
constexpr std::array<FeatureName, 5> kFeatureNames = {{
    {kFeatureAck, "ack"},
    {kFeatureMetrics, "metrics"},
    {kFeatureRelay, "relay"},
    {kFeatureWhoHas, "who_has"},
    {kFeatureNoise, "noise"},
}};

// ---- decoding -------------------------------------------------------------

// The members a decode cares about, found in one pass over the object.
struct Slots {
    const Value* field[kFieldCount] = {};
    const Value* type = nullptr;
    const Value* status = nullptr;  // {"status":"ERROR",...} form
    const Value* code = nullptr;    // error code under `code`
};

void collect(const Value& object, Slots& slots) {
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        std::string_view key = json::view(it->name);
        const Value* value = &it->value;
        // Duplicate keys: the last one wins, as with Python's json module.
        if (key == "type") {
            slots.type = value;
        } else if (key == "status") {
            slots.status = value;
        } else if (key == "code") {
            slots.code = value;
        } else {
            for (unsigned f = 0; f < kFieldCount; ++f) {
                if (kFields[f].key == key) {
                    slots.field[f] = value;
                    break;
                }
            }
        }
    }
}

// Numbers: any JSON number is accepted; a fraction is truncated toward zero
// (as Python's int() would) and out-of-range values saturate.
std::int64_t to_int64(const Value& v) {
    if (v.IsInt64()) return v.GetInt64();
    if (v.IsUint64()) return std::numeric_limits<std::int64_t>::max();
    double d = v.GetDouble();
    constexpr double kTwo63 = 9223372036854775808.0;
    if (d >= kTwo63) return std::numeric_limits<std::int64_t>::max();
    if (d <= -kTwo63) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
}

std::uint64_t to_uint64(const Value& v) {
    if (v.IsUint64()) return v.GetUint64();
    if (v.IsInt64()) return 0;  // negative
    double d = v.GetDouble();
    constexpr double kTwo64 = 18446744073709551616.0;
    if (d <= 0) return 0;
    if (d >= kTwo64) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(d);
}

// Ranges numbers are clamped into on receipt (docs/protocol.md §2): limit is
// a byte count, rtt_ms a round trip of at most a day. ttl keeps the 64-bit
// range (saturated by to_int64): it is only compared, and decremented only
// when at least 1.
constexpr std::int64_t kMaxLimit = std::int64_t{1} << 31;
constexpr double kMaxRttMs = 86'400'000.0;

std::int64_t clamp_int(std::int64_t v, std::int64_t lo, std::int64_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

double clamp_rtt(double v) {
    return v > 0 ? (v < kMaxRttMs ? v : kMaxRttMs) : 0;
}

std::uint32_t to_features(const Value& array, std::string_view& grease) {
    std::uint32_t bits = 0;
    for (auto it = array.Begin(); it != array.End(); ++it) {
        if (!it->IsString()) continue;  // not a feature name we could know
        std::string_view name = json::view(*it);
        if (name.starts_with(kGreasePrefix)) grease = name;
        for (const FeatureName& feature : kFeatureNames) {
            if (feature.name == name) bits |= feature.bit;
        }
    }
    return bits;
}

// The string member of `m` that field `f` maps to (PeerMessage or const).
template <class Message>
auto string_target(Message& m, Field f) -> decltype(&m.msg_id) {
    switch (f) {
        case kFMsgId:
            return &m.msg_id;
        case kFSrc:
            return &m.src;
        case kFDst:
            return &m.dst;
        case kFPeerId:
            return &m.peer_id;
        case kFVersion:
            return &m.version;
        case kFPayload:
            return &m.payload;
        case kFFrom:
            return &m.from;
        case kFReason:
            return &m.reason;
        case kFVia:
            return &m.via;
        case kFTimestamp:
            return &m.timestamp;
        case kFError:
            return &m.error;
        case kFRef:
            return &m.ref;
        case kFDetail:
            return &m.detail;
        case kFLastSeen:
            return &m.last_seen;
        default:
            return nullptr;
    }
}

// Reads one field into `m`. False if its value has a type we cannot accept.
// A null value counts as absent for every field.
bool read_field(Field f, const Value& v, PeerMessage& m) {
    if (v.IsNull()) return true;
    switch (f) {
        case kFTimestamp:
            // Any form is accepted and none is required; only strings are kept.
            if (v.IsString()) m.timestamp = json::view(v);
            return true;
        case kFFeatures:
            if (!v.IsArray()) return false;
            m.features = to_features(v, m.grease);
            return true;
        case kFRequireAck:
            // Python peers may send 0/1; treat numbers by truthiness.
            if (v.IsBool()) {
                m.require_ack = v.GetBool();
            } else if (v.IsNumber()) {
                m.require_ack = v.GetDouble() != 0;
            } else {
                return false;
            }
            return true;
        case kFLimit:
        case kFTtl:
            if (!v.IsNumber()) return false;
            if (f == kFTtl)
                m.ttl = to_int64(v);
            else
                m.limit = clamp_int(to_int64(v), 0, kMaxLimit);
            return true;
        case kFSentCount:
        case kFRecvCount:
            if (!v.IsNumber()) return false;
            (f == kFSentCount ? m.sent_count : m.recv_count) = to_uint64(v);
            return true;
        case kFRttMs:
            if (!v.IsNumber()) return false;
            m.rtt_ms = clamp_rtt(v.GetDouble());
            return true;
        default: {
            if (!v.IsString()) return false;
            *string_target(m, f) = json::view(v);
            if (f == kFMsgId) m.has_msg_id = !m.msg_id.empty();
            return true;
        }
    }
}

DecodeResult fail(DecodeStatus status, std::string_view detail) {
    return {status, detail};
}

// Decoded strings may be invalid UTF-8 even from a valid line (a lone
// "\udc00" escape, json_util.h). docs/protocol.md §2 "Strings that are not
// UTF-8": identifiers are refused, since repairing them would make different
// ids equal; text is repaired in place, so nothing we show, log, echo or relay
// is invalid UTF-8. The name rule for src/from/via/dst (C1 and bidi controls
// included) is checked here once for every handler.
constexpr Field kTextFields[] = {kFVersion, kFPayload, kFReason, kFTimestamp,
                                 kFError,   kFRef,     kFDetail, kFLastSeen};
constexpr Field kPeerIdFields[] = {kFSrc, kFFrom, kFVia};

DecodeResult check_strings(PeerMessage& m) {
    if (!is_valid_utf8(m.msg_id))
        return fail(DecodeStatus::kBadField, kFields[kFMsgId].bad_id_detail);
    // HELLO and HELLO_OK have theirs checked against the name rule by the handshake; a
    // HELLO_REJECT's is only shown, but shown it is (codec_fuzz found it unchecked).
    if (!is_valid_utf8(m.peer_id))
        return fail(DecodeStatus::kBadField, kFields[kFPeerId].bad_id_detail);
    // A GREASE-shaped token that is not UTF-8 cannot be anyone's echo of ours (ours
    // is hex): it is dropped rather than kept to be shown or written back.
    if (!is_valid_utf8(m.grease)) m.grease = kNoText;
    for (Field f : kPeerIdFields) {
        std::string_view v = *string_target(m, f);
        if (!v.empty() && !is_valid_peer_id(v))
            return fail(DecodeStatus::kBadField, kFields[f].bad_id_detail);
    }
    // A PUB's dst is a scope ("*", "#ns", "ns"), checked by the node; any
    // other dst is a peer_id.
    bool dst_ok = m.type == MsgType::kPub ? is_valid_utf8(m.dst) : is_valid_peer_id(m.dst);
    if (!m.dst.empty() && !dst_ok)
        return fail(DecodeStatus::kBadField, kFields[kFDst].bad_id_detail);
    for (Field f : kTextFields) {
        std::string_view* v = string_target(m, f);
        *v = json::repair_in_place(*v);
    }
    return {};
}

}  // namespace

DecodeResult decode_peer_message(char* line, std::size_t len, JsonArena& arena, PeerMessage& out) {
    out = PeerMessage{};
    const Value* root = json::parse_line(arena, line, len);
    if (!root) return fail(DecodeStatus::kNotJson, "not a JSON text");
    if (!root->IsObject()) return fail(DecodeStatus::kNotObject, "not a JSON object");

    Slots slots;
    collect(*root, slots);

    if (slots.type && slots.type->IsString()) {
        out.type_name = json::view(*slots.type);
        out.type = msg_type_from_name(out.type_name);
    } else if (slots.status && slots.status->IsString() && json::view(*slots.status) == "ERROR") {
        // The spec's alternative error form: {"status":"ERROR","error":...}.
        out.type = MsgType::kError;
        out.type_name = msg_type_name(MsgType::kError);
    } else {
        return fail(DecodeStatus::kNoType, "missing string field 'type'");
    }

    if (out.type == MsgType::kUnknown) {
        // Only msg_id matters (for the error's `ref`); a malformed one is just
        // not echoed, the unknown type is the error worth reporting.
        const Value* id = slots.field[kFMsgId];
        if (id && id->IsString() && is_valid_utf8(json::view(*id))) read_field(kFMsgId, *id, out);
        out.type_name = json::repair_in_place(out.type_name);
        return {};
    }

    // The code may come under `error` or `code`; `error` wins when both are set.
    std::string_view code_detail = kFields[kFError].bad_detail;
    if (out.type == MsgType::kError && (!slots.field[kFError] || slots.field[kFError]->IsNull())) {
        slots.field[kFError] = slots.code;
        code_detail = kBadCodeDetail;
    }

    FieldMask wanted = fields_of(out.type).fields;
    for (unsigned f = 0; f < kFieldCount; ++f) {
        const Value* v = slots.field[f];
        if (!(wanted & bit(Field(f))) || !v) continue;
        if (!read_field(Field(f), *v, out)) {
            return fail(DecodeStatus::kBadField,
                        f == kFError ? code_detail : kFields[f].bad_detail);
        }
    }
    return check_strings(out);
}

// ---- encoding -------------------------------------------------------------

namespace {

bool is_set(const PeerMessage& m, Field f) {
    switch (f) {
        case kFLimit:
            return m.limit != 0;
        case kFFeatures:
        case kFRequireAck:
        case kFRttMs:
        case kFSentCount:
        case kFRecvCount:
        case kFTtl:
            return true;
        default:
            return !string_target(m, f)->empty();
    }
}

void write_field(json::FixedWriter& w, const PeerMessage& m, Field f) {
    std::string_view key = kFields[f].key;
    switch (f) {
        case kFFeatures:
            w.note(w->Key(key.data(), static_cast<rapidjson::SizeType>(key.size())));
            w.note(w->StartArray());
            for (const FeatureName& feature : kFeatureNames) {
                if (m.features & feature.bit) {
                    w.note(w->String(feature.name.data(),
                                     static_cast<rapidjson::SizeType>(feature.name.size())));
                }
            }
            if (!m.grease.empty())
                w.note(
                    w->String(m.grease.data(), static_cast<rapidjson::SizeType>(m.grease.size())));
            w.note(w->EndArray());
            return;
        case kFRequireAck:
            json::put_bool(w, key, m.require_ack);
            return;
        case kFLimit:
            json::put_int(w, key, m.limit);
            return;
        case kFTtl:
            json::put_int(w, key, m.ttl);
            return;
        case kFRttMs:
            json::put_double(w, key, m.rtt_ms);
            return;
        case kFSentCount:
            json::put_uint(w, key, m.sent_count);
            return;
        case kFRecvCount:
            json::put_uint(w, key, m.recv_count);
            return;
        default:
            json::put(w, key, *string_target(m, f));
            return;
    }
}

std::size_t encode_into(const PeerMessage& msg, char* out, std::size_t cap) {
    if (msg.type == MsgType::kUnknown) return 0;
    const TypeFields& spec = fields_of(msg.type);
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "type", msg_type_name(msg.type));
    for (unsigned f = 0; f < kFieldCount; ++f) {
        Field field = Field(f);
        if (!(spec.fields & bit(field))) continue;
        if ((spec.optional & bit(field)) && !is_set(msg, field)) continue;
        write_field(w, msg, field);
    }
    w.note(w->EndObject());
    w.put_raw('\n');
    return w.failed() ? 0 : w.size();
}

}  // namespace

std::size_t encode_peer_message(const PeerMessage& msg, char* out, std::size_t cap) {
    return encode_into(msg, out, cap);
}

std::size_t encoded_size(const PeerMessage& msg) {
    return encode_into(msg, nullptr, std::numeric_limits<std::size_t>::max());
}

bool fits_in_line(const PeerMessage& msg) {
    std::size_t size = encoded_size(msg);
    return size != 0 && size <= kMaxLineBytes + 1;  // + its '\n'
}

}  // namespace p2p
