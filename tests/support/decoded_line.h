// One line decoded by the peer codec, kept together with the buffer its
// views point into (an in-situ parse), for codec tests.
#pragma once
#include <string_view>
#include <vector>

#include "core/codec.h"

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

}  // namespace p2p::test
