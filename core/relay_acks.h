// What the relay forwarded for a neighbour (a SEND, a WHO_HAS), by msg_id,
// so the answer (ACK, RELAY_FAIL, TTL_EXPIRED, WHO_HAS_HIT) can be passed
// back on the link it came from (docs/protocol.md §5). Bounded by --max-relay-acks,
// allocated at construction; a full table forgets the entry closest to
// expiry. Hashed by msg_id: an ACK costs O(1) whatever the bound.
#pragma once
#include <cstddef>
#include <string_view>

#include "core/clock.h"
#include "core/expiring_table.h"
#include "core/node_types.h"
#include "core/slot_index.h"

namespace p2p {

class RelayAcks {
  public:
    explicit RelayAcks(std::size_t capacity) : table_(capacity) {}

    // Answers to msg_id go back on `prev` until `expires`.
    void remember(std::string_view msg_id, LinkId prev, MonoMs now, MonoMs expires) {
        std::uint64_t key = SlotIndex::hash(msg_id);
        int s = table_.find(key, now);
        if (s < 0)
            s = table_.insert(key, expires);
        else
            table_.set_expiry(s, expires);
        table_.at(s) = prev;
    }
    // The link answers to msg_id go back on, or kNoLink (unknown or expired).
    LinkId lookup(std::string_view msg_id, MonoMs now) {
        int s = table_.find(SlotIndex::hash(msg_id), now);
        return s < 0 ? kNoLink : table_.at(s);
    }

    std::size_t size() const { return table_.size(); }
    std::size_t capacity() const { return table_.capacity(); }
    std::uint64_t probes() const { return table_.probes(); }

  private:
    ExpiringTable<LinkId> table_;
};

}  // namespace p2p
