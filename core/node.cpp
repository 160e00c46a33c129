// Node: the host-facing entry points, each routed to the part of the engine
// that handles it (node_impl.h), the timer dispatch, and the views.
#include "core/node.h"

#include <algorithm>
#include <cstdio>

#include "core/log.h"
#include "core/log_throttle.h"
#include "core/node_impl.h"

namespace p2p {

const char* event_kind_name(EventKind kind) {
    switch (kind) {
        case EventKind::kMsg:
            return "msg";
        case EventKind::kPub:
            return "pub";
        case EventKind::kSent:
            return "sent";
        case EventKind::kDelivered:
            return "delivered";
        case EventKind::kAckTimeout:
            return "ack_timeout";
        case EventKind::kUndelivered:
            return "undelivered";
        case EventKind::kPeer:
            return "peer";
        case EventKind::kLink:
            return "link";
        case EventKind::kInfo:
            return "info";
        case EventKind::kError:
            return "error";
        case EventKind::kWire:
            return "wire";
        case EventKind::kMetrics:
            return "metrics";
    }
    return "?";
}

const char* send_status_name(SendStatus status) {
    switch (status) {
        case SendStatus::kQueued:
            return "queued";
        case SendStatus::kNoRoute:
            return "no_route";
        case SendStatus::kTooLarge:
            return "message_too_large";
        case SendStatus::kBusy:
            return "busy";
        case SendStatus::kBadDestination:
            return "bad_destination";
        case SendStatus::kShuttingDown:
            return "shutting_down";
    }
    return "?";
}

Node::Node(const NodeConfig& config, const Clock& clock, NodeHost& host)
    : impl_(std::make_unique<Impl>(config, clock, host)) {}

// Out of line: Impl is complete only here.
Node::~Node() = default;

std::string_view Node::self_id() const {
    return impl_->ctx.self;
}
const NodeConfig& Node::config() const {
    return impl_->ctx.cfg;
}

void Node::set_ping_interval(MonoMs ms) {
    impl_->ctx.cfg.ping_interval_ms = ms > 0 ? ms : 30'000;
}

void Node::set_relay_share(int percent) {
    impl_->ctx.cfg.relay_share_percent = std::clamp(percent, 1, 100);
}

// ---- links -----------------------------------------------------------------------

LinkId Node::on_link_accepted(std::string_view remote_ip, std::uint16_t remote_port) {
    Impl& n = *impl_;
    if (n.ctx.quitting) return kNoLink;
    char remote[80];
    int len = std::snprintf(remote, sizeof remote, "%.*s:%u",
                            static_cast<int>(std::min<std::size_t>(remote_ip.size(), 64)),
                            remote_ip.data(), static_cast<unsigned>(remote_port));
    Link* l =
        n.peers.admit_link(LinkDirection::kInbound, std::string_view(remote, std::size_t(len)));
    if (!l) {
        P2P_WARN_LIMITED("Link", "connections refused (no slot for them)", remote_ip,
                         "refusing %s: too many connections from it or in all", remote);
        return kNoLink;
    }
    l->state = LinkState::kAwaitHello;
    n.links.rearm(*l);  // admission set the handshake deadline (shorter under pressure)
    P2P_DEBUG("Link", "accepted %s", remote);
    return l->id;
}

void Node::on_link_connected(LinkId id) {
    Impl& n = *impl_;
    Link* l = n.links.find(id);
    if (!l || l->state != LinkState::kDialing) return;
    n.handshake.on_connected(*l);
}

void Node::on_bytes(LinkId id, char* data, std::size_t len) {
    Impl& n = *impl_;
    Link* l = n.links.find(id);
    if (!l) return;
    n.inbound.feed(*l, data, len);
}

std::size_t Node::read_room(LinkId id) const {
    return impl_->flow.read_room(impl_->links.find(id));
}

void Node::on_link_down(LinkId id, LinkDownReason reason, std::string_view cause) {
    Impl& n = *impl_;
    Link* l = n.links.find(id);
    if (!l) return;
    const char* why = reason == LinkDownReason::kConnectFailed  ? "connect failed"
                      : reason == LinkDownReason::kClosedByPeer ? "closed by peer"
                                                                : "link error";
    char with_cause[128];  // "connect failed: Connection refused"
    if (!cause.empty()) {
        std::snprintf(with_cause, sizeof with_cause, "%s: %.*s", why,
                      static_cast<int>(std::min<std::size_t>(cause.size(), 96)), cause.data());
        why = with_cause;
    }
    // A close after HELLO_REJECT means "already connected": no penalty.
    n.life.release(*l, l->got_reject ? "rejected: already connected" : why, !l->got_reject);
}

std::size_t Node::output(LinkId id, OutSlice* slices, std::size_t max) {
    Link* l = impl_->links.find(id);
    return l ? impl_->links.output(*l, slices, max) : 0;
}

void Node::consumed(LinkId id, std::size_t bytes) {
    Impl& n = *impl_;
    Link* l = n.links.find(id);
    if (!l) return;
    std::size_t msgs = n.links.consumed(*l, bytes);
    if (msgs > 0 && l->peer >= 0 && l->state == LinkState::kEstablished) {
        // SENDs just written start their ACK clock; room on the link lets
        // the next queued ones go.
        n.messages.written(*l);
        if (n.peers.at(l->peer).link == l->id) n.messages.flush(l->peer);
    }
    LinkId before = l->id;
    n.flow.drained(*l);  // links it paused may read again
    if (!l->used || l->id != before) return;
    n.life.flushed(*l);
}

// ---- time --------------------------------------------------------------------------

MonoMs Node::next_deadline() const {
    const TimerHeap& timers = impl_->ctx.timers;
    return timers.empty() ? kNoDeadline : timers.top_time();
}

void Node::on_timer() {
    Impl& n = *impl_;
    TimerHeap& timers = n.ctx.timers;
    MonoMs now = n.ctx.now();
    // Each handler re-arms its slot in the future or clears it, so this ends.
    while (!timers.empty() && timers.top_time() <= now) {
        std::size_t slot = timers.top_slot();
        timers.clear(slot);
        int i = 0;
        switch (n.ctx.slots.owner(slot, &i)) {
            case TimerSlots::Owner::kLink:
                if (Link& l = n.links.at(std::size_t(i)); l.used) n.life.timer_fired(l);
                break;
            case TimerSlots::Owner::kPeer:
                if (n.peers.at(i).used) n.peers.timer_fired(i);
                break;
            case TimerSlots::Owner::kPending:
                if (n.messages.timer_live(i)) n.messages.timer_fired(i);
                break;
        }
    }
}

// ---- peers and user commands ---------------------------------------------------------

void Node::on_peer_advert(const PeerAdvert& advert) {
    impl_->peers.on_advert(advert);
}
bool Node::wants_advert(const PeerAdvert& advert) const {
    return impl_->peers.wants(advert);
}
bool Node::add_static_peer(std::string_view host, std::uint16_t port) {
    return impl_->peers.add_static(host, port);
}
bool Node::connect_peer(std::string_view peer_id) {
    return impl_->peers.connect(peer_id);
}
void Node::reconnect_all() {
    impl_->peers.reconnect_all();
}

SendResult Node::send(std::string_view dst_peer_id, std::string_view text) {
    return impl_->messages.send(dst_peer_id, text);
}
SendResult Node::pub(std::string_view scope, std::string_view text) {
    return impl_->messages.pub(scope, text);
}
std::size_t Node::user_queue_bytes() const {
    return impl_->messages.user_bytes();
}
bool Node::user_queue_has_room() const {
    return impl_->messages.user_queue_has_room();
}
bool Node::request_metrics(std::string_view peer_id) {
    return impl_->relay.request_metrics(peer_id);
}

void Node::set_watch(bool on) {
    impl_->ctx.watch = on;
}
bool Node::watching() const {
    return impl_->ctx.watch;
}
bool Node::quitting() const {
    return impl_->ctx.quitting;
}
void Node::quit(std::string_view reason) {
    impl_->life.quit(reason);
}
const ForwardCounts& Node::forward_counts() const {
    return impl_->relay.gate().counts();
}

const Node::Stats& Node::stats() const {
    impl_->ctx.stats.decode_overflow = impl_->ctx.arena.overflowed() ? 1 : 0;
    return impl_->ctx.stats;
}

// ---- views ---------------------------------------------------------------------------

std::size_t Node::peer_slots() const {
    return impl_->peers.capacity();
}
std::size_t Node::peer_count() const {
    return impl_->peers.size();
}
std::size_t Node::link_slots() const {
    return impl_->links.size();
}
std::size_t Node::link_count() const {
    return impl_->links.open();
}
std::size_t Node::route_slots() const {
    return impl_->relay.route_slots();
}
bool Node::route_view(std::size_t slot, RouteView& out) const {
    return impl_->relay.route_view(slot, out);
}

bool Node::peer_view(std::size_t slot, PeerView& out) const {
    const Impl& n = *impl_;
    if (slot >= n.peers.capacity()) return false;
    const PeerRecord& r = n.peers.at(static_cast<int>(slot));
    if (!r.used) return false;
    out = PeerView{};
    out.peer_id = r.peer_id();
    out.ns = r.ns();
    out.host = r.dial_host();
    out.port = r.port;
    out.state = r.state;
    out.is_static = r.is_static;
    out.said_bye = r.said_bye;
    out.link = r.link;
    if (const Link* l = n.links.find(r.link)) out.direction = l->dir;
    out.rtt_mean_ms = r.rtt_mean();
    out.rtt_count = r.rtt_count;
    out.last_rtt_ms = r.last_rtt;
    out.reconnect_attempts = r.attempts;
    out.next_attempt_at = r.next_attempt;
    out.sent_count = r.sent;
    out.recv_count = r.recv;
    out.last_seen = r.last_seen;
    return true;
}

bool Node::link_view(std::size_t slot, LinkView& out) const {
    const Impl& n = *impl_;
    if (slot >= n.links.size()) return false;
    const Link& l = n.links.at(slot);
    if (!l.used) return false;
    out = LinkView{};
    out.id = l.id;
    if (l.peer >= 0) out.peer_id = n.peers.at(l.peer).peer_id();
    out.remote = l.remote_view();
    out.direction = l.dir;
    out.state = l.state;
    out.features = l.features;
    out.legacy = l.legacy;
    out.active = l.peer >= 0 && n.peers.at(l.peer).link == l.id;
    out.queued_bytes = l.out.bytes();
    out.queued_msgs = l.out.msgs();
    out.missed_pongs = l.missed;
    out.established_at = l.established_at;
    out.reading_paused = l.read_paused;
    out.slow_reader = l.slow;
    out.dropped = l.dropped;
    return true;
}

}  // namespace p2p
