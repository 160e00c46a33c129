// The Node's wiring (not part of the API): the engine's parts, each owning
// its state behind its own interface, constructed with references to the
// parts it calls (docs/architecture.md "core/"). Only node.cpp reaches in
// here, to route the host's calls to the part that handles them.
#pragma once
#include "core/engine_context.h"
#include "core/flow.h"
#include "core/handshake.h"
#include "core/inbound.h"
#include "core/link_life.h"
#include "core/link_table.h"
#include "core/messages.h"
#include "core/node.h"
#include "core/peer_book.h"
#include "core/relay.h"

namespace p2p {

struct Node::Impl {
    Impl(const NodeConfig& config, const Clock& clock, NodeHost& host)
        : ctx(normalized(config), clock, host),
          links(ctx, peers),
          peers(ctx, links, life, messages),
          messages(ctx, links, peers, relay),
          relay(ctx, links, peers, flow, messages),
          flow(ctx, links, peers, inbound),
          life(ctx, links, peers, messages, relay, flow),
          handshake(ctx, links, peers, life, messages),
          inbound(ctx, links, peers, handshake, life, messages, relay) {}

    // Declared (so constructed) in this order; a part may hold a reference
    // to one declared after it, but no constructor calls into another part.
    EngineContext ctx;
    LinkTable links;
    PeerBook peers;
    Messages messages;
    Relay relay;
    Flow flow;
    LinkLife life;
    Handshake handshake;  // draws the GREASE token: the first use of ctx.rng
    Inbound inbound;
};

}  // namespace p2p
