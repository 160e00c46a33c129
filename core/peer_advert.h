// What the rendezvous tells a node about one peer (docs/protocol.md §3): the
// one type the rendezvous client (core/rendezvous_client.h) emits and the
// engine (core/node.h, Node::on_peer_advert) takes, so a runtime passes each
// advert straight through.
#pragma once
#include <cstdint>
#include <string_view>

namespace p2p {

enum class AdvertChange : std::uint8_t { kDiscovered, kUpdated, kExpired };

// Views are valid only during the call that carries the advert.
struct PeerAdvert {
    AdvertChange change = AdvertChange::kDiscovered;
    std::string_view peer_id;  // name@namespace
    std::string_view ip;
    std::uint16_t port = 0;
    std::int64_t expires_in_s = 0;
    bool address_changed = false;  // kUpdated: ip or port differ from before
    bool reregistered = false;     // kUpdated: its registration was renewed (expires_in grew)
};

}  // namespace p2p
