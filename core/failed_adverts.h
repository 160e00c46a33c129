// Discovered peers that never answered (docs/protocol.md §4 "Peer table and
// reconnection", probation). A rendezvous can list thousands of dead
// addresses (fakes registered by an attacker, or a lying server); each gets
// one probation — its first dial attempts — and, if it never completes a
// handshake, lands here. While here (hold_ms), a fresh listing of the same
// peer_id at the same address is not given a peer record nor a slot in the
// rendezvous client's tracking table, so re-listing the fakes every
// discovery cannot win their slots back over peers not yet tried.
//
// Fixed capacity, allocated at construction: past it the oldest entry is
// forgotten (that fake then gets a new probation, one among all the others).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/slot_index.h"

namespace p2p {

class FailedAdverts {
  public:
    FailedAdverts(std::size_t capacity, MonoMs hold_ms);

    void add(std::string_view peer_id, std::string_view ip, std::uint16_t port, MonoMs now);
    bool contains(std::string_view peer_id, std::string_view ip, std::uint16_t port,
                  MonoMs now) const;
    // It completed a handshake after all: forgiven.
    void erase(std::string_view peer_id, std::string_view ip, std::uint16_t port);
    std::size_t capacity() const { return ring_.size(); }

  private:
    struct Entry {  // 16 bytes: 4096 entries are 64 KiB, their index as much
        std::uint64_t key = 0;
        MonoMs until = 0;  // 0: unused
    };
    static std::uint64_t key(std::string_view peer_id, std::string_view ip, std::uint16_t port);
    int slot_of(std::uint64_t k) const;

    std::vector<Entry> ring_;  // oldest first from next_
    std::size_t next_ = 0;
    SlotIndex index_;
    MonoMs hold_ms_;
};

}  // namespace p2p
