// libFuzzer target for the peer codec: decode arbitrary bytes; the arena must
// never fall back to the heap; whatever decodes must re-encode to one line
// that decodes to the same message, and encoding is stable from then on.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/codec.h"
#include "core/limits.h"
#include "core/message.h"
#include "core/text.h"
#include "tests/fuzz/reach.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "codec_fuzz: %s\n", what);
        std::abort();
    }
}

bool same(const p2p::PeerMessage& a, const p2p::PeerMessage& b) {
    bool rtt_same =
        a.rtt_ms == b.rtt_ms || std::fabs(a.rtt_ms - b.rtt_ms) <= 1e-12 * std::fabs(a.rtt_ms);
    return a.type == b.type && a.msg_id == b.msg_id && a.has_msg_id == b.has_msg_id &&
           a.src == b.src && a.dst == b.dst && a.peer_id == b.peer_id && a.version == b.version &&
           a.features == b.features && a.payload == b.payload && a.require_ack == b.require_ack &&
           a.from == b.from && a.reason == b.reason && a.via == b.via &&
           a.timestamp == b.timestamp && a.error == b.error && a.ref == b.ref &&
           a.detail == b.detail && a.limit == b.limit && rtt_same && a.sent_count == b.sent_count &&
           a.recv_count == b.recv_count && a.last_seen == b.last_seen && a.ttl == b.ttl;
}

// Decoded views point into these, so they live as long as the messages.
std::vector<char> g_line(p2p::kMaxLineBytes + 1);
std::vector<char> g_first(2 * p2p::kMaxLineBytes + 64);
std::vector<char> g_second(2 * p2p::kMaxLineBytes + 64);
std::vector<char> g_scratch(2 * p2p::kMaxLineBytes + 64);

// Every type but kUnknown (0), which the target never counts: index i names MsgType(i + 1).
constexpr std::size_t kTypes = static_cast<std::size_t>(p2p::MsgType::kMetrics);

std::array<std::string_view, kTypes> type_names() {
    std::array<std::string_view, kTypes> names{};
    for (std::size_t i = 0; i < kTypes; ++i)
        names[i] = p2p::msg_type_name(static_cast<p2p::MsgType>(i + 1));
    return names;
}

p2p::fuzz::Reach<kTypes> g_reach("codec_fuzz", type_names());

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static p2p::JsonArena arena;
    if (size > p2p::kMaxLineBytes) size = p2p::kMaxLineBytes;
    std::memcpy(g_line.data(), data, size);

    p2p::PeerMessage first;
    p2p::DecodeResult r = p2p::decode_peer_message(g_line.data(), size, arena, first);
    check(!arena.overflowed(), "arena fell back to the heap");
    if (!r.ok()) {
        check(!r.detail.empty(), "a failure without a detail");
        return 0;
    }
    // Issue 9.5: every string a decoded message carries (what we echo, show,
    // log or relay) is valid UTF-8; peer_id is the handshake's to refuse.
    for (std::string_view text :
         {first.type_name, first.msg_id, first.src, first.dst, first.version, first.payload,
          first.from, first.reason, first.via, first.timestamp, first.error, first.ref,
          first.detail, first.last_seen})
        check(p2p::is_valid_utf8(text), "a decoded string is not valid UTF-8");
    if (first.type == p2p::MsgType::kUnknown) {
        check(!first.has_msg_id || !first.msg_id.empty(), "has_msg_id with an empty msg_id");
        return 0;
    }
    g_reach.handled(static_cast<std::size_t>(first.type) - 1);

    std::size_t n = p2p::encode_peer_message(first, g_first.data(), g_first.size());
    check(n > 0, "a decoded message failed to encode");
    check(n == p2p::encoded_size(first), "encoded_size disagrees with encode");
    check(g_first[n - 1] == '\n', "line not terminated");
    check(std::memchr(g_first.data(), '\n', n - 1) == nullptr, "raw newline inside a line");
    check(p2p::encode_peer_message(first, g_scratch.data(), n - 1) == 0, "fits one byte short");

    // The decoder reads only fields of the type, so decoding the re-encoded
    // line must give back exactly the first message.
    std::memcpy(g_second.data(), g_first.data(), n);
    p2p::PeerMessage second;
    std::size_t len = n - 1;
    if (len <= p2p::kMaxLineBytes) {
        r = p2p::decode_peer_message(g_second.data(), len, arena, second);
        check(!arena.overflowed(), "arena fell back to the heap (re-decode)");
        check(r.ok(), "re-encoded line does not decode");
        check(second.type_name == p2p::msg_type_name(second.type), "type_name mismatch");
        check(same(first, second), "round trip changed the message");
        g_reach.roundtrip();
        // From the normalised form on, encoding is byte-stable.
        std::size_t m = p2p::encode_peer_message(second, g_scratch.data(), g_scratch.size());
        if (first.type != p2p::MsgType::kMetrics) {
            check(m == n && std::memcmp(g_scratch.data(), g_first.data(), n) == 0,
                  "encoding not stable");
        }
    } else {
        check(!p2p::fits_in_line(first), "fits_in_line accepts an overlong line");
    }
    return 0;
}
