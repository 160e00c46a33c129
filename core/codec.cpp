// Peer-link codec (docs/protocol.md §2, §4, §5). The arena and RapidJSON plumbing
// live in json_arena.cpp and json_util.cpp; the rules chosen here are explained in docs/codec.md.
//
// One table says which fields belong to each type. Decoding reads only those
// (anything else is an extra field and ignored); encoding writes only those,
// in the table's field order, which puts `ttl` last.
#include "core/codec.h"

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#include "core/codec_fields.h"
#include "core/json_line_writer.h"
#include "core/json_util.h"
#include "core/limits.h"
#include "core/text.h"

namespace p2p {

namespace {

using namespace codec;  // the field table, its Field names (kFMsgId...) and the slots

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

// ---- decoding -------------------------------------------------------------

// Numbers: any JSON number is accepted; a fraction is truncated toward zero
// (as Python's int() would) and out-of-range values saturate.
std::int64_t to_int64(const FieldValue& v) {
    if (v.IsInt64()) return v.GetInt64();
    if (v.IsUint64()) return std::numeric_limits<std::int64_t>::max();
    double d = v.GetDouble();
    constexpr double kTwo63 = 9223372036854775808.0;
    if (d >= kTwo63) return std::numeric_limits<std::int64_t>::max();
    if (d <= -kTwo63) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
}

std::uint64_t to_uint64(const FieldValue& v) {
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
bool read_field(Field f, const FieldValue& v, PeerMessage& m) {
    if (v.IsNull()) return true;
    switch (f) {
        case kFTimestamp:
            // Any form is accepted and none is required; only strings are kept.
            if (v.IsString()) m.timestamp = v.str;
            return true;
        case kFFeatures:
            if (!v.IsArray()) return false;
            m.features = v.feature_bits;
            m.grease = v.grease;
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
            *string_target(m, f) = v.str;
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
        if (!v->empty()) *v = json::repair_in_place(*v);  // most are absent: no call
    }
    return {};
}

}  // namespace

DecodeResult decode_peer_message(char* line, std::size_t len, JsonArena& arena, PeerMessage& out) {
    out = PeerMessage{};
    FieldSlots slots;  // its values are written before `present` says they are there
    if (!collect_fields(arena, line, len, slots))
        return fail(DecodeStatus::kNotJson, "not a JSON text");
    if (!slots.root_is_object) return fail(DecodeStatus::kNotObject, "not a JSON object");

    const FieldValue* type = slots.get(kMType);
    const FieldValue* status = slots.get(kMStatus);
    if (type && type->IsString()) {
        out.type_name = type->str;
        out.type = msg_type_from_name(out.type_name);
    } else if (status && status->IsString() && status->str == "ERROR") {
        // The spec's alternative error form: {"status":"ERROR","error":...}.
        out.type = MsgType::kError;
        out.type_name = msg_type_name(MsgType::kError);
    } else {
        return fail(DecodeStatus::kNoType, "missing string field 'type'");
    }

    if (out.type == MsgType::kUnknown) {
        // Only msg_id matters (for the error's `ref`); a malformed one is just
        // not echoed, the unknown type is the error worth reporting.
        const FieldValue* id = slots.get(kFMsgId);
        if (id && id->IsString() && is_valid_utf8(id->str)) read_field(kFMsgId, *id, out);
        out.type_name = json::repair_in_place(out.type_name);
        return {};
    }

    // The code may come under `error` or `code`; `error` wins when both are set.
    std::string_view code_detail = kFields[kFError].bad_detail;
    const FieldValue* error = slots.get(kFError);
    if (out.type == MsgType::kError && (!error || error->IsNull())) {
        slots.present &= ~bit(kFError);
        if (const FieldValue* code = slots.get(kMCode)) {
            slots.slot[kFError] = *code;
            slots.present |= bit(kFError);
        }
        code_detail = kBadCodeDetail;
    }

    // The fields of this type that the line has, in field order (the first bad
    // one is the one reported): one step per field present, not per field known.
    for (FieldMask todo = fields_of(out.type).fields & slots.present; todo != 0; todo &= todo - 1) {
        auto f = static_cast<unsigned>(std::countr_zero(todo));
        if (!read_field(Field(f), slots.slot[f], out)) {
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

void write_field(json::LineWriter& w, const PeerMessage& m, Field f) {
    std::string_view key = kFields[f].key;
    switch (f) {
        case kFFeatures:
            w.array_field(key);
            for (const FeatureName& feature : kFeatureNames) {
                if (m.features & feature.bit) w.string_element(feature.name);
            }
            if (!m.grease.empty()) w.string_element(m.grease);
            w.end_array();
            return;
        case kFRequireAck:
            w.bool_field(key, m.require_ack);
            return;
        case kFLimit:
            w.int_field(key, m.limit);
            return;
        case kFTtl:
            w.int_field(key, m.ttl);
            return;
        case kFRttMs:
            w.double_field(key, m.rtt_ms);
            return;
        case kFSentCount:
            w.uint_field(key, m.sent_count);
            return;
        case kFRecvCount:
            w.uint_field(key, m.recv_count);
            return;
        default:
            w.string_field(key, *string_target(m, f));
            return;
    }
}

std::size_t encode_into(const PeerMessage& msg, char* out, std::size_t cap) {
    if (msg.type == MsgType::kUnknown) return 0;
    const TypeFields& spec = fields_of(msg.type);
    json::LineWriter w(out, cap);
    w.open();
    w.string_field("type", msg_type_name(msg.type));
    for (unsigned f = 0; f < kFieldCount; ++f) {
        Field field = Field(f);
        if (!(spec.fields & bit(field))) continue;
        if ((spec.optional & bit(field)) && !is_set(msg, field)) continue;
        write_field(w, msg, field);
    }
    w.close();
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
