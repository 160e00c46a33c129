#include "core/pending_acks.h"

#include <cstring>

namespace p2p {

PendingAcks::PendingAcks(std::size_t capacity) : slots_(capacity) {}

int PendingAcks::alloc(std::string_view msg_id, std::string_view dst, int peer, std::uint64_t seq) {
    if (msg_id.size() >= kMsgIdBytes || dst.size() >= sizeof(PendingSend::dst)) return -1;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        PendingSend& p = slots_[i];
        if (p.used) continue;
        p.used = true;
        std::memcpy(p.msg_id, msg_id.data(), msg_id.size());
        p.msg_id[msg_id.size()] = '\0';
        p.id_len = static_cast<std::uint8_t>(msg_id.size());
        p.peer = peer;
        std::memcpy(p.dst, dst.data(), dst.size());
        p.dst[dst.size()] = '\0';
        p.dst_len = static_cast<std::uint8_t>(dst.size());
        p.routed = false;
        p.route_deadline = 0;
        p.transmissions = 0;
        p.timeouts = 0;
        p.deadline = 0;
        p.last_tx = 0;
        p.tx_link = kNoLink;
        p.seq = seq;
        ++used_;
        return static_cast<int>(i);
    }
    return -1;
}

void PendingAcks::release(int index, ChunkPool& pool) {
    PendingSend& p = at(index);
    if (!p.used) return;
    p.line.clear(pool);
    p.used = false;
    --used_;
}

int PendingAcks::find(std::string_view msg_id) const {
    if (msg_id.empty()) return -1;
    for (std::size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].used && slots_[i].id() == msg_id) return static_cast<int>(i);
    return -1;
}

int PendingAcks::in_flight(int peer) const {
    int n = 0;
    for (const PendingSend& p : slots_)
        if (p.used && p.peer == peer && p.transmissions > 0) ++n;
    return n;
}

int PendingAcks::oldest_waiting(int peer) const {
    int best = -1;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        const PendingSend& p = slots_[i];
        if (!p.used || p.peer != peer || p.transmissions > 0) continue;
        if (best < 0 || p.seq < slots_[static_cast<std::size_t>(best)].seq)
            best = static_cast<int>(i);
    }
    return best;
}

}  // namespace p2p
