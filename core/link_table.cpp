// The link table: slots, framers, queues and each link's timer.
#include "core/link_table.h"

#include <algorithm>
#include <cstring>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/peer_book.h"

namespace p2p {

namespace {
constexpr std::uint32_t kSlotBits = 20;
constexpr std::uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr std::uint16_t kGenMask = 0xFFF;
}  // namespace

LinkTable::LinkTable(EngineContext& ctx, PeerBook& peers)
    : ctx_(ctx),
      peers_(peers),
      partials_(new char[ctx.cfg.max_links * LineFramer::kPartialBytes]),
      links_(ctx.cfg.max_links) {
    for (std::size_t i = 0; i < links_.size(); ++i)
        links_[i].framer = LineFramer(partials_.get() + i * LineFramer::kPartialBytes);
    free_.reserve(links_.size());
    for (std::size_t i = links_.size(); i-- > 0;)
        free_.push_back(static_cast<int>(i));
}

Link* LinkTable::find(LinkId id) {
    return const_cast<Link*>(static_cast<const LinkTable*>(this)->find(id));
}

const Link* LinkTable::find(LinkId id) const {
    if (id == kNoLink) return nullptr;
    std::size_t slot = (id & kSlotMask) - 1;
    if (slot >= links_.size()) return nullptr;
    const Link& l = at(slot);
    return (l.used && l.id == id) ? &l : nullptr;
}

Link* LinkTable::take(LinkDirection dir, std::string_view remote, MonoMs hs_timeout) {
    if (free_.empty()) return nullptr;
    int slot = free_.back();
    free_.pop_back();
    Link& l = at(static_cast<std::size_t>(slot));
    l.gen = static_cast<std::uint16_t>((l.gen + 1) & kGenMask);
    if (l.gen == 0) l.gen = 1;
    l.id = (static_cast<LinkId>(l.gen) << kSlotBits) | static_cast<LinkId>(slot + 1);
    l.used = true;
    l.state = dir == LinkDirection::kOutbound ? LinkState::kDialing : LinkState::kAwaitHello;
    l.dir = dir;
    l.peer = -1;
    std::size_t n = std::min(remote.size(), sizeof l.remote - 1);
    std::memcpy(l.remote, remote.data(), n);
    l.remote[n] = '\0';
    l.remote_len = static_cast<std::uint8_t>(n);
    l.framer.reset();
    l.lines_queued = 0;
    l.lines_written = 0;
    l.write_ready_at = 0;
    // The handshake's fields.
    l.version[0] = '\0';
    l.features = 0;
    l.legacy = true;
    l.echo = false;
    l.upgrade_cut = false;
    l.opened_at = ctx_.now();
    l.established_at = 0;
    l.hs_deadline = ctx_.now() + hs_timeout;
    l.probe_deadline = 0;
    // Keep-alive and close.
    l.detached = false;
    l.await_bye_ok = false;
    l.got_reject = false;
    l.next_ping = 0;
    l.close_deadline = 0;
    l.lines_in = 0;
    l.missed = 0;
    l.ping_postponed = false;
    for (Link::Ping& p : l.pings)
        p = Link::Ping{0, 0};
    l.ping_next = 0;
    // Backpressure and the forwarding gate.
    l.read_paused = false;
    l.blocked_by = kNoLink;
    l.resume_at = 0;
    l.full_since = 0;
    l.slow = false;
    l.dropped = 0;
    l.relay_rate.reset();
    ++open_;
    return &l;
}

void LinkTable::free(Link& l) {
    std::size_t slot = slot_of(l);
    ctx_.timers.clear(ctx_.slots.link(slot));
    l.out.clear(ctx_.pool);
    l.framer.reset();
    l.used = false;
    --open_;
    // A slot freed while its own bytes are being parsed is recycled only
    // after feed() returns, so the framer is never reused mid-parse.
    if (feeding_slot_ == static_cast<int>(slot))
        feeding_released_ = true;
    else
        free_.push_back(static_cast<int>(slot));
}

void LinkTable::rearm(Link& l) {
    std::size_t slot = slot_of(l);
    MonoMs t = Node::kNoDeadline;
    if (handshaking(l)) t = std::min(t, l.hs_deadline);
    if (l.state == LinkState::kEstablished) t = std::min(t, l.next_ping);
    if (l.state == LinkState::kClosing) t = std::min(t, l.close_deadline);
    if (l.legacy && !l.out.empty() && l.write_ready_at > ctx_.now())
        t = std::min(t, l.write_ready_at);
    if (l.probe_deadline != 0) t = std::min(t, l.probe_deadline);
    if (l.read_paused) t = std::min(t, l.resume_at);
    if (t == Node::kNoDeadline)
        ctx_.timers.clear(ctx_.slots.link(slot));
    else
        ctx_.timers.set(ctx_.slots.link(slot), t);
}

// Data stops 4 KiB and up to 16 messages short of the queue's end, so control
// messages (PONG, ACK, BYE, errors) always find room.
OutQueue::Limits LinkTable::data_limits() const {
    const NodeConfig& cfg = ctx_.cfg;
    OutQueue::Limits lim{cfg.queue_max_bytes, cfg.queue_max_msgs};
    lim.max_bytes -= std::min(lim.max_bytes, cfg.control_reserve_bytes);
    lim.max_msgs -= std::min<std::size_t>(lim.max_msgs / 8, 16);
    return lim;
}

bool LinkTable::queue_line(Link& l, const char* line, std::size_t len, bool control) {
    OutQueue::Limits lim = control
                               ? OutQueue::Limits{ctx_.cfg.queue_max_bytes, ctx_.cfg.queue_max_msgs}
                               : data_limits();
    if (!l.out.push(ctx_.pool, line, len, lim)) {
        if (control) {
            ++ctx_.stats.dropped_out;
            P2P_WARN_LIMITED("Link", "control messages dropped (outgoing queue full)",
                             l.remote_view(), "%s: outgoing queue full, control message dropped",
                             l.remote);
        }
        return false;
    }
    ++ctx_.stats.lines_out;
    ++l.lines_queued;
    if (l.peer >= 0) ++peers_.at(l.peer).sent;
    if (ctx_.watch) emit_wire(l, std::string_view(line, len > 0 ? len - 1 : 0), true);
    signal_write(l);
    return true;
}

bool LinkTable::queue_msg(Link& l, const PeerMessage& m, bool control) {
    std::size_t n = encode_peer_message(m, ctx_.scratch.get(), EngineContext::kScratchBytes);
    if (n == 0 || n > kMaxLineBytes + 1) {
        P2P_ERROR("Link", "could not encode a %s line", msg_type_name(m.type).data());
        return false;
    }
    return queue_line(l, ctx_.scratch.get(), n, control);
}

void LinkTable::send_error(Link& l, std::string_view code, std::string_view ref,
                           std::string_view detail) {
    PeerMessage e;
    e.type = MsgType::kError;
    e.error = code;
    e.ref = ref;
    e.detail = detail;
    if (code == "line_too_long") e.limit = static_cast<std::int64_t>(kMaxLineBytes);
    e.ttl = 1;
    queue_msg(l, e, true);
}

void LinkTable::signal_write(Link& l) {
    if (l.state == LinkState::kDialing) return;
    if (l.legacy && ctx_.now() < l.write_ready_at) {
        rearm(l);
        return;
    }
    ctx_.host.want_write(l.id);
}

void LinkTable::emit_link(const Link& l, bool up, std::string_view reason) {
    NodeEvent ev;
    ev.kind = EventKind::kLink;
    ev.link = l.id;
    ev.up = up;
    ev.direction = l.dir;
    ev.reason = reason;
    if (l.peer >= 0) ev.peer_id = peers_.at(l.peer).peer_id();
    ctx_.emit(ev);
}

void LinkTable::emit_wire(const Link& l, std::string_view line, bool outgoing) {
    NodeEvent ev;
    ev.kind = EventKind::kWire;
    ev.link = l.id;
    ev.direction = l.dir;
    ev.outgoing = outgoing;
    if (l.peer >= 0) ev.peer_id = peers_.at(l.peer).peer_id();
    ev.line = line;
    ctx_.emit(ev);
}

}  // namespace p2p
