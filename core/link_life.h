// A link's life once it has a slot (node_link.cpp): its timer (handshake
// deadline, keep-alive, the close grace, legacy pacing), PING / PONG, BYE /
// BYE_OK, and the ways it ends — detached from its peer, closed after a BYE
// or a flush, or at once — and quit(), which ends them all.
#pragma once
#include <string_view>

#include "core/engine_context.h"
#include "core/link.h"

namespace p2p {

class Flow;
class LinkTable;
class Messages;
class PeerBook;
class Relay;

class LinkLife {
  public:
    LinkLife(EngineContext& ctx, LinkTable& links, PeerBook& peers, Messages& messages,
             Relay& relay, Flow& flow);

    void timer_fired(Link& l);

    // ---- keep-alive ----
    bool send_ping(Link& l);
    void on_ping(Link& l, const PeerMessage& m);
    void on_pong(Link& l, const PeerMessage& m);

    // ---- the end ----
    void on_bye(Link& l, const PeerMessage& m);
    void on_bye_ok(Link& l);
    // HELLO_REJECT after HELLO_OK (some deployed peers): the close that
    // follows costs no backoff.
    void on_late_reject(Link& l);
    // BYE then close once flushed (or BYE_OK when await_bye_ok), within the grace.
    void begin_close(Link& l, std::string_view bye_reason, const char* why, bool await_bye_ok,
                     bool penalize);
    // Close once what is queued (an ERROR) is written, without BYE.
    void close_after_flush(Link& l, const char* why, bool penalize);
    // Close at once: the host drops the socket, the slot is freed.
    void close_now(Link& l, const char* why, bool penalize);
    // The host reports the socket gone: free the slot.
    void release(Link& l, const char* why, bool penalize);
    // The host wrote some of `l`'s queue: a closing link whose queue is now
    // empty closes (inline: once per write).
    void flushed(Link& l) {
        if (l.out.empty() && l.state == LinkState::kClosing && !l.await_bye_ok)
            close_now(l, nullptr, false);
    }
    void quit(std::string_view reason);

  private:
    void keepalive(Link& l);
    // Stop using `l` for its peer (emits link down); the peer may go STALE.
    void detach(Link& l, const char* why, bool penalize);
    // After quit(): the host hears once that the last link is closed.
    void quit_when_closed();

    EngineContext& ctx_;
    LinkTable& links_;
    PeerBook& peers_;
    Messages& messages_;
    Relay& relay_;
    Flow& flow_;
    bool quit_done_ = false;
};

}  // namespace p2p
