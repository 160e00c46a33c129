#include "core/lan_wire.h"

// Before RapidJSON's own headers (see json_util.h).
#include "core/json_util.h"

#include <rapidjson/reader.h>

#include <cstring>

#include "core/text.h"

namespace p2p {

namespace {

constexpr std::string_view kAnnounceType = "LAN_ANNOUNCE";
// The object itself is level 1; unknown fields may nest a little (a future
// version's additions), never deeply.
constexpr int kMaxLevels = 4;

// What one field of the announcement held: absent, wrong, or a value.
enum class Seen : std::uint8_t { kAbsent, kWrong, kOk };

struct TextField {
    Seen seen = Seen::kAbsent;
    std::string_view text;
};
struct NumberField {
    Seen seen = Seen::kAbsent;
    std::uint64_t value = 0;
};

enum class Field : std::uint8_t { kOther, kType, kVersion, kName, kNs, kPort, kInstance };

Field field_of(std::string_view k) {
    if (k == "type") return Field::kType;
    if (k == "v") return Field::kVersion;
    if (k == "name") return Field::kName;
    if (k == "namespace") return Field::kNs;
    if (k == "port") return Field::kPort;
    if (k == "instance") return Field::kInstance;
    return Field::kOther;
}

// SAX handler: remembers the top-level fields it knows (the last of
// duplicates), skips the others, refuses anything but an object at the root
// and nesting beyond kMaxLevels.
class AnnounceHandler {
  public:
    TextField type, name, ns, instance;
    NumberField version, port;

    bool Null() { return scalar_wrong(); }
    bool Bool(bool) { return scalar_wrong(); }
    bool Int(int i) { return i < 0 ? scalar_wrong() : number(static_cast<std::uint64_t>(i)); }
    bool Uint(unsigned u) { return number(u); }
    bool Int64(std::int64_t i) {
        return i < 0 ? scalar_wrong() : number(static_cast<std::uint64_t>(i));
    }
    bool Uint64(std::uint64_t u) { return number(u); }
    bool Double(double) { return scalar_wrong(); }
    bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar_wrong(); }
    bool String(const char* s, rapidjson::SizeType n, bool) {
        if (level_ != 1) return level_ > 1;
        TextField* f = text_field();
        if (f)
            *f = {Seen::kOk, std::string_view(s, n)};
        else
            mark_wrong();
        return true;
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
        if (level_ == 1) key_ = field_of(std::string_view(s, n));
        return true;
    }
    bool StartObject() { return enter(); }
    bool EndObject(rapidjson::SizeType) { return leave(); }
    bool StartArray() { return level_ > 0 && enter(); }
    bool EndArray(rapidjson::SizeType) { return leave(); }

  private:
    // An object or array as a known field's value is the wrong type.
    bool enter() {
        if (level_ == 1) mark_wrong();
        return ++level_ <= kMaxLevels;
    }
    bool leave() {
        --level_;
        return true;
    }
    bool scalar_wrong() {
        if (level_ == 0) return false;  // the root must be an object
        if (level_ == 1) mark_wrong();
        return true;
    }
    bool number(std::uint64_t v) {
        if (level_ == 0) return false;
        if (level_ != 1) return true;
        NumberField* f = key_ == Field::kVersion ? &version
                         : key_ == Field::kPort  ? &port
                                                 : nullptr;
        if (f)
            *f = {Seen::kOk, v};
        else
            mark_wrong();
        return true;
    }
    TextField* text_field() {
        switch (key_) {
            case Field::kType:
                return &type;
            case Field::kName:
                return &name;
            case Field::kNs:
                return &ns;
            case Field::kInstance:
                return &instance;
            default:
                return nullptr;
        }
    }
    void mark_wrong() {
        switch (key_) {
            case Field::kOther:
                return;  // unknown fields may hold anything
            case Field::kVersion:
                version.seen = Seen::kWrong;
                return;
            case Field::kPort:
                port.seen = Seen::kWrong;
                return;
            default:
                text_field()->seen = Seen::kWrong;
        }
    }

    int level_ = 0;
    Field key_ = Field::kOther;
};

bool is_instance(std::string_view s) {
    if (s.size() != kLanInstanceChars) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag |
                            rapidjson::kParseValidateEncodingFlag;

}  // namespace

const char* lan_decode_name(LanDecode result) {
    switch (result) {
        case LanDecode::kOk:
            return "ok";
        case LanDecode::kOversized:
            return "oversized";
        case LanDecode::kNotJson:
            return "not_json";
        case LanDecode::kNotAnnounce:
            return "not_announce";
        case LanDecode::kBadField:
            return "bad_field";
        case LanDecode::kBadName:
            return "bad_name";
    }
    return "?";
}

LanDecode decode_lan_announce(char* data, std::size_t len, LanAnnounce& out) {
    if (len > kLanMaxDatagramBytes) return LanDecode::kOversized;
    data[len] = '\0';
    // The reader's stack: two words per open level, in a fixed buffer (the
    // handler stops the parse past kMaxLevels, so it never reaches the heap).
    alignas(16) char stack_buf[512];
    json::CountingHeapAllocator heap;
    json::Pool stack_pool(stack_buf, sizeof stack_buf, 256, &heap);
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, json::Pool> reader(&stack_pool,
                                                                                      128);
    rapidjson::InsituStringStream stream(data);
    AnnounceHandler h;
    rapidjson::ParseResult result = reader.Parse<kFlags>(stream, h);
    // A NUL before `len` ends the reader early: no JSON text holds one.
    if (result.IsError() || stream.Tell() != len) return LanDecode::kNotJson;

    if (h.type.seen != Seen::kOk || h.type.text != kAnnounceType) return LanDecode::kNotAnnounce;
    if (h.version.seen != Seen::kOk || h.version.value < kLanVersion) return LanDecode::kBadField;
    if (h.port.seen != Seen::kOk || h.port.value < 1 || h.port.value > 65535)
        return LanDecode::kBadField;
    if (h.instance.seen != Seen::kOk || !is_instance(h.instance.text)) return LanDecode::kBadField;
    if (h.name.seen == Seen::kWrong || h.ns.seen == Seen::kWrong) return LanDecode::kBadField;
    if (h.name.seen != Seen::kOk || h.ns.seen != Seen::kOk || !is_valid_name(h.name.text) ||
        !is_valid_name(h.ns.text))
        return LanDecode::kBadName;
    out.name = h.name.text;
    out.ns = h.ns.text;
    out.port = static_cast<std::uint16_t>(h.port.value);
    out.instance = h.instance.text;
    return LanDecode::kOk;
}

std::size_t encode_lan_announce(const LanAnnounce& a, char* out, std::size_t cap) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "type", kAnnounceType);
    json::put_int(w, "v", kLanVersion);
    json::put(w, "name", a.name);
    json::put(w, "namespace", a.ns);
    json::put_int(w, "port", a.port);
    json::put(w, "instance", a.instance);
    w.note(w->EndObject());
    return w.failed() ? 0 : w.size();
}

void format_lan_instance(std::uint64_t value, char* out) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < kLanInstanceChars; ++i)
        out[i] = kHex[(value >> (4 * (kLanInstanceChars - 1 - i))) & 0xF];
}

}  // namespace p2p
