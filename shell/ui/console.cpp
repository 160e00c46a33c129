#include "shell/ui/console_impl.h"

namespace p2p::shell {

using namespace console_detail;

void Console::Impl::simple(EventKind kind, const char* word, std::string_view text) {
    if (options.mode == ConsoleMode::kJson) {
        begin_json(word);
        field("text", text);
        finish_json();
        return;
    }
    begin_event(kind);
    if (!tty() || kind != EventKind::kInfo) {
        out.label(word);
        out.label(tty() ? ": " : " ");
    }
    out.text(text);
    finish_text();
}

// Plain and tty lines, one function per family of events (the tty form of
// messages and of our own sends is in console_chat.cpp).
void Console::Impl::text_event(const NodeEvent& ev) {
    begin_event(ev.kind);
    const bool t = tty();
    switch (ev.kind) {
        case EventKind::kMsg:
        case EventKind::kPub:
            text_message(ev);
            break;
        case EventKind::kSent:
        case EventKind::kDelivered:
        case EventKind::kAckTimeout:
        case EventKind::kUndelivered:
            text_delivery(ev);
            break;
        case EventKind::kPeer:
        case EventKind::kLink:
            text_state(ev);
            break;
        case EventKind::kWire:
            if (!t) out.label("wire ");
            out.label(ev.outgoing ? ">> " : "<< ");
            if (ev.peer_id.empty()) {
                out.label("link#");
                out.number(ev.link);
            } else {
                out.text(ev.peer_id);
            }
            out.label(" ");
            out.text(ev.line);
            break;
        case EventKind::kInfo:
        case EventKind::kMetrics:  // Console::event() renders it with metrics()
            if (!t) out.label("info ");
            out.text(ev.text);
            break;
        case EventKind::kError:
            out.label(t ? "error: " : "error ");
            out.text(ev.text);
            break;
    }
    finish_text();
}

void Console::Impl::text_message(const NodeEvent& ev) {
    if (ev.kind == EventKind::kMsg) {
        out.label("msg ");
    } else {
        out.label("pub ");
        out.text(or_dash(ev.scope));
        out.label(" ");
    }
    out.text(or_dash(ev.peer_id));
    out.label(": ");
    out.text(ev.text);
}

// What became of one of our SENDs. Plain lines name it "<msg_id> to <peer>";
// the tty form leads with the peer and puts the msg_id last.
void Console::Impl::text_delivery(const NodeEvent& ev) {
    std::string_view peer = or_dash(ev.peer_id);
    const bool t = tty();
    auto id_to_peer = [&] {
        out.text(or_dash(ev.msg_id));
        out.label(" to ");
        out.text(peer);
    };
    auto id_last = [&] {
        if (!t) return;
        out.label(" (");
        out.text(ev.msg_id);
        out.label(")");
    };
    switch (ev.kind) {
        case EventKind::kSent:
            out.label("sent ");
            id_to_peer();
            return;
        case EventKind::kDelivered:
            out.label("delivered ");
            id_to_peer();
            out.label(" (");
            out.number(ev.rtt_ms);
            out.label(" ms)");
            return;
        case EventKind::kAckTimeout:
            if (t) {
                out.label("no ACK yet from ");
                out.text(peer);
            } else {
                out.label("ack_timeout ");
                id_to_peer();
            }
            out.label(", retry ");
            out.number(ev.retry);
            out.label("/");
            out.number(ev.max_retries);
            id_last();
            return;
        default:  // kUndelivered
            if (t) {
                out.label("NOT delivered to ");
            } else {
                out.label("undelivered ");
                out.text(or_dash(ev.msg_id));
                out.label(" to ");
            }
            out.text(peer);
            out.label(": ");
            out.text(or_dash(ev.reason));
            id_last();
            return;
    }
}

void Console::Impl::text_state(const NodeEvent& ev) {
    const bool t = tty();
    if (ev.kind == EventKind::kPeer) {
        out.label("peer ");
        out.text(or_dash(ev.peer_id));
        out.label(" ");
        out.label(peer_state_name(ev.state));
        if (!ev.reason.empty()) {
            out.label(t ? " (" : " ");
            out.text(ev.reason);
            if (t) out.label(")");
        }
        return;
    }
    out.label("link ");
    out.text(or_dash(ev.peer_id));
    out.label(ev.up ? " up " : " down ");
    out.label(link_direction_name(ev.direction));
    if (!ev.reason.empty()) {
        out.label(t ? ": " : " ");
        out.text(ev.reason);
    }
}

void Console::Impl::json_event(const NodeEvent& ev) {
    begin_json(event_kind_name(ev.kind));
    switch (ev.kind) {
        case EventKind::kMsg:
            field("from", ev.peer_id);
            field("text", ev.text);
            field("msg_id", ev.msg_id);
            break;
        case EventKind::kPub:
            field("scope", ev.scope);
            field("from", ev.peer_id);
            field("text", ev.text);
            field("msg_id", ev.msg_id);
            break;
        case EventKind::kSent:
            field("msg_id", ev.msg_id);
            field("to", ev.peer_id);
            break;
        case EventKind::kDelivered:
            field("msg_id", ev.msg_id);
            field("to", ev.peer_id);
            key("rtt_ms");
            writer.Int64(ev.rtt_ms);
            break;
        case EventKind::kAckTimeout:
            field("msg_id", ev.msg_id);
            field("to", ev.peer_id);
            key("retry");
            writer.Int(ev.retry);
            key("max_retries");
            writer.Int(ev.max_retries);
            break;
        case EventKind::kUndelivered:
            field("msg_id", ev.msg_id);
            field("to", ev.peer_id);
            field("reason", ev.reason);
            break;
        case EventKind::kPeer:
            field("peer_id", ev.peer_id);
            field("state", peer_state_name(ev.state));
            if (!ev.reason.empty()) field("detail", ev.reason);
            break;
        case EventKind::kLink:
            field("peer_id", ev.peer_id);
            key("up");
            writer.Bool(ev.up);
            field("direction", link_direction_name(ev.direction));
            if (!ev.reason.empty()) field("reason", ev.reason);
            break;
        case EventKind::kWire:
            field("peer_id", ev.peer_id);
            key("link");
            writer.Uint(ev.link);
            field("direction", ev.outgoing ? "out" : "in");
            field("line", ev.line);
            break;
        case EventKind::kInfo:
        case EventKind::kError:
        case EventKind::kMetrics:  // Console::event() renders it with metrics()
            field("text", ev.text);
            break;
    }
    finish_json();
}

Console::Console(const ConsoleOptions& options, ConsoleSink& sink, const Clock& clock)
    : impl_(std::make_unique<Impl>(options, sink, clock)) {}

Console::~Console() = default;

std::size_t Console::buffer_bytes() {
    return 6 * kMaxLineBytes + 4096;
}

ConsoleMode Console::mode() const {
    return impl_->options.mode;
}

void Console::event(const NodeEvent& ev) {
    if (ev.kind == EventKind::kMetrics) {
        MetricsView m;
        m.peer_id = ev.peer_id;
        m.rtt_ms = ev.metrics_rtt_ms;
        m.sent_count = ev.metrics_sent;
        m.recv_count = ev.metrics_recv;
        m.last_seen = ev.metrics_last_seen;
        m.dropped = ev.metrics_dropped;
        metrics(m);
        return;
    }
    if (mode() == ConsoleMode::kJson) return impl_->json_event(ev);
    if (mode() == ConsoleMode::kTty) {
        switch (ev.kind) {
            case EventKind::kSent:  // outgoing() showed it, without the msg_id
                return;
            case EventKind::kDelivered:
                return impl_->delivered_event(ev);
            case EventKind::kMsg:
            case EventKind::kPub:
                return impl_->chat_event(ev);
            default:
                break;
        }
    }
    impl_->text_event(ev);
}

void Console::info(std::string_view text) {
    impl_->simple(EventKind::kInfo, "info", text);
}
void Console::error(std::string_view text) {
    impl_->simple(EventKind::kError, "error", text);
}
void Console::rendezvous(std::string_view text) {
    impl_->simple(EventKind::kPeer, "rendezvous", text);
}

}  // namespace p2p::shell
