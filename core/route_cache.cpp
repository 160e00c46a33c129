#include "core/route_cache.h"

#include <cstring>

#include "core/slot_index.h"

namespace p2p {

RouteCache::RouteCache(std::size_t capacity, MonoMs ttl_ms) : table_(capacity), ttl_(ttl_ms) {}

int RouteCache::find(std::string_view dst, MonoMs now) {
    return table_.find(SlotIndex::hash(dst), now,
                       [&](int s) { return table_.at(s).dst_id() == dst; });
}

bool RouteCache::learn(std::string_view dst, LinkId via, MonoMs now) {
    if (dst.size() >= sizeof(RouteEntry::dst)) return false;
    int s = find(dst, now);
    bool changed = s < 0 || table_.at(s).via != via;
    if (s < 0) {
        s = table_.insert(SlotIndex::hash(dst), now + ttl_);
        RouteEntry& r = table_.at(s);
        std::memcpy(r.dst, dst.data(), dst.size());
        r.dst[dst.size()] = '\0';
        r.dst_len = static_cast<std::uint8_t>(dst.size());
    } else {
        table_.set_expiry(s, now + ttl_);
    }
    RouteEntry& r = table_.at(s);
    r.via = via;
    r.learnt = now;
    return changed;
}

void RouteCache::forget(std::string_view dst) {
    int s = table_.find(SlotIndex::hash(dst), INT64_MIN,
                        [&](int k) { return table_.at(k).dst_id() == dst; });
    if (s >= 0) table_.erase(s);
}

void RouteCache::forget_via(LinkId via) {
    for (std::size_t i = 0; i < table_.capacity(); ++i) {
        int s = static_cast<int>(i);
        if (table_.used(s) && table_.at(s).via == via) table_.erase(s);
    }
}

}  // namespace p2p
