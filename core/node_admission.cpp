// PeerBook: who gets a link slot and a peer record when they run short
// (docs/protocol.md §4 "Peer table and reconnection", admission rules).
//
// Anyone can open a socket to an always-on node and say HELLO under any
// name. Neither a crowd of connections that never say HELLO nor a crowd of
// names that said HELLO and left may lock out a peer that comes later:
//   - links: connections waiting for their HELLO hold at most half the
//     slots, at most max_handshakes_per_address from one address, and never
//     the last few slots (kept for our own dials and for handshakes that
//     complete); past that the oldest waiting connection makes room, and
//     under that pressure a new one has handshake_timeout_pressed_ms;
//   - records: a record with no link, no dial and no pending message that
//     came from an inbound HELLO is given up for a newcomer (least recently
//     heard first); one address creates at most max_peers_per_address
//     records; static peers are never given up.
//
// A rendezvous lists whatever registered (or, if it lies, whatever it
// likes): 80 registrations at dead ports once held every record of a node
// for as long as they were renewed. So a listed peer earns its record by
// answering: until it completes a handshake it is on probation for its
// first kProbationDials dials; past that it is given up for a newcomer like
// an idle inbound record, and remembered in a bounded set (failed_adverts.h)
// so that listing it again wins it neither a record nor a slot in the
// rendezvous client's table (PeerBook::wants) for kFailedAdvertHoldMs. A
// listed peer that ever completed a handshake keeps its record.
#include <algorithm>

#include "core/link_life.h"
#include "core/link_table.h"
#include "core/log_throttle.h"
#include "core/messages.h"
#include "core/peer_book.h"

namespace p2p {

namespace {

bool waiting_for_hello(const Link& l) {
    return l.used && l.dir == LinkDirection::kInbound && l.state == LinkState::kAwaitHello;
}

}  // namespace

// A scan of the link slots, made once per accepted connection or dial (never
// per message): the slots are few (2 * --max-peers + 8 by default).
bool PeerBook::make_room_for_link(LinkDirection dir, std::string_view remote, MonoMs* hs_timeout) {
    *hs_timeout = ctx_.cfg.handshake_timeout_ms;
    std::string_view source = host_part(remote);
    std::size_t waiting = 0, from_source = 0;
    Link* oldest = nullptr;
    for (Link& l : links_.all()) {
        if (!waiting_for_hello(l)) continue;
        ++waiting;
        if (l.remote_host() == source) ++from_source;
        if (!oldest || l.opened_at < oldest->opened_at) oldest = &l;
    }
    std::size_t reserve = std::max<std::size_t>(2, links_.size() / 16);
    std::size_t waiting_cap = std::max<std::size_t>(1, links_.size() / 2);
    bool room;
    if (dir == LinkDirection::kOutbound) {
        room = links_.free_count() > 0;
    } else {
        if (from_source >= ctx_.cfg.max_handshakes_per_address) return false;
        room = waiting < waiting_cap && links_.free_count() > reserve;
        if (waiting + 1 > waiting_cap / 2) *hs_timeout = ctx_.cfg.handshake_timeout_pressed_ms;
    }
    if (room) return true;
    if (!oldest) return false;  // every slot carries an established link or a dial
    P2P_INFO_LIMITED("Link", "connections closed before their HELLO to make room",
                     oldest->remote_host(), "%s: no HELLO yet, closing it to make room for %.*s",
                     oldest->remote, static_cast<int>(remote.size()), remote.data());
    life_.close_now(*oldest, "closed to make room", false);
    return links_.free_count() > 0;
}

bool PeerBook::probation_over(const PeerRecord& r) const {
    return !r.proven && !r.is_static && r.failed_dials >= kProbationDials;
}

void PeerBook::dial_failed(PeerRecord& r) {
    if (r.proven || r.is_static || !r.has_advert) return;
    ++r.failed_dials;
    if (r.failed_dials != kProbationDials) return;
    P2P_INFO_LIMITED("Peers", "listed peers that never answered (probation over)", "",
                     "%s at %s:%u never answered %d dials: its record makes room for others", r.id,
                     r.host, static_cast<unsigned>(r.port), kProbationDials);
    failed_.add(r.peer_id(), r.dial_host(), r.port, ctx_.now());
}

bool PeerBook::wants(const PeerAdvert& a) const {
    int p = table_.find(a.peer_id);
    if (p >= 0) return !probation_over(table_.at(p));
    return !failed_.contains(a.peer_id, a.ip, a.port, ctx_.now());
}

bool PeerBook::evictable(int p) const {
    const PeerRecord& r = table_.at(p);
    if (r.is_static || r.link != kNoLink || r.dialing != kNoLink) return false;
    if (r.has_advert && !probation_over(r)) return false;
    // (A link naming the record without being its link or dial is a spare
    // or a closing one: remove() unhooks those.)
    return !messages_.has_pending(p);
}

int PeerBook::admit(std::string_view source) {
    auto may_evict = [this](int k) { return evictable(k); };
    if (!source.empty() && table_.count_from(source) >= ctx_.cfg.max_peers_per_address) {
        int own = table_.eviction_candidate(source, may_evict);
        if (own < 0) return -1;
        remove(own, "forgotten: its address opened too many peers");
    }
    int p = table_.alloc();
    if (p < 0) {
        int idle = table_.eviction_candidate({}, may_evict);
        if (idle < 0) return -1;
        remove(idle, "forgotten: peer table full");
        p = table_.alloc();
        if (p < 0) return -1;
    }
    table_.at(p).set_source(source);
    return p;
}

Link* PeerBook::admit_link(LinkDirection dir, std::string_view remote) {
    MonoMs hs_timeout = ctx_.cfg.handshake_timeout_ms;
    if (!make_room_for_link(dir, remote, &hs_timeout)) return nullptr;
    return links_.take(dir, remote, hs_timeout);
}

}  // namespace p2p
