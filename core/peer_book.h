// The peer book: the peer table and its life (discovery, static peers,
// dialing, redial backoff, expiry; node_peers.cpp) and admission, the rule
// for who may take a link slot or a peer record when they run short
// (node_admission.cpp). Records are read by every part (a peer's name, its
// link, its counters); their lifecycle — alloc, name, lose, forget — is
// changed only here.
#pragma once
#include <cstddef>
#include <string_view>

#include "core/engine_context.h"
#include "core/failed_adverts.h"
#include "core/link.h"
#include "core/peer_advert.h"
#include "core/peer_table.h"

namespace p2p {

class LinkTable;
class LinkLife;
class Messages;

class PeerBook {
  public:
    // Probation (node_admission.cpp): a listed peer that never completed a
    // handshake keeps its record for this many failed dials, then makes room.
    static constexpr int kProbationDials = 2;
    // How long such a peer stays refused when listed again, and how many
    // are remembered (at least; 64 per peer record): enough that a liar
    // listing a few thousand dead peers has each tried once, not the first
    // ones over and over (docs/security.md, "eclipse through the rendezvous").
    static constexpr MonoMs kFailedAdvertHoldMs = 30 * 60'000;
    static constexpr std::size_t kMinFailedAdverts = 4096;

    // `life`: to close a link admission gives up, or a dial that failed at
    // once. `messages`: a peer's pending SENDs when it is lost or forgotten.
    PeerBook(EngineContext& ctx, LinkTable& links, LinkLife& life, Messages& messages);

    // ---- records ----
    PeerRecord& at(int p) { return table_.at(p); }
    const PeerRecord& at(int p) const { return table_.at(p); }
    int find(std::string_view peer_id) const { return table_.find(peer_id); }
    std::size_t capacity() const { return table_.capacity(); }
    std::size_t size() const { return table_.size(); }
    // The records that have a link, for the per-message fan-outs.
    std::size_t linked_count() const { return table_.linked_count(); }
    int linked_at(std::size_t i) const { return table_.linked_at(i); }
    void set_link(int p, LinkId link) { table_.set_link(p, link); }
    // The established link messages to `p` go on, or nullptr.
    Link* active_link(int p);

    // ---- life ----
    void set_state(int p, PeerState state, std::string_view detail, bool repeat = false);
    bool start_dial(int p);
    // Its link is gone: redial later (backoff), or STALE / GONE.
    // `failed_dial`: the link was ours and never came up (a known peer that
    // cannot be reached is said once per cause: say_unreachable()).
    void lost(int p, const char* why, bool penalize, bool failed_dial = false);
    void timer_fired(int p);
    // `link` now carries p's traffic: CONNECTED, no redial pending.
    void connected(int p, LinkId link);
    // The record a handshake on `l` names (learnt, or admitted); -1 when the
    // table is full. Sets l.peer.
    int learn(Link& l, std::string_view peer_id);

    // ---- admission (node_admission.cpp) ----
    // A link slot for a connection from / to `remote` ("ip:port"), or
    // nullptr when admission refuses it; may close the oldest connection
    // still waiting for its HELLO to make room.
    Link* admit_link(LinkDirection dir, std::string_view remote);

    // ---- commands ----
    void on_advert(const PeerAdvert& advert);
    // Whether a listed peer deserves a place (the rendezvous client asks
    // before tracking it): false for one whose probation failed.
    bool wants(const PeerAdvert& advert) const;
    bool add_static(std::string_view host, std::uint16_t port);
    bool connect(std::string_view peer_id);
    void reconnect_all();

  private:
    // A dial of r failed because of `why`: true when it failed as the last
    // one did (a repeat); otherwise a known peer's failure is said as a WARN.
    bool note_dial_failure(PeerRecord& r, const char* why, const char* detail);
    void remove(int p, const char* why);
    // A record for a new peer, evicting an idle one if that is what it takes;
    // -1 when every record is held. `source`: the address of the inbound link
    // it comes from ("" for discovered/static).
    int admit(std::string_view source);
    bool evictable(int p) const;
    // A listed peer that never completed a handshake, past its probation.
    bool probation_over(const PeerRecord& r) const;
    // A dial of p failed: counts against its probation.
    void dial_failed(PeerRecord& r);
    // false to refuse a connection from `remote`; *hs_timeout: how long the
    // new link has for its handshake.
    bool make_room_for_link(LinkDirection dir, std::string_view remote, MonoMs* hs_timeout);
    void reset_retries(PeerRecord& r);

    EngineContext& ctx_;
    LinkTable& links_;
    LinkLife& life_;
    Messages& messages_;
    PeerTable table_;
    FailedAdverts failed_;  // listed peers whose probation failed
};

}  // namespace p2p
