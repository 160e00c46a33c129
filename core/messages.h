// Messages and acks: chat traffic (SEND / ACK with retransmission, PUB,
// ERROR naming one of ours) and the user commands that originate it
// (node_messages.cpp). Owns the pending SENDs awaiting
// their ACK, the user queue's byte count and the seen-msg_id cache; asks the
// relay for routes and hands it what is for someone else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/engine_context.h"
#include "core/link.h"
#include "core/pending_acks.h"
#include "core/seen_cache.h"

namespace p2p {

class LinkTable;
class PeerBook;
class Relay;

class Messages {
  public:
    Messages(EngineContext& ctx, LinkTable& links, PeerBook& peers, Relay& relay);

    // ---- incoming, on an established link ----
    void on_send(Link& l, const PeerMessage& m);
    void on_ack(Link& l, const PeerMessage& m);
    void on_pub(Link& l, const PeerMessage& m);
    void on_error(Link& l, const PeerMessage& m);

    // ---- the pending SENDs ----
    std::size_t capacity() const { return pending_.capacity(); }
    bool has_pending(int peer) const { return next_pending_of(peer, -1) >= 0; }
    // Queues the peer's next SENDs on its link, as far as its window allows.
    void flush(int peer);
    // The host wrote lines of `l`: the direct SENDs among them start their ACK clock.
    void written(Link& l);
    void timer_fired(int k);
    bool timer_live(int k) const { return pending_.at(k).used; }
    // The peer is lost for good: its direct SENDs end undelivered.
    void fail_waiting(int peer, std::string_view reason);
    // The peer's link is gone for now: what waited its turn goes on the ACK clock.
    void put_waiting_on_clock(int peer, MonoMs t);
    // The record goes: its SENDs fail, routed ones live on without it.
    void forget_peer(int peer);
    // A relay failure (RELAY_FAIL, TTL_EXPIRED) for our SEND `msg_id` sent
    // on `via`: ends it. False when it is not ours.
    bool fail_routed(std::string_view msg_id, LinkId via, std::string_view reason);
    // A route to `dst` was learnt: the SENDs waiting for one go.
    void flush_routed(std::string_view dst);
    // Records that `origin` sent `msg_id`, which came in on `from` (nullptr:
    // ours); true when it had been seen before (a loop or a duplicate copy).
    bool already_seen(std::string_view origin, std::string_view msg_id, const Link* from);

    // ---- user commands ----
    SendResult send(std::string_view dst, std::string_view text);
    SendResult pub(std::string_view scope, std::string_view text);
    std::size_t user_bytes() const { return user_bytes_; }
    bool user_queue_has_room() const;

  private:
    int next_pending_of(int peer, int after) const;
    bool transmit(int k);  // queue a copy of pending SEND k
    bool needs_copy(const PendingSend& ps) const;
    void finish(int k, bool delivered, std::string_view reason);
    void set_clock(int k, MonoMs deadline);
    void emit_undelivered(std::string_view msg_id, std::string_view to, std::string_view reason);

    EngineContext& ctx_;
    LinkTable& links_;
    PeerBook& peers_;
    Relay& relay_;
    PendingAcks pending_;
    SeenCache seen_;
    std::size_t user_bytes_ = 0;  // charged by the user's SENDs (PendingAcks::charge)
    std::uint64_t seq_ = 0;
};

}  // namespace p2p
