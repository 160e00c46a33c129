// The way in (node_inbound.cpp): bytes read on a link are framed into lines,
// counted, shown to /watch, decoded in place, and each message is handed to
// the part that owns its type — the handshake before a link is established,
// then keep-alive and BYE (LinkLife), chat traffic (Messages), relay traffic
// (Relay). A plain switch: no table of callbacks on the per-message path.
#pragma once
#include <cstddef>

#include "core/engine_context.h"
#include "core/link.h"

namespace p2p {

class Handshake;
class LinkLife;
class LinkTable;
class Messages;
class PeerBook;
class Relay;

class Inbound {
  public:
    Inbound(EngineContext& ctx, LinkTable& links, PeerBook& peers, Handshake& handshake,
            LinkLife& life, Messages& messages, Relay& relay);

    // Bytes the host read on `l` (Node::on_bytes).
    void feed(Link& l, char* data, std::size_t len);
    // The lines `l` held while its reading was paused (Flow).
    void release_held(Link& l);

  private:
    void on_framed(Link& l, LinkId id, LineFramer::Event ev, char* line, std::size_t n);
    void handle_line(Link& l, char* line, std::size_t len);
    void dispatch(Link& l, const PeerMessage& m);

    EngineContext& ctx_;
    LinkTable& links_;
    PeerBook& peers_;
    Handshake& handshake_;
    LinkLife& life_;
    Messages& messages_;
    Relay& relay_;
};

}  // namespace p2p
