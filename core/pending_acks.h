// Our SENDs awaiting their ACK (PROTOCOL.md §4 "Unicast"): each keeps a copy
// of its encoded line (in pool chunks) for retransmission with the same
// msg_id, its retry count and deadline. Fixed number of slots; a full table
// refuses new messages (`busy`) rather than dropping old ones.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/limits.h"
#include "core/node.h"
#include "core/out_queue.h"
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
    PendingSend& at(int index) { return slots_[static_cast<std::size_t>(index)]; }
    const PendingSend& at(int index) const { return slots_[static_cast<std::size_t>(index)]; }
    std::size_t capacity() const { return slots_.size(); }
    std::size_t size() const { return used_; }
    // Transmitted and unacknowledged messages to `peer`.
    int in_flight(int peer) const;
    // The oldest message to `peer` never transmitted; -1 if none.
    int oldest_waiting(int peer) const;

  private:
    std::vector<PendingSend> slots_;
    std::size_t used_ = 0;
};

}  // namespace p2p
