// The link table: the engine's link slots with their framers, partial-line
// buffers and outgoing queues (docs/architecture.md "core/"). It hands out
// and takes back slots (who may take one is PeerBook's admission rule), finds
// a link by id, frames the bytes read on it, queues the lines written to it
// and keeps its timer armed. It decides nothing about the protocol.
#pragma once
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/engine_context.h"
#include "core/invariant.h"
#include "core/link.h"

namespace p2p {

class PeerBook;

class LinkTable {
  public:
    // `peers`: to count lines per peer and name them in /watch events.
    LinkTable(EngineContext& ctx, PeerBook& peers);

    // ---- slots ----
    Link& at(std::size_t slot) {
        P2P_ASSERT(slot < links_.size());
        return links_[slot];
    }
    const Link& at(std::size_t slot) const {
        P2P_ASSERT(slot < links_.size());
        return links_[slot];
    }
    std::size_t slot_of(const Link& l) const {
        return static_cast<std::size_t>(&l - links_.data());
    }
    Link* find(LinkId id);
    const Link* find(LinkId id) const;
    std::size_t size() const { return links_.size(); }
    std::size_t open() const { return open_; }
    std::size_t free_count() const { return free_.size(); }
    // Every slot, used or not: for the scans made per connection or per
    // episode (admission, backpressure, detach), never per message.
    std::span<Link> all() { return links_; }
    // A fresh link in a free slot (the caller checked admission), or nullptr.
    Link* take(LinkDirection dir, std::string_view remote, MonoMs hs_timeout);
    // Gives the slot back (its queue emptied). Within feed() of this very
    // link the slot is recycled only when feed() returns.
    void free(Link& l);

    // ---- bytes in ----
    // Frames `data` and calls sink(LineFramer::Event, char* line, size_t n)
    // per line; a link whose reading is paused keeps the rest in its framer.
    template <class Sink>
    void feed(Link& l, char* data, std::size_t len, Sink&& sink) {
        Feeding f(*this, l);
        l.framer.feed_gated(
            data, len, [&] { return !l.read_paused; }, sink);
    }
    // Hands out the lines `l` held while paused, as feed() would have.
    template <class Sink>
    void release_held(Link& l, Sink&& sink) {
        Feeding f(*this, l);
        l.framer.release_held([&] { return !l.read_paused; }, sink);
    }
    bool feeding() const { return feeding_slot_ >= 0; }

    // ---- lines out ----
    // The queue limits a line of ours or a relayed one (not control) must fit under.
    OutQueue::Limits data_limits() const;
    bool queue_line(Link& l, const char* line, std::size_t len, bool control);
    bool queue_msg(Link& l, const PeerMessage& m, bool control);
    void send_error(Link& l, std::string_view code, std::string_view ref, std::string_view detail);
    // What output() offers the host, and how much of it was written
    // (returns the whole lines that went). Inline: once per write.
    std::size_t output(Link& l, OutSlice* slices, std::size_t max) {
        if (max == 0 || l.out.empty() || l.state == LinkState::kDialing) return 0;
        // To a legacy peer one message at a time, paced (docs/protocol.md §4).
        bool one = l.legacy && l.state != LinkState::kAwaitHelloOk;
        if (one && ctx_.now() < l.write_ready_at) {
            rearm(l);  // want_write() again when the pause ends
            return 0;
        }
        return l.out.slices(slices, max, one);
    }
    std::size_t consumed(Link& l, std::size_t bytes) {
        std::size_t msgs = l.out.consume(ctx_.pool, bytes);
        l.lines_written += msgs;
        if (msgs > 0 && l.legacy) {
            l.write_ready_at = ctx_.now() + ctx_.cfg.legacy_write_gap_ms;
            rearm(l);
        }
        return msgs;
    }

    // ---- time and events ----
    // Arms the link's timer at its earliest deadline (or clears it).
    void rearm(Link& l);
    void emit_link(const Link& l, bool up, std::string_view reason);
    void emit_wire(const Link& l, std::string_view line, bool outgoing);

  private:
    // Marks `l` as being parsed, so free() does not recycle its framer mid-parse.
    class Feeding {
      public:
        Feeding(LinkTable& t, Link& l) : t_(t), slot_(static_cast<int>(t.slot_of(l))) {
            t_.feeding_slot_ = slot_;
            t_.feeding_released_ = false;
        }
        ~Feeding() {
            t_.feeding_slot_ = -1;
            if (t_.feeding_released_) t_.free_.push_back(slot_);
        }
        Feeding(const Feeding&) = delete;
        Feeding& operator=(const Feeding&) = delete;

      private:
        LinkTable& t_;
        int slot_;
    };

    void signal_write(Link& l);

    EngineContext& ctx_;
    PeerBook& peers_;
    std::unique_ptr<char[]> partials_;  // size() * LineFramer::kPartialBytes
    std::vector<Link> links_;
    std::vector<int> free_;
    std::size_t open_ = 0;
    int feeding_slot_ = -1;  // link whose bytes are being parsed right now
    bool feeding_released_ = false;
};

}  // namespace p2p
