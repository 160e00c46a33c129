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

}  // namespace p2p
