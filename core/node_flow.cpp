// Flow: backpressure on relayed traffic (docs/architecture.md "Backpressure",
// docs/protocol.md §5 "Forwarding").
//
// A relayed copy (a forwarded SEND, a flooded PUB) goes to another link's
// queue. When that queue rises above its relay share (the high-water mark),
// the link the copy came from stops being read: its remaining lines stay in
// its framer, the host stops reading its socket (NodeHost::pause_reading), and
// TCP slows the sender to the pace of its slowest reader. Nothing is dropped
// while readers keep up.
//
// A reader that stays above the mark for longer than slow_reader_ms is a slow
// reader (a stuck or too slow consumer, the rule of Redis' client output
// buffer limits and Mosquitto's queue limits): the links it paused read again,
// its relayed copies are dropped and counted (per link, in /routes and
// /metrics) and one WARN says so; the episode ends when its queue is back
// under half the mark.
#include <algorithm>

#include "core/flow.h"
#include "core/inbound.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/peer_book.h"

namespace p2p {

namespace {

constexpr std::size_t kMinReadBytes = 4096;

std::size_t share_of(std::size_t total, int percent) {
    return total * static_cast<std::size_t>(percent) / 100;
}

}  // namespace

Flow::Flow(EngineContext& ctx, LinkTable& links, PeerBook& peers, Inbound& inbound)
    : ctx_(ctx), links_(links), peers_(peers), inbound_(inbound) {}

bool Flow::above_share(const Link& l) const {
    return l.out.bytes() >= share_of(ctx_.cfg.queue_max_bytes, ctx_.cfg.relay_share_percent) ||
           l.out.msgs() >= share_of(ctx_.cfg.queue_max_msgs, ctx_.cfg.relay_share_percent);
}

bool Flow::below_low_water(const Link& l) const {
    return l.out.bytes() < share_of(ctx_.cfg.queue_max_bytes, ctx_.cfg.relay_share_percent) / 2 &&
           l.out.msgs() < share_of(ctx_.cfg.queue_max_msgs, ctx_.cfg.relay_share_percent) / 2;
}

bool Flow::slow_reader(Link& l) {
    if (l.slow) return true;
    if (l.full_since == 0 || ctx_.now() - l.full_since < ctx_.cfg.slow_reader_ms) return false;
    l.slow = true;
    ++ctx_.stats.slow_readers;
    P2P_WARN("Relay", "%s reads too slowly (queue full for %lld ms): dropping its relayed copies",
             l.peer >= 0 ? peers_.at(l.peer).id : l.remote,
             static_cast<long long>(ctx_.now() - l.full_since));
    return true;
}

// A relayed copy from `from` was queued on `to`.
void Flow::fed(Link& from, Link& to) {
    if (!above_share(to)) return;
    if (to.full_since == 0) to.full_since = ctx_.now();
    if (&from != &to && !slow_reader(to)) pause_reading(from, to);
}

void Flow::pause_reading(Link& l, Link& blocker) {
    if (l.read_paused) return;
    l.read_paused = true;
    l.blocked_by = blocker.id;
    l.resume_at = blocker.full_since + ctx_.cfg.slow_reader_ms;
    ++paused_links_;
    ++ctx_.stats.reads_paused;
    P2P_DEBUG("Relay", "%s: reading paused, %s is full", l.remote, blocker.remote);
    links_.rearm(l);
    ctx_.host.pause_reading(l.id, true);
}

// Reads `l` again unless the link that paused it is still full and not yet
// a slow reader; then looks again when it would become one.
void Flow::try_resume(Link& l) {
    if (!l.read_paused) return;
    if (links_.feeding()) {
        // Inside some link's feed(): never parse two links at once. The
        // timer resumes it as soon as that returns.
        l.resume_at = ctx_.now();
        links_.rearm(l);
        return;
    }
    Link* b = links_.find(l.blocked_by);
    if (b && b->state != LinkState::kClosing && above_share(*b) && !slow_reader(*b)) {
        l.resume_at = b->full_since + ctx_.cfg.slow_reader_ms;
        links_.rearm(l);
        return;
    }
    l.read_paused = false;
    l.blocked_by = kNoLink;
    l.resume_at = 0;
    --paused_links_;
    links_.rearm(l);
    LinkId id = l.id;
    inbound_.release_held(l);  // may pause it again
    if (l.used && l.id == id && !l.read_paused) ctx_.host.pause_reading(id, false);
}

void Flow::drained_from_full(Link& l) {
    if (!below_low_water(l)) return;
    if (l.slow)
        P2P_INFO("Relay", "%s reads again: %llu relayed copies dropped so far",
                 l.peer >= 0 ? peers_.at(l.peer).id : l.remote,
                 static_cast<unsigned long long>(l.dropped));
    l.full_since = 0;
    l.slow = false;
    if (paused_links_ == 0) return;
    // Rare (once per full episode) and bounded by the link slots.
    for (Link& f : links_.all())
        if (f.used && f.read_paused && f.blocked_by == l.id) try_resume(f);
}

void Flow::closed(Link& l) {
    if (l.read_paused) {
        l.read_paused = false;
        --paused_links_;
    }
    l.full_since = 0;
    l.slow = false;
    if (paused_links_ == 0) return;
    // Resumed from the timer, not here: we may be inside another link's feed().
    for (Link& f : links_.all()) {
        if (f.used && &f != &l && f.read_paused && f.blocked_by == l.id) {
            f.blocked_by = kNoLink;
            f.resume_at = ctx_.now();
            links_.rearm(f);
        }
    }
}

std::size_t Flow::read_room(const Link* l) const {
    if (!l) return LineFramer::kPartialBytes;
    if (l->read_paused) return 0;
    // A partial line that fills the buffer leaves no room, yet the next
    // bytes must be read to end it (or find it too long): lines that then do
    // not fit are handled even if a pause comes, never dropped.
    return std::max<std::size_t>(l->framer.room(), kMinReadBytes);
}

}  // namespace p2p
