// The field table and the SAX collector of codec_fields.h.
#include "core/codec_fields.h"

#include "core/json_util.h"
#include "core/message.h"

namespace p2p::codec {

namespace {

constexpr std::string_view slot_key(unsigned s) {
    switch (s) {
        case kMType:
            return "type";
        case kMStatus:
            return "status";
        case kMCode:
            return "code";
        default:
            return kFields[s].key;
    }
}

// Key lookup: a perfect hash of the first two bytes and the length over the
// 24 names (keys are 3 to 11 bytes long), then one comparison.
constexpr std::size_t kMinKey = 3, kMaxKey = 11;
constexpr unsigned key_hash(std::string_view key) {
    return (static_cast<unsigned char>(key[0]) + static_cast<unsigned char>(key[1]) * 24u +
            static_cast<unsigned>(key.size()) * 4u) %
           64u;
}
struct KeyTable {
    unsigned slot[64];
    bool collision = false;
};
constexpr KeyTable make_key_table() {
    KeyTable t{};
    for (unsigned& s : t.slot)
        s = kSlotCount;
    for (unsigned s = 0; s < kSlotCount; ++s) {
        std::string_view key = slot_key(s);
        unsigned h = key_hash(key);
        if (key.size() < kMinKey || key.size() > kMaxKey) t.collision = true;  // out of range
        if (t.slot[h] != kSlotCount) t.collision = true;
        t.slot[h] = s;
    }
    return t;
}
constexpr KeyTable kKeyTable = make_key_table();
static_assert(
    !kKeyTable.collision,
    "two field names share a hash (change key_hash) or a name is outside [kMinKey, kMaxKey]");

// Reads the reader's events into FieldSlots. depth_ counts the containers
// open; a root member's value arrives at depth 1, a feature name at depth 2
// inside a root member's array.
class Collector {
  public:
    explicit Collector(FieldSlots& slots) : slots_(slots) {}

    bool Null() { return scalar(FieldValue::Kind::kNull); }
    bool Bool(bool b) {
        if (FieldValue* v = member_value(FieldValue::Kind::kBool)) v->boolean = b;
        return true;
    }
    bool Int(int i) { return integer(i, true, i >= 0, static_cast<std::uint64_t>(i)); }
    bool Uint(unsigned u) { return integer(u, true, true, u); }
    bool Int64(std::int64_t i) { return integer(i, true, i >= 0, static_cast<std::uint64_t>(i)); }
    bool Uint64(std::uint64_t u) {
        return integer(static_cast<std::int64_t>(u), u <= INT64_MAX, true, u);
    }
    bool Double(double d) {
        if (FieldValue* v = member_value(FieldValue::Kind::kDouble)) v->d = d;
        return true;
    }
    bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // not asked for
    bool String(const char* s, rapidjson::SizeType n, bool) {
        std::string_view str(s, n);
        if (depth_ == 2 && in_member_array_) {
            if (str.starts_with(kGreasePrefix)) grease_ = str;
            feature_bits_ |= feature_bit(str);
        } else if (FieldValue* v = member_value(FieldValue::Kind::kString)) {
            v->str = str;
        }
        return true;
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
        if (depth_ == 1) target_ = slot_of_key(std::string_view(s, n));
        return true;
    }
    bool StartObject() {
        if (depth_ == 0) slots_.root_is_object = true;
        member_value(FieldValue::Kind::kObject);
        return ++depth_ <= json::kMaxDepth;
    }
    bool EndObject(rapidjson::SizeType) {
        --depth_;
        return true;
    }
    bool StartArray() {
        if (depth_ == 1) {
            in_member_array_ = true;
            feature_bits_ = 0;
            grease_ = {};
        }
        return ++depth_ <= json::kMaxDepth;
    }
    bool EndArray(rapidjson::SizeType) {
        if (--depth_ == 1) {
            in_member_array_ = false;
            if (FieldValue* v = member_value(FieldValue::Kind::kArray)) {
                v->feature_bits = feature_bits_;
                v->grease = grease_;
            }
        }
        return true;
    }

  private:
    static std::uint32_t feature_bit(std::string_view name) {
        for (const FeatureName& feature : kFeatureNames)
            if (feature.name == name) return feature.bit;
        return 0;
    }
    // The slot a value at the current depth belongs to (now of `kind`), or
    // nullptr when it is not a known root member's value.
    FieldValue* member_value(FieldValue::Kind kind) {
        if (depth_ != 1 || target_ == kSlotCount) return nullptr;
        slots_.present |= bit(target_);
        FieldValue* v = &slots_.slot[target_];
        *v = FieldValue{};  // every member defined (copied whole for `code`)
        v->kind = kind;
        return v;
    }
    bool scalar(FieldValue::Kind kind) {
        member_value(kind);
        return true;
    }
    bool integer(std::int64_t i, bool int64_ok, bool uint64_ok, std::uint64_t u) {
        if (FieldValue* v = member_value(FieldValue::Kind::kInt)) {
            v->i = i;
            v->u = u;
            v->int64_ok = int64_ok;
            v->uint64_ok = uint64_ok;
        }
        return true;
    }

    FieldSlots& slots_;
    std::size_t depth_ = 0;
    unsigned target_ = kSlotCount;
    bool in_member_array_ = false;
    std::uint32_t feature_bits_ = 0;
    std::string_view grease_;
};

}  // namespace

unsigned slot_of_key(std::string_view key) {
    if (key.size() < kMinKey || key.size() > kMaxKey) return kSlotCount;
    unsigned s = kKeyTable.slot[key_hash(key)];
    if (s == kSlotCount) return kSlotCount;
    std::string_view name = slot_key(s);
    if (name.size() != key.size()) return kSlotCount;
    for (std::size_t i = 0; i < key.size(); ++i)
        if (name[i] != key[i]) return kSlotCount;
    return s;
}

bool collect_fields(JsonArena& arena, char* line, std::size_t len, FieldSlots& slots) {
    slots.present = 0;
    slots.root_is_object = false;
    Collector collector(slots);
    return json::parse_line_sax(arena, line, len, collector);
}

}  // namespace p2p::codec
