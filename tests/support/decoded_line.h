// One line decoded by the peer codec, kept together with the buffer its
// views point into (an in-situ parse), for codec tests.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"
#include "core/limits.h"

namespace p2p::test {

struct Decoded {
    std::vector<char> buf;
    PeerMessage msg;
    DecodeResult result;
};

inline Decoded decode(JsonArena& arena, std::string_view text) {
    Decoded d;
    d.buf.assign(text.begin(), text.end());
    d.buf.push_back('X');  // decode must write its own NUL terminator
    d.result = decode_peer_message(d.buf.data(), text.size(), arena, d.msg);
    return d;
}

// Repeats `unit` between `head` and `tail` so the line is exactly `len` bytes,
// padding with spaces (outside any string) if the units do not divide evenly.
inline std::string fill_line(const std::string& head, const std::string& unit,
                             const std::string& tail, std::size_t len = ::p2p::kMaxLineBytes) {
    std::string s = head;
    while (s.size() + unit.size() + tail.size() <= len)
        s += unit;
    while (s.size() + tail.size() < len)
        s += ' ';
    return s + tail;
}

}  // namespace p2p::test
