#include "core/route_cache.h"

#include <cstring>

#include "core/slot_index.h"

namespace p2p {

namespace {
std::uint64_t via_key(LinkId via) {
    char bytes[sizeof via];
    std::memcpy(bytes, &via, sizeof via);
    return SlotIndex::hash(std::string_view(bytes, sizeof bytes));
}
}  // namespace

RouteCache::RouteCache(std::size_t capacity, MonoMs ttl_ms)
    : table_(capacity), by_via_(table_.capacity()), ttl_(ttl_ms) {}

int RouteCache::peek(std::string_view dst) const {
    return table_.peek(SlotIndex::hash(dst), [&](int s) { return table_.at(s).dst_id() == dst; });
}

int RouteCache::find(std::string_view dst, MonoMs now) {
    int s = peek(dst);
    if (s >= 0 && table_.expires(s) <= now) {
        forget(s);
        return -1;
    }
    return s;
}

void RouteCache::add_via(int slot, LinkId via) {
    table_.at(slot).via = via;
    by_via_.append(via_key(via), slot, same_via(via));
}

void RouteCache::remove_via(int slot) {
    LinkId via = table_.at(slot).via;
    by_via_.remove(via_key(via), slot, same_via(via));
}

bool RouteCache::learn(std::string_view dst, LinkId via, MonoMs now) {
    if (dst.size() >= sizeof(RouteEntry::dst)) return false;
    int s = find(dst, now);
    if (s >= 0) {
        table_.set_expiry(s, now + ttl_);
        table_.at(s).learnt = now;
        if (table_.at(s).via == via) return false;
        remove_via(s);
        add_via(s, via);
        return true;
    }
    if (table_.full()) forget(table_.soonest());
    s = table_.insert(SlotIndex::hash(dst), now + ttl_);
    RouteEntry& r = table_.at(s);
    std::memcpy(r.dst, dst.data(), dst.size());
    r.dst[dst.size()] = '\0';
    r.dst_len = static_cast<std::uint8_t>(dst.size());
    r.learnt = now;
    add_via(s, via);
    return true;
}

void RouteCache::forget(int slot) {
    if (!table_.used(slot)) return;
    remove_via(slot);
    table_.erase(slot);
}

void RouteCache::forget(std::string_view dst) {
    int s = peek(dst);
    if (s >= 0) forget(s);
}

void RouteCache::forget_via(LinkId via) {
    for (int s = by_via_.first(via_key(via), same_via(via)); s >= 0;) {
        int after = by_via_.next(s);
        forget(s);
        s = after;
    }
}

}  // namespace p2p
