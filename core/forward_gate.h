// The forwarding admission rule, in one place (docs/protocol.md §5
// "Admission"): every message the engine passes on for someone else, every
// message it fans out to several neighbours, and every answer a neighbour
// may ask for at will, asks the gate first. Three questions:
//
//   negotiated(kind, from)    does `from` (and this node) take this kind at
//                             all? (the features both sides announced)
//   admit(kind, from, ...)    may a message of this kind that arrived on
//                             `from` be passed on (or answered)? The
//                             feature, then the ttl, then the link's token
//                             bucket, then the origin's. A bucket counts the
//                             message, so ask once per message; every answer
//                             is counted (counts(), shown by /routes).
//   may_send_to(kind, from, to)  may a copy go on `to`? (never back where it
//                             came from; only to neighbours that speak it)
//   next_ttl(ttl)             the ttl a forwarded copy carries: one less than
//                             the received ttl clamped to --relay-ttl, so no
//                             neighbour can buy more hops than this node
//                             gives its own messages.
//
// Rated (one bucket per link for all kinds, one per origin): SEND, PUB,
// WHO_HAS, WHO_HAS_HIT and METRICS_REQ. Answers to what we passed on
// (kPassBack) are not: each follows one message that was. Changing what is
// forwarded, from where, and at which rate is a change to this file only.
// Everything is inline or O(1): it is on the per-message path (no
// allocation, no virtual call).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/link.h"
#include "core/message.h"
#include "core/node_types.h"
#include "core/origin_rates.h"

namespace p2p {

class ForwardGate {
  public:
    // `own_features`: what this node announced (NodeConfig::features, after
    // normalization). `max_ttl`: --relay-ttl. Rates per second (the burst is
    // one second's worth); `origins`: how many origins are tracked at once.
    ForwardGate(std::uint32_t own_features, int max_ttl, int rate_per_link, int rate_per_origin,
                std::size_t origins)
        : own_(own_features),
          max_ttl_(std::max(max_ttl, 1)),
          per_link_(std::max(rate_per_link, 1)),
          origins_(origins, rate_per_origin) {}

    bool relaying() const { return (own_ & kFeatureRelay) != 0; }

    bool negotiated(Forward kind, const Link& from) const {
        switch (kind) {
            case Forward::kSend:
            case Forward::kPub:  // a legacy neighbour's PUB is shown, never passed on
                return relaying() && (from.features & kFeatureRelay);
            case Forward::kWhoHas:
                return relaying() && (own_ & kFeatureWhoHas) && (from.features & kFeatureWhoHas);
            case Forward::kWhoHasHit:
                return (from.features & kFeatureWhoHas) != 0;
            case Forward::kMetricsReq:
                return (from.features & kFeatureMetrics) != 0;
            case Forward::kPassBack:  // answers to what we passed on
                return true;
        }
        return false;
    }

    // `ttl`: as received. `origin`: the message's src (or the neighbour's
    // peer_id when it has none).
    ForwardVerdict admit(Forward kind, Link& from, int ttl, std::string_view origin, MonoMs now) {
        ForwardVerdict v = decide(kind, from, ttl, origin, now);
        ++counts_.n[static_cast<std::size_t>(kind)][static_cast<std::size_t>(v)];
        return v;
    }

    // The ttl a forwarded copy of a message received with `ttl` carries.
    int next_ttl(int ttl) const { return std::min(ttl, max_ttl_) - 1; }

    // `from`: the link the message came in on; nullptr for our own.
    bool may_send_to(Forward kind, const Link* from, const Link& to) const {
        if (&to == from) return false;  // never back where it came from
        switch (kind) {
            case Forward::kPub:
                // Relayed PUBs go only to relay neighbours: legacy peers do not
                // deduplicate and may already have it from its origin. Ours go
                // to every neighbour in scope.
                return from == nullptr || (to.features & kFeatureRelay);
            case Forward::kWhoHas:
                return (to.features & kFeatureWhoHas) != 0;
            case Forward::kMetricsReq:
                return (to.features & kFeatureMetrics) != 0;
            case Forward::kSend:
            case Forward::kWhoHasHit:
            case Forward::kPassBack:
                return true;
        }
        return false;
    }

    const ForwardCounts& counts() const { return counts_; }
    // Origins whose bucket is tracked right now (tests).
    std::size_t tracked_origins() const { return origins_.size(); }

  private:
    ForwardVerdict decide(Forward kind, Link& from, int ttl, std::string_view origin, MonoMs now) {
        if (!negotiated(kind, from)) return ForwardVerdict::kNotNegotiated;
        int hops = std::min(ttl, max_ttl_);
        switch (kind) {
            case Forward::kSend:
            case Forward::kPub:
                if (hops < 1) return ForwardVerdict::kTtlExpired;
                break;
            case Forward::kWhoHas:
                // The copy asked further must still be able to reach a neighbour.
                if (hops < 2) return ForwardVerdict::kTtlExpired;
                break;
            case Forward::kWhoHasHit:
            case Forward::kMetricsReq:  // one hop: answered here, so no ttl rule
                break;
            case Forward::kPassBack:
                return ForwardVerdict::kPass;
        }
        // Per link first: a made-up origin per message must not get a fresh
        // bucket, and a refused message does not spend its origin's tokens.
        if (!from.relay_rate.admit(now, per_link_) || !origins_.admit(origin, now))
            return ForwardVerdict::kOverQuota;
        return ForwardVerdict::kPass;
    }

    std::uint32_t own_;
    int max_ttl_;
    int per_link_;
    OriginRates origins_;
    ForwardCounts counts_;
};

}  // namespace p2p
