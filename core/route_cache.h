// The relay's route cache (docs/protocol.md §5): destinations learnt from
// WHO_HAS_HIT, each with the link its messages go on, for route_ttl_ms.
// Bounded by --max-routes (allocated at construction); a full cache forgets
// the route closest to expiry. Routes are hashed by destination (the
// per-message lookup) and listed per link (a closed link drops its routes
// without a scan), so both cost the same with 65535 routes as with 8.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/expiring_table.h"
#include "core/keyed_lists.h"
#include "core/limits.h"
#include "core/node_types.h"

namespace p2p {

struct RouteEntry {
    char dst[2 * kMaxNameBytes + 2] = {};
    std::uint8_t dst_len = 0;
    LinkId via = kNoLink;
    MonoMs learnt = 0;
    std::string_view dst_id() const { return {dst, dst_len}; }
};

class RouteCache {
  public:
    RouteCache(std::size_t capacity, MonoMs ttl_ms);

    // The slot of the live route to `dst`, or -1.
    int find(std::string_view dst, MonoMs now);
    // Learns or refreshes dst -> via. True when the route is new or now goes
    // through another link; false for a refresh or a dst too long to keep.
    bool learn(std::string_view dst, LinkId via, MonoMs now);
    void forget(int slot);
    void forget(std::string_view dst);
    // Every route through `via` (its link went down).
    void forget_via(LinkId via);

    // Index-based views (/routes): used slots not yet expired.
    bool live(int slot, MonoMs now) const {
        return table_.used(slot) && table_.expires(slot) > now;
    }
    const RouteEntry& at(int slot) const { return table_.at(slot); }
    MonoMs expires(int slot) const { return table_.expires(slot); }
    std::size_t capacity() const { return table_.capacity(); }
    std::size_t size() const { return table_.size(); }
    std::uint64_t probes() const { return table_.probes() + by_via_.probes(); }

  private:
    int peek(std::string_view dst) const;
    auto same_via(LinkId via) const {
        return [this, via](int k) { return table_.at(k).via == via; };
    }
    void add_via(int slot, LinkId via);
    void remove_via(int slot);

    ExpiringTable<RouteEntry> table_;
    KeyedLists by_via_;  // the routes through each link
    MonoMs ttl_;
};

}  // namespace p2p
