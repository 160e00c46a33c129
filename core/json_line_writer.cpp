// See json_line_writer.h. Numbers use RapidJSON's own converters, so they
// come out as its Writer writes them.
#include "core/json_line_writer.h"

#include <rapidjson/internal/dtoa.h>
#include <rapidjson/internal/itoa.h>
#include "core/json_util.h"  // RapidJSON, with its sanitizer exemption

namespace p2p::json {

namespace {

// What RapidJSON's Writer writes after a '\\' for each byte: 0 = the byte
// itself, 'u' = \u00XX.
constexpr char kEscapes[32] = {'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n',
                               'u', 'f', 'r', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
                               'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u'};
constexpr char kHex[] = "0123456789ABCDEF";

bool needs_escape(unsigned char c) {
    return c < 0x20 || c == '"' || c == '\\';
}

}  // namespace

void LineWriter::string(std::string_view s) {
    put('"');
    const char* d = s.data();
    std::size_t n = s.size();
    std::size_t run = 0;  // start of the bytes not yet written
    for (std::size_t i = 0;;) {
        // Plain bytes: 8 at a time, then one by one up to the next escape.
        for (std::uint64_t word; i + 8 <= n; i += 8) {
            std::memcpy(&word, d + i, 8);
            if (word_has_json_special(word)) break;
        }
        while (i < n && !needs_escape(static_cast<unsigned char>(d[i])))
            ++i;
        if (i == n) break;
        unsigned char c = static_cast<unsigned char>(d[i]);
        raw(s.substr(run, i - run));
        run = ++i;
        put('\\');
        if (c >= 0x20) {
            put(static_cast<char>(c));
            continue;
        }
        put(kEscapes[c]);
        if (kEscapes[c] == 'u') {
            raw("00");
            put(kHex[c >> 4]);
            put(kHex[c & 0xF]);
        }
    }
    raw(s.substr(run));
    put('"');
}

void LineWriter::int_field(std::string_view key, std::int64_t value) {
    key_of(key);
    char buf[32];
    char* end = rapidjson::internal::i64toa(value, buf);
    raw(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void LineWriter::uint_field(std::string_view key, std::uint64_t value) {
    key_of(key);
    char buf[32];
    char* end = rapidjson::internal::u64toa(value, buf);
    raw(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void LineWriter::double_field(std::string_view key, double value) {
    key_of(key);
    if (rapidjson::internal::Double(value).IsNanOrInf()) {
        failed_ = true;  // RapidJSON's Writer refuses them too
        return;
    }
    char buf[32];
    char* end = rapidjson::internal::dtoa(value, buf);
    raw(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

}  // namespace p2p::json
