// Our SENDs, queued or awaiting their ACK (docs/protocol.md §4 "Unicast"): each
// keeps a copy of its encoded line (in pool chunks) for retransmission with
// the same msg_id, its retry count and deadline. The user's queue: the node
// bounds it in bytes (--max-user-queue-bytes, charged with charge()) and the
// table has as many slots as that budget can hold, so a full table means the
// byte bound is reached — the host then stops reading its user's input.
//
// Indexed two ways so no per-message path scans the slots (thousands of
// queued lines): by msg_id (an ACK finds its SEND in O(1)) and by
// destination, each destination's SENDs in a list in submission order (a
// link that comes up, a route that is found, a legacy peer's next turn walk
// only that destination's messages).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/invariant.h"
#include "core/keyed_lists.h"
#include "core/limits.h"
#include "core/node_types.h"
#include "core/out_queue.h"
#include "core/slot_index.h"
#include "core/wire_util.h"

namespace p2p {

struct PendingSend {
    bool used = false;
    char msg_id[kMsgIdBytes] = {};
    std::uint8_t id_len = 0;
    int peer = -1;  // peer record index of the destination, -1 if none
    char dst[2 * kMaxNameBytes + 2] = {};
    std::uint8_t dst_len = 0;
    bool routed = false;        // goes through a relay (route from WHO_HAS_HIT)
    MonoMs route_deadline = 0;  // WHO_HAS sent: no HIT by then means no_route
    ChunkQueue line;
    std::size_t charge = 0;     // bytes counted against the user queue bound
    std::uint64_t tx_line = 0;  // line number of the last copy on tx_link's output
    int transmissions = 0;      // copies queued so far
    int timeouts = 0;           // ack timeouts so far
    MonoMs deadline = 0;        // next ack timeout; 0 while waiting its turn or its write
    MonoMs last_tx = 0;
    LinkId tx_link = kNoLink;  // link of the last copy
    std::uint64_t seq = 0;     // submission order
    std::string_view id() const { return {msg_id, id_len}; }
    std::string_view dst_id() const { return {dst, dst_len}; }
};

class PendingAcks {
  public:
    explicit PendingAcks(std::size_t capacity);
    // What one queued SEND of `line_bytes` costs: the pool chunks its copy
    // occupies plus its slot, so a byte bound is a true memory bound.
    static constexpr std::size_t charge(std::size_t line_bytes) {
        std::size_t chunks = (line_bytes + ChunkPool::kDataBytes - 1) / ChunkPool::kDataBytes;
        return (chunks == 0 ? 1 : chunks) * ChunkPool::kChunkBytes + sizeof(PendingSend);
    }
    // Slots a byte budget can hold (every SEND costs at least charge(1)).
    static constexpr std::size_t slots_for(std::size_t budget_bytes) {
        return budget_bytes / charge(1) + 1;
    }
    // -1 when full.
    int alloc(std::string_view msg_id, std::string_view dst, int peer, std::uint64_t seq);
    void release(int index, ChunkPool& pool);
    int find(std::string_view msg_id) const;
    // The SENDs to `dst` in submission order: first_to(dst), then next_to(k)
    // until -1. Releasing k does not disturb the walk if next_to(k) was taken
    // before.
    int first_to(std::string_view dst) const;
    int next_to(int index) const { return by_dst_.next(index); }

    PendingSend& at(int index) { return slots_[checked(index)]; }
    const PendingSend& at(int index) const { return slots_[checked(index)]; }
    std::size_t capacity() const { return slots_.size(); }
    std::size_t size() const { return used_; }
    std::uint64_t probes() const { return by_id_.probes() + by_dst_.probes(); }

  private:
    std::size_t checked(int index) const {
        P2P_ASSERT(index >= 0 && static_cast<std::size_t>(index) < slots_.size());
        return static_cast<std::size_t>(index);
    }
    // Whether slot k's destination is `dst`: tells colliding hashes apart.
    auto same_dst(std::string_view dst) const {
        return [this, dst](int k) { return at(k).dst_id() == dst; };
    }

    std::vector<PendingSend> slots_;
    std::vector<int> free_;
    std::size_t used_ = 0;
    SlotIndex by_id_;
    KeyedLists by_dst_;  // each destination's SENDs in submission order
};

}  // namespace p2p
