// The handshake (docs/protocol.md §4 "Handshake", "Duplicate links", "Living
// with peers..."; node_handshake.cpp): our HELLO on a dialed link, HELLO /
// HELLO_OK / HELLO_REJECT before a link is established, the GREASE echo
// check, and the rule for a second link to a peer. Owns our GREASE token.
#pragma once
#include <string>

#include "core/engine_context.h"
#include "core/link.h"

namespace p2p {

class LinkLife;
class LinkTable;
class Messages;
class PeerBook;

class Handshake {
  public:
    // Draws the GREASE token from ctx.rng.
    Handshake(EngineContext& ctx, LinkTable& links, PeerBook& peers, LinkLife& life,
              Messages& messages);

    // An outbound link connected: HELLO.
    void on_connected(Link& l);
    // A line on a link still in its handshake.
    void on_message(Link& l, const PeerMessage& m);

  private:
    bool accept_hello(Link& l, const PeerMessage& m);
    bool secure(Link& l, bool initiator);
    void establish(Link& l, int peer);
    void take_handshake(Link& l, const PeerMessage& m);
    bool echoes_us(Link& l, const PeerMessage& m);
    bool refuse_duplicate(Link& l, int peer);

    EngineContext& ctx_;
    LinkTable& links_;
    PeerBook& peers_;
    LinkLife& life_;
    Messages& messages_;
    std::string grease_;  // our GREASE feature token (docs/protocol.md §4)
};

}  // namespace p2p
