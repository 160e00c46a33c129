// RapidJSON helpers: the counting heap allocator, member getters and the
// fixed-buffer writer. The arena and the parse that fills it: json_arena.cpp.
#include "core/json_util.h"

#include <cstdlib>

#include "core/text.h"

namespace p2p {
namespace json {

void* CountingHeapAllocator::Malloc(std::size_t size) {
    if (size == 0) return nullptr;
    ++allocations_;
    return std::malloc(size);
}

void* CountingHeapAllocator::Realloc(void* ptr, std::size_t, std::size_t new_size) {
    if (new_size == 0) {
        std::free(ptr);
        return nullptr;
    }
    ++allocations_;
    return std::realloc(ptr, new_size);
}

void CountingHeapAllocator::Free(void* ptr) {
    std::free(ptr);
}

const Value* member(const Value& object, std::string_view key) {
    if (!object.IsObject()) return nullptr;
    const Value* found = nullptr;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (view(it->name) == key) found = &it->value;
    }
    return found;
}

const Value* string_member(const Value& object, std::string_view key) {
    const Value* v = member(object, key);
    return v && v->IsString() ? v : nullptr;
}

namespace {

// ED A0..BF 80..BF: what a UTF-16 surrogate looks like encoded as UTF-8.
bool is_encoded_surrogate(const unsigned char* s, std::size_t left) {
    return left >= 3 && s[0] == 0xED && s[1] >= 0xA0 && s[1] <= 0xBF && s[2] >= 0x80 &&
           s[2] <= 0xBF;
}

}  // namespace

std::string_view repair_in_place(std::string_view decoded, bool* repaired) {
    if (repaired) *repaired = false;
    // The bytes belong to the caller's in-situ line; the view only hides that.
    auto* s = reinterpret_cast<unsigned char*>(const_cast<char*>(decoded.data()));
    for (std::size_t pos = ascii_words_prefix(decoded.data(), decoded.size());
         pos < decoded.size();) {
        if (s[pos] < 0x80) {
            ++pos;
            continue;
        }
        Utf8Char c = decode_utf8_char(decoded.substr(pos));
        if (c.valid) {
            pos += c.len;
            continue;
        }
        if (repaired) *repaired = true;
        if (is_encoded_surrogate(s + pos, decoded.size() - pos)) {
            s[pos] = 0xEF, s[pos + 1] = 0xBF, s[pos + 2] = 0xBD;  // U+FFFD
            pos += 3;
        } else {
            for (std::size_t i = 0; i < c.len; ++i)
                s[pos + i] = '?';
            pos += c.len;
        }
    }
    return decoded;
}

FixedWriter::FixedWriter(char* out, std::size_t cap)
    : stack_pool_(stack_buf_, sizeof stack_buf_, 256, &heap_),
      stream_(out, cap),
      writer_(stream_, &stack_pool_, kMaxWriteDepth) {}

static std::string_view key_checked(FixedWriter& w, std::string_view key) {
    w.note(w->Key(key.data(), static_cast<rapidjson::SizeType>(key.size())));
    return key;
}

void put(FixedWriter& w, std::string_view key, std::string_view value) {
    key_checked(w, key);
    w.note(w->String(value.data(), static_cast<rapidjson::SizeType>(value.size())));
}

void put_int(FixedWriter& w, std::string_view key, std::int64_t value) {
    key_checked(w, key);
    w.note(w->Int64(value));
}

void put_uint(FixedWriter& w, std::string_view key, std::uint64_t value) {
    key_checked(w, key);
    w.note(w->Uint64(value));
}

void put_double(FixedWriter& w, std::string_view key, double value) {
    key_checked(w, key);
    w.note(w->Double(value));
}

void put_bool(FixedWriter& w, std::string_view key, bool value) {
    key_checked(w, key);
    w.note(w->Bool(value));
}

}  // namespace json

}  // namespace p2p
