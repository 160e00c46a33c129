// The peer table (docs/protocol.md §4 "Peer table and reconnection"): one record
// per known peer, from a fixed-capacity arena sized at start (--max-peers).
// Records hold identity, dial address, state, RTT samples, counters and the
// redial schedule. The table knows nothing of links or the wire; the engine
// drives the state transitions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/invariant.h"
#include "core/limits.h"
#include "core/node_types.h"
#include "core/slot_index.h"

namespace p2p {

struct PeerRecord {
    static constexpr std::size_t kIdBytes = 2 * kMaxNameBytes + 2;
    static constexpr std::size_t kHostBytes = 256;
    static constexpr int kMaxRtt = 16;

    bool used = false;
    char id[kIdBytes] = {};
    std::uint8_t id_len = 0;
    char host[kHostBytes] = {};
    std::uint16_t host_len = 0;
    std::uint16_t port = 0;

    PeerState state = PeerState::kDiscovered;
    bool is_static = false;
    bool has_advert = false;   // listed by the rendezvous right now
    bool said_bye = false;     // not redialed until it re-registers
    LinkId link = kNoLink;     // the link messages go on (set via PeerTable::set_link)
    LinkId dialing = kNoLink;  // our outbound link being made
    bool rejected = false;     // last link ended with HELLO_REJECT

    int attempts = 0;  // failed dials / lost links since last success
    // The cause of the last failed dial (a hash; 0: none since the last
    // success): the redials that fail the same way are not shown again.
    std::uint64_t fail_cause = 0;
    // Probation (node_admission.cpp): a listed peer that never completed a
    // handshake holds its record only for its first dials. Unlike
    // `attempts`, a re-registration does not reset these.
    bool proven = false;      // completed a handshake at least once
    int failed_dials = 0;     // dials failed while not proven
    MonoMs next_attempt = 0;  // 0: no redial scheduled

    std::int64_t rtt[kMaxRtt] = {};
    int rtt_count = 0;
    int rtt_next = 0;
    std::int64_t last_rtt = 0;

    // The address of the inbound link whose HELLO created the record ("" for
    // discovered and static peers): caps what one address may fill.
    static constexpr std::size_t kSourceBytes = 48;
    char source[kSourceBytes] = {};
    std::uint8_t source_len = 0;

    std::uint64_t sent = 0;
    std::uint64_t recv = 0;
    MonoMs last_seen = 0;

    std::string_view peer_id() const { return {id, id_len}; }
    std::string_view ns() const;
    std::string_view dial_host() const { return {host, host_len}; }
    bool dialable() const { return host_len > 0 && port != 0; }
    bool set_host(std::string_view v, std::uint16_t p);
    std::string_view source_address() const { return {source, source_len}; }
    void set_source(std::string_view v);
    void add_rtt(std::int64_t ms, int keep);
    double rtt_mean() const;

  private:
    friend class PeerTable;  // names a record through the table, which indexes it
    void set_id(std::string_view v);
};

class PeerTable {
  public:
    explicit PeerTable(std::size_t capacity);

    // A zeroed record in state DISCOVERED, or -1 when the table is full.
    int alloc();
    void release(int index);
    int find(std::string_view peer_id) const;  // -1 if none; hashed, O(1)
    // Names record `index` (and indexes it under that name).
    void set_id(int index, std::string_view peer_id);
    // A static record not yet named, dialing host:port; -1 if none. A scan:
    // only --peer and add_static_peer() ask, never a message.
    int find_static(std::string_view host, std::uint16_t port) const;

    // The record to give up for a newcomer: of those `may_evict` allows
    // (the engine's rule: no link, no dial, no pending message, neither
    // static nor discovered), the one heard from least recently; only those
    // from `source` when it is not empty. -1 if none. A scan, made only when
    // a record is needed and the table (or the source's share) is full.
    template <class MayEvict>
    int eviction_candidate(std::string_view source, MayEvict may_evict) const;
    // Records created from `source` (inbound HELLOs from that address). A
    // scan, made once per new peer that dials us, never per message.
    std::size_t count_from(std::string_view source) const;

    // Sets the link messages to record `index` go on (kNoLink: none). The
    // table keeps the records that have one in a dense list, so the engine's
    // per-message fan-outs (PUB, WHO_HAS) visit neighbours, not every record.
    void set_link(int index, LinkId link);
    std::size_t linked_count() const { return linked_.size(); }
    int linked_at(std::size_t i) const {
        P2P_ASSERT(i < linked_.size());
        return linked_[i];
    }

    PeerRecord& at(int index) { return records_[checked(index)]; }
    const PeerRecord& at(int index) const { return records_[checked(index)]; }
    std::size_t capacity() const { return records_.size(); }
    std::size_t size() const { return used_; }

  private:
    std::size_t checked(int index) const {
        P2P_ASSERT(index >= 0 && static_cast<std::size_t>(index) < records_.size());
        return static_cast<std::size_t>(index);
    }

    std::vector<PeerRecord> records_;
    std::vector<int> free_;
    std::size_t used_ = 0;
    SlotIndex by_id_;              // named records by peer_id
    std::vector<int> linked_;      // records whose link != kNoLink, in no order
    std::vector<int> linked_pos_;  // each record's place in linked_, -1 if absent
};

template <class MayEvict>
int PeerTable::eviction_candidate(std::string_view source, MayEvict may_evict) const {
    int best = -1;
    for (std::size_t i = 0; i < records_.size(); ++i) {
        const PeerRecord& r = records_[i];
        if (!r.used || (!source.empty() && r.source_address() != source)) continue;
        if (!may_evict(static_cast<int>(i))) continue;
        if (best < 0 || r.last_seen < records_[static_cast<std::size_t>(best)].last_seen)
            best = static_cast<int>(i);
    }
    return best;
}

}  // namespace p2p
