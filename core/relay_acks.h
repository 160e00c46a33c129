// What the relay forwarded for a neighbour (a SEND, a WHO_HAS), by msg_id,
// so the answer (ACK, RELAY_FAIL, TTL_EXPIRED, WHO_HAS_HIT) can be passed
// back on the link it came from (docs/protocol.md §5). Bounded by
// --max-relay-acks, allocated at construction. Each entry is owned by the
// link it came from; a full table forgets an expired entry of that link if
// it has one, else the oldest entry of the link holding the most
// (fair_slots.h): a neighbour's flood replaces its own entries, never the
// ones an honest neighbour waits on. Hashed by msg_id: an ACK costs O(1)
// whatever the bound.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/fair_slots.h"
#include "core/node_types.h"
#include "core/slot_index.h"

namespace p2p {

class RelayAcks {
  public:
    // `owners`: how many links may own entries (their slot numbers).
    explicit RelayAcks(std::size_t capacity, std::size_t owners = 1)
        : slots_(capacity, owners), entries_(slots_.capacity()), index_(slots_.capacity()) {}

    // Answers to msg_id go back on `prev` (owner: its slot) until `expires`.
    void remember(std::string_view msg_id, LinkId prev, MonoMs now, MonoMs expires,
                  std::size_t owner = 0) {
        std::uint64_t key = SlotIndex::hash(msg_id);
        int s = find(key, now);
        if (s < 0) {
            make_room(owner, now);
            s = slots_.take(owner);
            index_.insert(key, s);
            entries_[static_cast<std::size_t>(s)].key = key;
        }
        Entry& e = entries_[static_cast<std::size_t>(s)];
        e.prev = prev;
        e.expires = expires;
    }
    // The link answers to msg_id go back on, or kNoLink (unknown or expired).
    LinkId lookup(std::string_view msg_id, MonoMs now) {
        int s = find(SlotIndex::hash(msg_id), now);
        return s < 0 ? kNoLink : entries_[static_cast<std::size_t>(s)].prev;
    }

    std::size_t size() const { return slots_.size(); }
    std::size_t capacity() const { return slots_.capacity(); }
    std::size_t held_by(std::size_t owner) const { return slots_.count(owner); }
    std::uint64_t probes() const { return index_.probes(); }

  private:
    struct Entry {
        std::uint64_t key = 0;
        MonoMs expires = 0;
        LinkId prev = kNoLink;
    };
    bool expired(int s, MonoMs now) const {
        return entries_[static_cast<std::size_t>(s)].expires <= now;
    }
    // The live slot for key, or -1; an expired one found is forgotten.
    int find(std::uint64_t key, MonoMs now) {
        int s = index_.find(
            key, [&](int c) { return entries_[static_cast<std::size_t>(c)].key == key; });
        if (s >= 0 && expired(s, now)) {
            forget(s);
            return -1;
        }
        return s;
    }
    void forget(int s) {
        index_.erase(entries_[static_cast<std::size_t>(s)].key, s);
        slots_.release(s);
    }
    void make_room(std::size_t owner, MonoMs now) {
        if (!slots_.full()) return;
        int own = slots_.oldest(owner);
        forget(own >= 0 && expired(own, now) ? own : slots_.victim(owner));
    }

    FairSlots slots_;
    std::vector<Entry> entries_;  // by slot
    SlotIndex index_;
};

}  // namespace p2p
