#include "core/pending_acks.h"

#include <cstring>

namespace p2p {

PendingAcks::PendingAcks(std::size_t capacity)
    : slots_(capacity), by_id_(capacity), by_dst_(capacity) {
    free_.reserve(capacity);
    for (std::size_t i = capacity; i-- > 0;)
        free_.push_back(static_cast<int>(i));
}

int PendingAcks::alloc(std::string_view msg_id, std::string_view dst, int peer, std::uint64_t seq) {
    if (msg_id.size() >= kMsgIdBytes || dst.size() >= sizeof(PendingSend::dst)) return -1;
    if (free_.empty()) return -1;
    int i = free_.back();
    free_.pop_back();
    PendingSend& p = at(i);
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
    p.charge = 0;
    p.tx_line = 0;
    p.transmissions = 0;
    p.timeouts = 0;
    p.deadline = 0;
    p.last_tx = 0;
    p.tx_link = kNoLink;
    p.seq = seq;
    ++used_;
    by_id_.insert(SlotIndex::hash(msg_id), i);
    by_dst_.append(SlotIndex::hash(p.dst_id()), i, same_dst(p.dst_id()));
    return i;
}

void PendingAcks::release(int index, ChunkPool& pool) {
    PendingSend& p = at(index);
    if (!p.used) return;
    p.line.clear(pool);
    by_id_.erase(SlotIndex::hash(p.id()), index);
    by_dst_.remove(SlotIndex::hash(p.dst_id()), index, same_dst(p.dst_id()));
    p.used = false;
    --used_;
    free_.push_back(index);
}

int PendingAcks::find(std::string_view msg_id) const {
    if (msg_id.empty()) return -1;
    return by_id_.find(SlotIndex::hash(msg_id), [&](int k) { return at(k).id() == msg_id; });
}

int PendingAcks::first_to(std::string_view dst) const {
    if (dst.empty()) return -1;
    return by_dst_.first(SlotIndex::hash(dst), same_dst(dst));
}

}  // namespace p2p
