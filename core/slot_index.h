// An open-addressing hash index from a 64-bit key hash to a slot of one of the
// engine's fixed tables (pending SENDs, peer records, relay tables), so a
// lookup by msg_id or peer_id is O(1) instead of a scan of every slot.
//
// The table has a power-of-two size of at least twice the slot count (load
// factor <= 1/2), is allocated at construction and never grows. Linear
// probing with backward-shift deletion: no tombstones, so probe lengths stay
// short however long the index churns. An entry keeps 32 bits of the hash
// and the slot (8 bytes), so several keys may match one entry's bits: find()
// takes a predicate that confirms the slot really holds the key.
// probes() counts the entries looked at, so tests can prove lookups stay O(1)
// on average without timing anything.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/invariant.h"

namespace p2p {

class SlotIndex {
  public:
    explicit SlotIndex(std::size_t slots);

    // The slot under `hash` for which same(slot) holds, or -1.
    template <class Same>
    int find(std::uint64_t hash, Same&& same) const {
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            ++probes_;
            const Entry& e = table_[i];
            if (e.slot == 0) return -1;
            if (e.tag == tag_of(hash) && same(static_cast<int>(e.slot - 1)))
                return static_cast<int>(e.slot - 1);
        }
    }
    // Adds (hash, slot); the caller keeps each slot in the index at most once.
    void insert(std::uint64_t hash, int slot);
    // Removes (hash, slot) if present.
    void erase(std::uint64_t hash, int slot);
    // Points the entry (hash, from) at slot `to` instead.
    void replace(std::uint64_t hash, int from, int to);

    std::size_t slots() const { return slots_; }
    std::uint64_t probes() const { return probes_; }

    // FNV-1a with a finalizer that mixes the low bits the table uses.
    static std::uint64_t hash(std::string_view key);
    // A key of two parts (origin and msg_id): `a`, a separator byte, `b`.
    static std::uint64_t hash(std::string_view a, std::string_view b);

  private:
    struct Entry {
        std::uint32_t tag;   // the hash's low 32 bits: the table index comes from them
        std::uint32_t slot;  // slot + 1; 0 = empty
    };
    static std::uint32_t tag_of(std::uint64_t hash) { return static_cast<std::uint32_t>(hash); }
    std::size_t position(std::uint64_t hash, int slot) const;  // or npos
    void erase_at(std::size_t i);

    std::vector<Entry> table_;
    std::size_t mask_;
    std::size_t slots_;
    mutable std::uint64_t probes_ = 0;
};

}  // namespace p2p
