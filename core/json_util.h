// RapidJSON plumbing shared by the peer codec (codec.cpp) and the rendezvous
// codec (rendezvous_codec.cpp): an in-situ parse into a JsonArena that never
// touches the heap for lines up to kMaxLineBytes, field getters, and a writer
// into a fixed output buffer that reports overflow instead of growing.
//
// Includes RapidJSON, so keep it out of public headers (core's codecs and the
// console's internals use it).
//
// Usage (decode):
//     const json::Value* root = json::parse_line(arena, line, len);
//     if (!root) -> not JSON (also: too deep, embedded NUL, longer than the limit)
//     if (const json::Value* v = json::member(*root, "type"); v && v->IsString())
//         std::string_view type = json::view(*v);
// The root and its Values stay valid until the next parse_line() on the same
// arena. String views taken from it point into `line` (in-situ parse), so
// they outlive the next parse and stay valid as long as `line` does.
//
// Usage (encode):
//     json::FixedWriter w(out, cap);
//     w.note(w->StartObject());
//     json::put(w, "type", "PING");  // put_int, put_bool, ... likewise
//     w.note(w->EndObject());
//     w.put_raw('\n');
//     if (w.failed()) -> did not fit (or NaN); else w.size() bytes written
#pragma once
// RapidJSON 1.1.0's internal::Stack computes `nullptr + n` on its first push
// (fixed in later upstream versions, not in Debian's 1.1.0); clang's UBSan
// (fuzz preset) aborts on it. Nothing is dereferenced, so exempt RapidJSON's
// own functions from that one check. Include this header before any other
// RapidJSON include so the exemption applies.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/allocators.h>
#include <rapidjson/document.h>
#include <rapidjson/encodings.h>
#include <rapidjson/reader.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/json_arena.h"

namespace p2p::json {

// Deepest nesting accepted. Peer messages are depth 2 (features), rendezvous
// answers depth 3 (peers[i]); a deeper line is treated as not JSON. The limit
// is what keeps the arena small: see docs/codec.md.
inline constexpr std::size_t kMaxDepth = 32;

// Base allocator for the memory pools: the heap, but every use is counted so
// JsonArena::overflowed() can say if the fixed buffers were ever too small.
class CountingHeapAllocator {
  public:
    static const bool kNeedFree = true;
    void* Malloc(std::size_t size);
    void* Realloc(void* ptr, std::size_t old_size, std::size_t new_size);
    static void Free(void* ptr);
    std::size_t allocations() const { return allocations_; }

  private:
    std::size_t allocations_ = 0;
};

using Pool = rapidjson::MemoryPoolAllocator<CountingHeapAllocator>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;
using Value = Document::ValueType;

// How parse_line treats raw bytes that are not UTF-8.
enum class RawUtf8 : std::uint8_t {
    kRefuse,  // the line is not JSON (peer links, rendezvous requests: §2)
    kAccept,  // copied into strings as they are (answers of older servers,
              // which wrote what they stored); the caller checks each string
};

// Parses line[0..len) in place (writes line[len] = '\0', so line must have
// room for it). Returns the root value, or nullptr if the bytes are not one
// JSON document of at most kMaxDepth levels and kMaxLineBytes bytes (nor, with
// RawUtf8::kRefuse, valid UTF-8).
//
// Even valid UTF-8 input can decode to strings that are not: RapidJSON turns
// a lone low-surrogate escape ("\udc00") into the 3 bytes of a surrogate
// (ED B0 80). Every string a caller keeps must go through is_valid_utf8
// (core/text.h) or repair_in_place below.
const Value* parse_line(JsonArena& arena, char* line, std::size_t len,
                        RawUtf8 raw = RawUtf8::kRefuse);

// The reader's stack for a line: two SizeTypes per open container; it may
// push the level that the depth check then refuses, hence + 2.
inline constexpr std::size_t kReaderStackBytes = 2 * sizeof(rapidjson::SizeType) * (kMaxDepth + 2);

// Rewinds the arena and readies line[0..len) for an in-situ SAX parse as
// parse_line does (length, UTF-8 and the NUL at line[len]); returns the pool
// for the reader's stack, or nullptr when the line is refused before parsing.
Pool* begin_sax_parse(JsonArena& arena, char* line, std::size_t len);

// Parses line[0..len) in place as parse_line does, but hands RapidJSON's SAX
// events to `handler` instead of building a document (no value pool, no
// second walk: the peer codec's hot path, issue 17). The handler must refuse
// nesting beyond kMaxDepth itself: the reader runs recursively here (faster
// than its iterative mode), and that refusal is what bounds its recursion.
// True when the line is one JSON text.
// Whether any of 8 bytes ends a run of plain string bytes: '"', '\\' or a
// control character (exact: the "has a zero byte" and "has a byte below n"
// word tests, no false positives).
inline bool word_has_json_special(std::uint64_t x) {
    constexpr std::uint64_t kOnes = 0x0101010101010101u, kHigh = 0x8080808080808080u;
    std::uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
    std::uint64_t below_space = (x - kOnes * 0x20) & ~x;
    std::uint64_t zero_quote = (quote - kOnes) & ~quote;
    std::uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
    return ((below_space | zero_quote | zero_backslash) & kHigh) != 0;
}

template <class Handler>
bool parse_line_sax(JsonArena& arena, char* line, std::size_t len, Handler& handler) {
    Pool* stack = begin_sax_parse(arena, line, len);
    if (stack == nullptr) return false;
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, Pool> reader(stack,
                                                                                kReaderStackBytes);
    rapidjson::InsituStringStream stream(line);
    constexpr unsigned kFlags = rapidjson::kParseInsituFlag;
    rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
    // The reader stops at the first NUL: one before `len` is an embedded NUL.
    return !result.IsError() && stream.Tell() == len;
}

// Bytes of the arena's value pool used by the last parse (tests use it to
// show the sizing is tight).
std::size_t last_parse_pool_bytes(JsonArena& arena);

// The member `key` of `object`, or nullptr if absent or `object` is not an
// object. With duplicate keys the LAST one wins, as in Python's json module
// (the reference peers and server are Python).
const Value* member(const Value& object, std::string_view key);

// The string of a string value (may contain NUL bytes from "\u0000").
inline std::string_view view(const Value& v) {
    return {v.GetString(), v.GetStringLength()};
}

// A string member, or nullptr if absent or not a string.
const Value* string_member(const Value& object, std::string_view key);

// How many leading bytes of s[0..n) are ASCII, counted 8 at a time: a
// multiple of 8 that may stop short of the first non-ASCII byte by up to 7.
// The hot checks skip this prefix before their byte-by-byte loops.
inline std::size_t ascii_words_prefix(const char* s, std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, s + i, 8);
        if (word & 0x8080808080808080u) break;
    }
    return i;
}

