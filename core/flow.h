// Backpressure on relayed traffic (docs/architecture.md "Backpressure";
// node_flow.cpp): pauses the reading of a link whose relayed copies fill
// another link's queue past its relay share, resumes it when that queue
// drains, and marks a reader that stays full too long as slow (its relayed
// copies are then dropped instead). Owns the count of paused links; the
// per-link flow fields of Link are written only here.
#pragma once
#include <cstddef>

#include "core/engine_context.h"
#include "core/link.h"

namespace p2p {

class Inbound;
class LinkTable;
class PeerBook;

class Flow {
  public:
    // `inbound`: where held lines go when a link reads again.
    Flow(EngineContext& ctx, LinkTable& links, PeerBook& peers, Inbound& inbound);

    // True (and one WARN the first time) when `l` has been full past
    // slow_reader_ms: relayed copies toward it are dropped.
    bool slow_reader(Link& l);
    // A relayed copy from `from` was queued on `to`.
    void fed(Link& from, Link& to);
    // Reads `l` again unless what paused it still holds.
    void try_resume(Link& l);
    // After the host wrote some of `l`'s queue: below its low-water mark?
    // (Inline: once per write, and almost always nothing to do.)
    void drained(Link& l) {
        if (l.full_since != 0) drained_from_full(l);
    }
    // `l` is going away: links it paused look again (from the timer).
    void closed(Link& l);
    // NodeHost's read budget for `l` (Node::read_room).
    std::size_t read_room(const Link* l) const;

  private:
    bool above_share(const Link& l) const;
    bool below_low_water(const Link& l) const;
    void pause_reading(Link& l, Link& blocker);
    void drained_from_full(Link& l);

    EngineContext& ctx_;
    LinkTable& links_;
    PeerBook& peers_;
    Inbound& inbound_;
    std::size_t paused_links_ = 0;
};

}  // namespace p2p
