// Inbound: from bytes to the part that handles each message.
#include "core/inbound.h"

#include "core/handshake.h"
#include "core/link_life.h"
#include "core/link_table.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/messages.h"
#include "core/peer_book.h"
#include "core/relay.h"

namespace p2p {

Inbound::Inbound(EngineContext& ctx, LinkTable& links, PeerBook& peers, Handshake& handshake,
                 LinkLife& life, Messages& messages, Relay& relay)
    : ctx_(ctx),
      links_(links),
      peers_(peers),
      handshake_(handshake),
      life_(life),
      messages_(messages),
      relay_(relay) {}

void Inbound::feed(Link& l, char* data, std::size_t len) {
    LinkId id = l.id;
    links_.feed(l, data, len, [&](LineFramer::Event ev, char* line, std::size_t n) {
        on_framed(l, id, ev, line, n);
    });
    if (l.used && l.id == id && l.upgrade_cut) {
        // The peer sends nothing after its HELLO / HELLO_OK until the handshake's turn
        // (docs/protocol.md §8): half a line here is a peer that does not follow it.
        l.upgrade_cut = false;
        if (l.framer.buffered() > 0)
            life_.close_now(l, "bytes after the line that secured it", true);
    }
}

void Inbound::release_held(Link& l) {
    LinkId id = l.id;
    links_.release_held(
        l, [&](LineFramer::Event ev, char* line, std::size_t n) { on_framed(l, id, ev, line, n); });
}

void Inbound::on_framed(Link& l, LinkId id, LineFramer::Event ev, char* line, std::size_t n) {
    if (!l.used || l.id != id) return;  // closed by an earlier line of this read
    if (l.upgrade_cut) {
        // A line after the one that secured the link, in the same read: the secured
        // channel's bytes, not plaintext lines.
        life_.close_now(l, "plaintext after the line that secured it", true);
        return;
    }
    if (ev == LineFramer::Event::kTooLong) {
        ++ctx_.stats.bad_lines;
        links_.send_error(l, "line_too_long", {}, {});
        if (handshaking(l)) life_.close_after_flush(l, "line too long before handshake", true);
        return;
    }
    handle_line(l, line, n);
}

void Inbound::handle_line(Link& l, char* line, std::size_t len) {
    if (len == 0) return;  // empty lines are ignored on peer links
    ++ctx_.stats.lines_in;
    if (l.peer >= 0 && l.state == LinkState::kEstablished) {
        PeerRecord& r = peers_.at(l.peer);
        ++r.recv;
        r.last_seen = ctx_.now();
        ++l.lines_in;
    }
    if (ctx_.watch) links_.emit_wire(l, std::string_view(line, len), false);
    PeerMessage m;
    DecodeResult d = decode_peer_message(line, len, ctx_.arena, m);
    if (!d.ok()) {
        ++ctx_.stats.bad_lines;
        P2P_DEBUG("Link", "%s: bad line: %.*s", l.remote, static_cast<int>(d.detail.size()),
                  d.detail.data());
        links_.send_error(l, "bad_format", {}, d.detail);
        if (handshaking(l)) life_.close_after_flush(l, "bad line before handshake", true);
        return;
    }
    if (handshaking(l))
        handshake_.on_message(l, m);
    else
        dispatch(l, m);
}

void Inbound::dispatch(Link& l, const PeerMessage& m) {
    switch (m.type) {
        case MsgType::kPing:
            life_.on_ping(l, m);
            return;
        case MsgType::kPong:
            life_.on_pong(l, m);
            return;
        case MsgType::kSend:
            messages_.on_send(l, m);
            return;
        case MsgType::kAck:
            messages_.on_ack(l, m);
            return;
        case MsgType::kPub:
            messages_.on_pub(l, m);
            return;
        case MsgType::kBye:
            life_.on_bye(l, m);
            return;
        case MsgType::kByeOk:
            life_.on_bye_ok(l);
            return;
        case MsgType::kError:
            messages_.on_error(l, m);
            return;
        case MsgType::kHelloReject:
            life_.on_late_reject(l);
            return;
        case MsgType::kHello:
        case MsgType::kHelloOk:
            P2P_DEBUG("Link", "%s: repeated handshake ignored", l.remote);
            return;
        case MsgType::kWhoHas:
            relay_.on_who_has(l, m);
            return;
        case MsgType::kWhoHasHit:
            relay_.on_who_has_hit(l, m);
            return;
        case MsgType::kRelayOk:
        case MsgType::kRelayFail:
        case MsgType::kTtlExpired:
            relay_.on_relay_answer(l, m);
            return;
        case MsgType::kMetricsReq:
            relay_.on_metrics_req(l, m);
            return;
        case MsgType::kMetrics:
            relay_.on_metrics(l, m);
            return;
        case MsgType::kUnknown:
            ++ctx_.stats.bad_lines;
            links_.send_error(l, "p2p_unknown_command", m.msg_id, m.type_name);
            return;
    }
}

}  // namespace p2p
