// Our SENDs awaiting their ACK (PROTOCOL.md §4 "Unicast"): each keeps a copy
// of its encoded line (in pool chunks) for retransmission with the same
// msg_id, its retry count and deadline. Fixed number of slots; a full table
// refuses new messages (`busy`) rather than dropping old ones.
//
// Indexed two ways so no per-message path scans the slots (--max-pending-sends
// goes up to 65535): by msg_id (an ACK finds its SEND in O(1)) and by
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
    int transmissions = 0;  // copies queued so far
    int timeouts = 0;       // ack timeouts so far
    MonoMs deadline = 0;    // next ack timeout; 0 while waiting its turn
    MonoMs last_tx = 0;
    LinkId tx_link = kNoLink;  // link of the last copy
    std::uint64_t seq = 0;     // submission order
    std::string_view id() const { return {msg_id, id_len}; }
    std::string_view dst_id() const { return {dst, dst_len}; }
};

class PendingAcks {
  public:
    explicit PendingAcks(std::size_t capacity);
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