// Makes a decoded string valid UTF-8 without changing its length, in place
// (its bytes live in the in-situ line the caller owns): each surrogate
// (3 bytes, from a lone "\udXXX" escape) becomes U+FFFD (3 bytes, as Go's and
// JavaScript's JSON decoders do), any other ill-formed byte '?'. Returns the
// same view; `repaired` (optional) is set when something was replaced.
std::string_view repair_in_place(std::string_view decoded, bool* repaired = nullptr);

// ---- output -------------------------------------------------------------

// RapidJSON output stream over out[0..cap): keeps writing nothing once full
// and remembers that it overflowed. With out == nullptr it only counts bytes.
// The codecs write one line per stream; the console reuses one (clear()).
class FixedStream {
  public:
    using Ch = char;
    FixedStream(char* out, std::size_t cap) : out_(out), cap_(cap) {}
    void clear() {
        len_ = 0;
        overflow_ = false;
    }
    void Put(char c) {
        if (len_ < cap_) {
            if (out_) out_[len_] = c;  // out == nullptr: only count
            ++len_;
        } else {
            overflow_ = true;
        }
    }
    void Flush() {}
    std::size_t size() const { return len_; }
    std::size_t capacity() const { return cap_; }
    bool overflowed() const { return overflow_; }
    std::string_view view() const { return {out_, len_}; }

  private:
    char* out_;
    std::size_t cap_;
    std::size_t len_ = 0;
    bool overflow_ = false;
};

// RapidJSON's ASCII encoder calls PutUnsafe unqualified from a header parsed
// before the generic one exists; argument-dependent lookup finds this one.
inline void PutUnsafe(FixedStream& s, char c) {
    s.Put(c);
}

// A RapidJSON Writer into a FixedStream whose nesting stack lives in a fixed
// buffer too (the stock Writer would malloc it). Strings are written
// byte-for-byte as UTF-8 with '"', '\\' and control characters escaped, so
// the output never contains a raw newline.
class FixedWriter {
  public:
    static constexpr std::size_t kMaxWriteDepth = 8;
    using Writer = rapidjson::Writer<FixedStream, rapidjson::UTF8<>, rapidjson::UTF8<>, Pool>;

    FixedWriter(char* out, std::size_t cap);
    FixedWriter(const FixedWriter&) = delete;
    FixedWriter& operator=(const FixedWriter&) = delete;

    Writer& operator*() { return writer_; }
    Writer* operator->() { return &writer_; }
    // True if the output did not fit, or a value could not be written (NaN).
    bool failed() const { return stream_.overflowed() || failed_; }
    void note(bool writer_ok) { failed_ = failed_ || !writer_ok; }
    std::size_t size() const { return stream_.size(); }
    // Appends one raw byte (the line's '\n') after the JSON text.
    void put_raw(char c) { stream_.Put(c); }

  private:
    alignas(16) char stack_buf_[256 + kMaxWriteDepth * 32];
    CountingHeapAllocator heap_;
    Pool stack_pool_;
    FixedStream stream_;
    Writer writer_;
    bool failed_ = false;
};

// Key/value helpers that record writer failures in w.
void put(FixedWriter& w, std::string_view key, std::string_view value);
void put_int(FixedWriter& w, std::string_view key, std::int64_t value);
void put_uint(FixedWriter& w, std::string_view key, std::uint64_t value);
void put_double(FixedWriter& w, std::string_view key, double value);
void put_bool(FixedWriter& w, std::string_view key, bool value);

}  // namespace p2p::json
