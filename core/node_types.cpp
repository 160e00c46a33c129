#include "core/node_types.h"

namespace p2p {

const char* link_direction_name(LinkDirection dir) {
    return dir == LinkDirection::kOutbound ? "outbound" : "inbound";
}

const char* peer_state_name(PeerState state) {
    switch (state) {
        case PeerState::kDiscovered:
            return "DISCOVERED";
        case PeerState::kConnecting:
            return "CONNECTING";
        case PeerState::kConnected:
            return "CONNECTED";
        case PeerState::kStale:
            return "STALE";
        case PeerState::kGone:
            return "GONE";
    }
    return "?";
}

const char* link_state_name(LinkState state) {
    switch (state) {
        case LinkState::kDialing:
            return "dialing";
        case LinkState::kAwaitHelloOk:
            return "await-hello-ok";
        case LinkState::kAwaitHello:
            return "await-hello";
        case LinkState::kEstablished:
            return "established";
        case LinkState::kClosing:
            return "closing";
    }
    return "?";
}

const char* forward_kind_name(Forward kind) {
    switch (kind) {
        case Forward::kSend:
            return "SEND";
        case Forward::kPub:
            return "PUB";
        case Forward::kWhoHas:
            return "WHO_HAS";
        case Forward::kWhoHasHit:
            return "WHO_HAS_HIT";
        case Forward::kMetricsReq:
            return "METRICS_REQ";
        case Forward::kPassBack:
            return "answers";
    }
    return "?";
}

const char* forward_verdict_name(ForwardVerdict v) {
    switch (v) {
        case ForwardVerdict::kPass:
            return "admitted";
        case ForwardVerdict::kNotNegotiated:
            return "not_negotiated";
        case ForwardVerdict::kTtlExpired:
            return "ttl_expired";
        case ForwardVerdict::kOverQuota:
            return "over_quota";
    }
    return "?";
}

}  // namespace p2p
