// The services every part of the Node engine shares (docs/architecture.md
// "core/"): configuration, clock, host, randomness, the memory pool, the
// timer heap, the JSON arena, one encode buffer, the counters. No protocol
// state lives here: links, peers, messages, relay tables and backpressure
// belong to their parts (link_table.h, peer_book.h, messages.h, relay.h,
// flow.h, link_life.h, handshake.h), which the Node wires together.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "core/civil_time.h"
#include "core/codec.h"
#include "core/node.h"
#include "core/out_queue.h"
#include "core/rng.h"
#include "core/timer_heap.h"
#include "core/wire_util.h"

namespace p2p {

// The configuration as the engine runs it: the constructor's clamps applied.
NodeConfig normalized(NodeConfig config);

// One timer heap serves every part: each link, peer record and pending SEND
// has its own slot, laid out in that order.
class TimerSlots {
  public:
    TimerSlots(std::size_t links, std::size_t peers, std::size_t pending)
        : links_(links), peers_(peers), pending_(pending) {}
    std::size_t link(std::size_t slot) const { return slot; }
    std::size_t peer(int index) const { return links_ + std::size_t(index); }
    std::size_t pending(int index) const { return links_ + peers_ + std::size_t(index); }
    std::size_t total() const { return links_ + peers_ + pending_; }

    // Which part a fired heap slot belongs to, and its index there.
    enum class Owner : std::uint8_t { kLink, kPeer, kPending };
    Owner owner(std::size_t slot, int* index) const {
        if (slot < links_) {
            *index = static_cast<int>(slot);
            return Owner::kLink;
        }
        if (slot < links_ + peers_) {
            *index = static_cast<int>(slot - links_);
            return Owner::kPeer;
        }
        *index = static_cast<int>(slot - links_ - peers_);
        return Owner::kPending;
    }

  private:
    std::size_t links_, peers_, pending_;
};

struct EngineContext {
    // `config` is taken as given: normalize it first.
    EngineContext(const NodeConfig& config, const Clock& clock, NodeHost& host);

    NodeConfig cfg;
    const Clock& clock;
    NodeHost& host;
    Rng rng;              // jitter and GREASE: seeded, never for msg_ids
    MsgIdPool ids;        // msg_ids: the host's random bytes, 4 KiB at a time
    std::string self;     // name@ns
    std::string self_ns;  // ns
    ChunkPool pool;       // the links' out queues and the pending SENDs' lines
    TimerSlots slots;
    TimerHeap timers;
    JsonArena arena;  // the decoded line in hand
    // One encoded line (kMaxLineBytes + 2): the line being queued or sent.
    static constexpr std::size_t kScratchBytes = kMaxLineBytes + 2;
    std::unique_ptr<char[]> scratch;
    Node::Stats stats;
    bool watch = false;     // /watch: every line is a kWire event
    bool quitting = false;  // quit() was called: no new links, dials or SENDs

    MonoMs now() const { return clock.mono_ms(); }
    void emit(const NodeEvent& ev) { host.emit(ev); }
    // The wall clock as an ISO 8601 timestamp (whole seconds), for ACK, PING and
    // PONG: formatted again only when the second changes (issue 17: formatting
    // cost a fortieth of a SEND+ACK). Valid until the next call.
    std::string_view iso_now();

  private:
    WallMs iso_second_ = -1;  // the second iso_ holds; -1: none yet
    char iso_[kIsoTimeBytes] = {};
    std::string_view iso_view_;
};

}  // namespace p2p
