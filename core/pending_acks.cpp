#include "core/pending_acks.h"

#include <cstring>

namespace p2p {

PendingAcks::PendingAcks(std::size_t capacity)
    : slots_(capacity),
      by_id_(capacity),
      by_dst_(capacity),
      next_(capacity, -1),
      prev_(capacity, -1) {
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
    p.transmissions = 0;
    p.timeouts = 0;
    p.deadline = 0;
    p.last_tx = 0;
    p.tx_link = kNoLink;
    p.seq = seq;
    ++used_;
    by_id_.insert(SlotIndex::hash(msg_id), i);
    link_to_dst(i);
    return i;
}

void PendingAcks::release(int index, ChunkPool& pool) {
    PendingSend& p = at(index);
    if (!p.used) return;
    p.line.clear(pool);
    by_id_.erase(SlotIndex::hash(p.id()), index);
    unlink_from_dst(index);
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
    return by_dst_.find(SlotIndex::hash(dst), [&](int k) { return at(k).dst_id() == dst; });
}

void PendingAcks::link_to_dst(int i) {
    std::size_t s = checked(i);
    std::uint64_t h = SlotIndex::hash(at(i).dst_id());
    int head = first_to(at(i).dst_id());
    next_[s] = -1;
    if (head < 0) {
        prev_[s] = i;  // alone: its own last
        by_dst_.insert(h, i);
        return;
    }
    int last = prev_[checked(head)];
    next_[checked(last)] = i;
    prev_[s] = last;
    prev_[checked(head)] = i;
}

void PendingAcks::unlink_from_dst(int i) {
    std::size_t s = checked(i);
    std::uint64_t h = SlotIndex::hash(at(i).dst_id());
    int head = first_to(at(i).dst_id());
    P2P_ASSERT(head >= 0);
    int after = next_[s];
    if (head == i) {
        if (after < 0) {
            by_dst_.erase(h, i);
        } else {
            prev_[checked(after)] = prev_[s];
            by_dst_.replace(h, i, after);
        }
    } else {
        int before = prev_[s];
        next_[checked(before)] = after;
        prev_[checked(after >= 0 ? after : head)] = before;
    }
    next_[s] = -1;
    prev_[s] = -1;
}

}  // namespace p2p
