// A writer for one JSON object line into a fixed buffer, for the peer codec's
// hot path (issue 17: RapidJSON's Writer cost about 2 000 instructions per
// ACK, one virtual-free but byte-at-a-time Put with a nesting stack behind
// it). It writes exactly what RapidJSON's Writer writes for the same calls
// (tests/unit/json_line_writer_test.cpp compares them byte for byte): no
// spaces; strings byte-for-byte with '"', '\\' and control characters
// escaped as \b \t \n \f \r or \u00XX (upper-case hex); integers as
// RapidJSON's i64toa / u64toa; doubles as its dtoa (NaN and infinities are
// refused). Keys are the caller's constants and are written unescaped.
//
// Usage:
//     json::LineWriter w(out, cap);      // out == nullptr: only count bytes
//     w.open(); w.string_field("type", "ACK"); w.int_field("ttl", 1); w.close();
//     if (w.failed()) -> did not fit (or NaN); else w.size() bytes, ending in '\n'
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace p2p::json {

class LineWriter {
  public:
    LineWriter(char* out, std::size_t cap) : out_(out), cap_(cap) {}

    void open() { put('{'); }
    // '}' and the line's '\n'.
    void close() {
        put('}');
        put('\n');
    }
    void string_field(std::string_view key, std::string_view value) {
        key_of(key);
        string(value);
    }
    void int_field(std::string_view key, std::int64_t value);
    void uint_field(std::string_view key, std::uint64_t value);
    void double_field(std::string_view key, double value);
    void bool_field(std::string_view key, bool value) {
        key_of(key);
        raw(value ? std::string_view("true") : std::string_view("false"));
    }
    // An array of strings: array_field(key), then string_element() each, then end_array().
    void array_field(std::string_view key) {
        key_of(key);
        put('[');
        first_ = true;
    }
    void string_element(std::string_view value) {
        if (!first_) put(',');
        first_ = false;
        string(value);
    }
    void end_array() {
        put(']');
        first_ = false;
    }

    bool failed() const { return len_ > cap_ || failed_; }
    std::size_t size() const { return len_; }

  private:
    void put(char c) {
        if (out_ && len_ < cap_) out_[len_] = c;
        ++len_;
    }
    void raw(std::string_view s) {
        if (out_ && len_ + s.size() <= cap_) std::memcpy(out_ + len_, s.data(), s.size());
        len_ += s.size();
    }
    // ,"key": (no comma before the first member). Keys are short constants:
    // written in one go when they fit, byte by byte (counted) when not.
    void key_of(std::string_view key) {
        std::size_t need = key.size() + 4;
        if (out_ && len_ + need <= cap_) {
            char* p = out_ + len_;
            *p = ',';
            p += first_ ? 0 : 1;
            *p++ = '"';
            std::memcpy(p, key.data(), key.size());
            p += key.size();
            *p++ = '"';
            *p++ = ':';
            len_ = static_cast<std::size_t>(p - out_);
            first_ = false;
            return;
        }
        if (!first_) put(',');
        first_ = false;
        put('"');
        raw(key);
        put('"');
        put(':');
    }
    void string(std::string_view s);

    char* out_;
    std::size_t cap_;
    std::size_t len_ = 0;
    bool first_ = true;
    bool failed_ = false;
};

}  // namespace p2p::json
