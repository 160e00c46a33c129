#include "core/peer_table.h"

#include <algorithm>
#include <cstring>

namespace p2p {

std::string_view PeerRecord::ns() const {
    std::string_view v = peer_id();
    std::size_t at = v.find('@');
    return at == std::string_view::npos ? std::string_view() : v.substr(at + 1);
}

void PeerRecord::set_id(std::string_view v) {
    std::size_t n = std::min(v.size(), kIdBytes - 1);
    std::memcpy(id, v.data(), n);
    id[n] = '\0';
    id_len = static_cast<std::uint8_t>(n);
}

bool PeerRecord::set_host(std::string_view v, std::uint16_t p) {
    if (v.size() >= kHostBytes) return false;
    if (!v.empty()) std::memcpy(host, v.data(), v.size());
    host[v.size()] = '\0';
    host_len = static_cast<std::uint16_t>(v.size());
    port = p;
    return true;
}

void PeerRecord::set_source(std::string_view v) {
    std::size_t n = std::min(v.size(), kSourceBytes - 1);
    if (n > 0) std::memcpy(source, v.data(), n);  // an empty view may hold a null pointer
    source[n] = '\0';
    source_len = static_cast<std::uint8_t>(n);
}

void PeerRecord::add_rtt(std::int64_t ms, int keep) {
    keep = std::clamp(keep, 1, kMaxRtt);
    rtt[rtt_next % keep] = ms;
    rtt_next = (rtt_next + 1) % keep;
    rtt_count = std::min(rtt_count + 1, keep);
    last_rtt = ms;
}

double PeerRecord::rtt_mean() const {
    if (rtt_count == 0) return 0;
    std::int64_t sum = 0;
    for (int i = 0; i < rtt_count; ++i)
        sum += rtt[i];
    return static_cast<double>(sum) / rtt_count;
}

PeerTable::PeerTable(std::size_t capacity)
    : records_(capacity), by_id_(capacity), linked_pos_(capacity, -1) {
    free_.reserve(capacity);
    linked_.reserve(capacity);
    for (std::size_t i = capacity; i-- > 0;)
        free_.push_back(static_cast<int>(i));
}

int PeerTable::alloc() {
    if (free_.empty()) return -1;
    int i = free_.back();
    free_.pop_back();
    records_[static_cast<std::size_t>(i)] = PeerRecord{};
    records_[static_cast<std::size_t>(i)].used = true;
    ++used_;
    return i;
}

void PeerTable::release(int index) {
    PeerRecord& r = at(index);
    if (!r.used) return;
    if (r.id_len > 0) by_id_.erase(SlotIndex::hash(r.peer_id()), index);
    set_link(index, kNoLink);
    r.used = false;
    --used_;
    free_.push_back(index);
}

int PeerTable::find(std::string_view peer_id) const {
    if (peer_id.empty()) return -1;
    return by_id_.find(SlotIndex::hash(peer_id),
                       [&](int k) { return records_[checked(k)].peer_id() == peer_id; });
}

void PeerTable::set_id(int index, std::string_view peer_id) {
    PeerRecord& r = at(index);
    if (r.id_len > 0) by_id_.erase(SlotIndex::hash(r.peer_id()), index);
    r.set_id(peer_id);
    if (r.id_len > 0) by_id_.insert(SlotIndex::hash(r.peer_id()), index);
}

int PeerTable::find_static(std::string_view host, std::uint16_t port) const {
    for (std::size_t i = 0; i < records_.size(); ++i) {
        const PeerRecord& r = records_[i];
        if (r.used && r.is_static && r.port == port && r.dial_host() == host)
            return static_cast<int>(i);
    }
    return -1;
}

std::size_t PeerTable::count_from(std::string_view source) const {
    std::size_t n = 0;
    for (const PeerRecord& r : records_)
        if (r.used && r.source_address() == source) ++n;
    return n;
}

void PeerTable::set_link(int index, LinkId link) {
    at(index).link = link;
    int& pos = linked_pos_[static_cast<std::size_t>(index)];
    if (link != kNoLink && pos < 0) {
        pos = static_cast<int>(linked_.size());
        linked_.push_back(index);
    } else if (link == kNoLink && pos >= 0) {
        int last = linked_.back();  // swap-remove: O(1), order is not kept
        linked_[static_cast<std::size_t>(pos)] = last;
        linked_pos_[static_cast<std::size_t>(last)] = pos;
        linked_.pop_back();
        pos = -1;
    }
}

}  // namespace p2p
