// The forwarding admission rule, in one place (docs/protocol.md §5): every
// message the engine passes on for someone else, and every message it fans
// out to several neighbours, asks the gate first. Three questions:
//
//   negotiated(kind, from)    does `from` (and this node) take this kind at
//                             all? (the features both sides announced)
//   admit(kind, from, ...)    may a message of this kind that arrived on
//                             `from` be passed on? (ttl, then the per-link
//                             and per-origin rates; a rate counts the
//                             message, so ask once per message)
//   may_send_to(kind, from, to)  may a copy go on `to`? (never back where it
//                             came from; only to neighbours that speak it)
//
// Today the rates apply to forwarded SENDs only (over_quota); the other kinds
// pass them. Changing what is forwarded, from where, and at which rate is a
// change to this file only. Everything is inline or O(1): it is on the
// per-message path (no allocation, no virtual call).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/link.h"
#include "core/message.h"
#include "core/origin_rates.h"

namespace p2p {

enum class Forward : std::uint8_t {
    kSend,        // a SEND for another peer, relayed on toward it
    kPub,         // a PUB flooded to the neighbours in its scope (ours to all)
    kWhoHas,      // a route query: ours to the neighbours, or asked further
    kWhoHasHit,   // a route answer passed back toward the asker
    kMetricsReq,  // a metrics query to a neighbour (answered there, never passed on)
    kPassBack,    // an ACK or a RELAY_OK/RELAY_FAIL/TTL_EXPIRED passed back toward its origin
};

enum class ForwardVerdict : std::uint8_t {
    kPass,
    kNotNegotiated,  // the link, or this node (--no-relay), does not take this kind
    kTtlExpired,     // no hop left
    kOverQuota,      // the link's or the origin's rate is spent for this second
};

class ForwardGate {
  public:
    // `own_features`: what this node announced (NodeConfig::features, after
    // normalization). Rates per second; `origins`: how many origins are
    // tracked at once (OriginRates).
    ForwardGate(std::uint32_t own_features, int rate_per_link, int rate_per_origin,
                std::size_t origins)
        : own_(own_features), per_link_(rate_per_link), origins_(origins, rate_per_origin) {}

    bool relaying() const { return (own_ & kFeatureRelay) != 0; }

    bool negotiated(Forward kind, const Link& from) const {
        switch (kind) {
            case Forward::kSend:
                return relaying() && (from.features & kFeatureRelay);
            case Forward::kWhoHas:
                return (own_ & kFeatureWhoHas) && (from.features & kFeatureWhoHas);
            case Forward::kWhoHasHit:
                return (from.features & kFeatureWhoHas) != 0;
            case Forward::kMetricsReq:
                return (from.features & kFeatureMetrics) != 0;
            case Forward::kPub:       // taken from any neighbour (legacy ones flood too)
            case Forward::kPassBack:  // answers to what we passed on
                return true;
        }
        return false;
    }

    // `ttl`: as received. `origin`: the message's src (or the neighbour's
    // peer_id when it has none).
    ForwardVerdict admit(Forward kind, Link& from, int ttl, std::string_view origin, MonoMs now) {
        if (!negotiated(kind, from)) return ForwardVerdict::kNotNegotiated;
        switch (kind) {
            case Forward::kSend:
                if (ttl < 1) return ForwardVerdict::kTtlExpired;
                // Per link first: a made-up origin per message must not get a
                // fresh budget.
                if (!from.relay_rate.admit(now, per_link_) || !origins_.admit(origin, now))
                    return ForwardVerdict::kOverQuota;
                return ForwardVerdict::kPass;
            case Forward::kPub:
                if (!relaying()) return ForwardVerdict::kNotNegotiated;
                return ttl < 1 ? ForwardVerdict::kTtlExpired : ForwardVerdict::kPass;
            case Forward::kWhoHas:
                // The copy asked further must still be able to reach a neighbour.
                if (!relaying()) return ForwardVerdict::kNotNegotiated;
                return ttl < 2 ? ForwardVerdict::kTtlExpired : ForwardVerdict::kPass;
            case Forward::kMetricsReq:
                return ForwardVerdict::kTtlExpired;  // one hop: answered, never passed on
            case Forward::kWhoHasHit:
            case Forward::kPassBack:
                return ForwardVerdict::kPass;
        }
        return ForwardVerdict::kNotNegotiated;
    }

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

    // Origins whose rate is tracked right now (tests).
    std::size_t tracked_origins() const { return origins_.size(); }

  private:
    std::uint32_t own_;
    int per_link_;
    OriginRates origins_;
};

}  // namespace p2p
