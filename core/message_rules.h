// Small rules about a chat message's addressing, shared by the parts that
// handle it (messages, relay): who it claims to come from, whether a
// neighbour may claim that, and what a PUB scope names.
#pragma once
#include <cstring>
#include <string_view>

#include "core/limits.h"
#include "core/link.h"
#include "core/message.h"
#include "core/peer_table.h"
#include "core/text.h"

namespace p2p {

// The peer a message comes from: its src, or the neighbour that sent it.
inline std::string_view origin_of(const PeerRecord& neighbour, const PeerMessage& m) {
    return m.src.empty() ? neighbour.peer_id() : m.src;
}

// A message from a direct neighbour must carry its own peer_id as src, unless
// that neighbour negotiated relaying (docs/protocol.md §5: no spoofing of src).
inline bool src_allowed(const Link& l, const PeerRecord& r, const PeerMessage& m) {
    return m.src.empty() || m.src == r.peer_id() || (l.features & kFeatureRelay) != 0;
}

// "*" stays "*"; "#ns" and a bare "ns" (older peers) both mean namespace ns.
// Returns false for an empty or unusable scope.
inline bool parse_scope(std::string_view dst, std::string_view& ns_out, bool& all) {
    all = false;
    if (dst == "*") {
        all = true;
        return true;
    }
    if (!dst.empty() && dst[0] == '#') dst.remove_prefix(1);
    if (!is_valid_name(dst)) return false;
    ns_out = dst;
    return true;
}

// The scope as written on the wire and shown: "*" or "#ns", in `buf`.
inline std::string_view scope_text(bool all, std::string_view ns, char (&buf)[kMaxNameBytes + 2]) {
    if (all) return "*";
    buf[0] = '#';
    std::memcpy(buf + 1, ns.data(), ns.size());
    return std::string_view(buf, ns.size() + 1);
}

}  // namespace p2p
