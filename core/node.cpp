// Node: construction, the host-facing entry points, timers and views. The
// protocol logic lives in node_link.cpp, node_peers.cpp and node_messages.cpp.
#include "core/node.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

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

namespace {

NodeConfig normalized(NodeConfig c) {
    c.features &= kImplementedFeatures;
    if (c.max_peers == 0) c.max_peers = 1;
    if (c.max_links == 0) c.max_links = 2 * c.max_peers + 8;
    if (c.max_pending_sends == 0) c.max_pending_sends = 1;
    if (c.queue_max_msgs == 0) c.queue_max_msgs = 1;
    // A queue must hold at least one maximal line plus its control headroom.
    c.queue_max_bytes = std::max(c.queue_max_bytes, kMaxLineBytes + 1 + c.control_reserve_bytes);
    // The user queue holds at least two of the longest SENDs.
    c.max_user_queue_bytes =
        std::max(c.max_user_queue_bytes, 2 * PendingAcks::charge(kMaxLineBytes + 1));
    if (c.pool_bytes == 0)
        c.pool_bytes = c.max_links * c.queue_max_bytes / 4 + c.max_user_queue_bytes;
    c.pool_bytes = std::max(c.pool_bytes, 2 * (kMaxLineBytes + ChunkPool::kChunkBytes));
    c.rtt_samples = std::clamp(c.rtt_samples, 1, PeerRecord::kMaxRtt);
    c.relay_ttl = std::clamp(c.relay_ttl, 1, 8);
    c.relay_share_percent = std::clamp(c.relay_share_percent, 1, 100);
    if (c.max_routes == 0) c.max_routes = 1;
    if (c.max_relay_acks == 0) c.max_relay_acks = 1;
    c.relay_rate_per_link = std::max(c.relay_rate_per_link, 1);
    c.slow_reader_ms = std::max<MonoMs>(c.slow_reader_ms, 0);
    // who_has and relaying only make sense together in this engine.
    if (!(c.features & kFeatureRelay)) c.features &= ~kFeatureWhoHas;
    if (c.ping_interval_ms <= 0) c.ping_interval_ms = 30'000;
    if (c.ack_timeout_ms <= 0) c.ack_timeout_ms = 5'000;
    if (c.max_missed_pongs < 1) c.max_missed_pongs = 1;
    return c;
}

}  // namespace

Node::Impl::Impl(const NodeConfig& config, const Clock& clk, NodeHost& h)
    : cfg(normalized(config)),
      clock(clk),
      host(h),
      rng(cfg.seed),
      self(cfg.name + "@" + cfg.ns),
      self_ns(cfg.ns),
      partials(new char[cfg.max_links * LineFramer::kPartialBytes]),
      pool(cfg.pool_bytes),
      peers(cfg.max_peers),
      pending(PendingAcks::slots_for(cfg.max_user_queue_bytes)),
      seen(cfg.seen_cache_entries, cfg.seen_cache_age_ms),
      timers(cfg.max_links + cfg.max_peers + pending.capacity()),
      scratch(new char[kScratchBytes]),
      routes(cfg.max_routes, cfg.route_ttl_ms),
      relay_acks(cfg.max_relay_acks),
      rates(kRateOrigins, cfg.relay_rate_per_origin) {
    links = std::vector<Link>(cfg.max_links);
    for (std::size_t i = 0; i < cfg.max_links; ++i)
        links[i].framer = LineFramer(partials.get() + i * LineFramer::kPartialBytes);
    free_links.reserve(cfg.max_links);
    for (std::size_t i = cfg.max_links; i-- > 0;)
        free_links.push_back(static_cast<int>(i));
    // A fresh random token of a shape no real feature has (GREASE, RFC 8701).
    char token[32];
    int n =
        std::snprintf(token, sizeof token, "%.*s%016llx", static_cast<int>(kGreasePrefix.size()),
                      kGreasePrefix.data(), static_cast<unsigned long long>(rng.next()));
    grease.assign(token, static_cast<std::size_t>(n));
}

Node::Node(const NodeConfig& config, const Clock& clock, NodeHost& host)
    : impl_(std::make_unique<Impl>(config, clock, host)) {}

// Out of line: Impl is complete only here.
Node::~Node() = default;

std::string_view Node::self_id() const {
    return impl_->self;
}
const NodeConfig& Node::config() const {
    return impl_->cfg;
}

void Node::set_ping_interval(MonoMs ms) {
    impl_->cfg.ping_interval_ms = ms > 0 ? ms : 30'000;
}

void Node::set_relay_share(int percent) {
    impl_->cfg.relay_share_percent = std::clamp(percent, 1, 100);
}

LinkId Node::on_link_accepted(std::string_view remote_ip, std::uint16_t remote_port) {
    Impl& n = *impl_;
    if (n.quitting) return kNoLink;
    char remote[80];
    int len = std::snprintf(remote, sizeof remote, "%.*s:%u",
                            static_cast<int>(std::min<std::size_t>(remote_ip.size(), 64)),
                            remote_ip.data(), static_cast<unsigned>(remote_port));
    Link* l = n.alloc_link(LinkDirection::kInbound, std::string_view(remote, std::size_t(len)));
    if (!l) {
        P2P_WARN_LIMITED("Link", "connections refused (no slot for them)", remote_ip,
                         "refusing %s: too many connections from it or in all", remote);
        return kNoLink;
    }
    l->state = LinkState::kAwaitHello;
    n.rearm_link(*l);  // alloc_link set the handshake deadline (shorter under pressure)
    P2P_DEBUG("Link", "accepted %s", remote);
    return l->id;
}

void Node::on_link_connected(LinkId id) {
    Impl& n = *impl_;
    Link* l = n.find_link(id);
    if (!l || l->state != LinkState::kDialing) return;
    PeerMessage hello;
    hello.type = MsgType::kHello;
    hello.peer_id = n.self;
    hello.version = n.cfg.version;
    hello.features = n.cfg.features;
    hello.grease = n.grease;
    hello.ttl = 1;
    l->state = LinkState::kAwaitHelloOk;
    n.queue_msg(*l, hello, true);
}

void Node::on_bytes(LinkId id, char* data, std::size_t len) {
    Impl& n = *impl_;
    Link* l = n.find_link(id);
    if (!l) return;
    n.feed(*l, data, len);
}

void Node::on_link_down(LinkId id, LinkDownReason reason) {
    Impl& n = *impl_;
    Link* l = n.find_link(id);
    if (!l) return;
    const char* why = reason == LinkDownReason::kConnectFailed  ? "connect failed"
                      : reason == LinkDownReason::kClosedByPeer ? "closed by peer"
                                                                : "link error";
    // A close after HELLO_REJECT means "already connected": no penalty.
    n.release(*l, l->got_reject ? "rejected: already connected" : why, !l->got_reject);
}

std::size_t Node::output(LinkId id, OutSlice* slices, std::size_t max) {
    Impl& n = *impl_;
    Link* l = n.find_link(id);
    if (!l || max == 0 || l->out.empty()) return 0;
    if (l->state == LinkState::kDialing) return 0;
    bool one = l->legacy && l->state != LinkState::kAwaitHelloOk;
    if (one && n.now() < l->write_ready_at) {
        n.rearm_link(*l);  // want_write() again when the pause ends
        return 0;
    }
    return l->out.slices(slices, max, one);
}

void Node::consumed(LinkId id, std::size_t bytes) {
    Impl& n = *impl_;
    Link* l = n.find_link(id);
    if (!l) return;
    std::size_t msgs = l->out.consume(n.pool, bytes);
    l->lines_written += msgs;
    if (msgs > 0 && l->legacy) {
        l->write_ready_at = n.now() + n.cfg.legacy_write_gap_ms;
        n.rearm_link(*l);
    }
    if (msgs > 0 && l->peer >= 0 && l->state == LinkState::kEstablished) {
        // SENDs just written start their ACK clock; room on the link lets
        // the next queued ones go.
        n.start_ack_clocks(*l);
        if (n.peers.at(l->peer).link == l->id) n.flush_pending(l->peer);
    }
    LinkId before = l->id;
    n.flow_drained(*l);  // links it paused may read again
    if (!l->used || l->id != before) return;
    if (l->out.empty() && l->state == LinkState::kClosing && !l->await_bye_ok)
        n.close_now(*l, nullptr, false);
}

MonoMs Node::next_deadline() const {
    const Impl& n = *impl_;
    return n.timers.empty() ? kNoDeadline : n.timers.top_time();
}

void Node::on_timer() {
    Impl& n = *impl_;
    MonoMs now = n.now();
    // Each handler re-arms its slot in the future or clears it, so this ends.
    while (!n.timers.empty() && n.timers.top_time() <= now) {
        std::size_t slot = n.timers.top_slot();
        n.timers.clear(slot);
        if (slot < n.links.size()) {
            Link& l = n.link_at(slot);
            if (l.used) n.link_timer_fired(l);
        } else if (slot < n.links.size() + n.peers.capacity()) {
            int p = static_cast<int>(slot - n.links.size());
            if (n.peers.at(p).used) n.peer_timer_fired(p);
        } else {
            int k = static_cast<int>(slot - n.links.size() - n.peers.capacity());
            if (n.pending.at(k).used) n.pending_timer_fired(k);
        }
    }
}

std::size_t Node::user_queue_bytes() const {
    return impl_->user_bytes;
}
bool Node::user_queue_has_room() const {
    const Impl& n = *impl_;
    std::size_t longest = PendingAcks::charge(kMaxLineBytes + 1);
    // The pool is shared with the links' queues: room there too.
    return n.user_bytes + longest <= n.cfg.max_user_queue_bytes &&
           n.pending.size() < n.pending.capacity() &&
           n.pool.available() * ChunkPool::kChunkBytes >= longest;
}

void Node::set_watch(bool on) {
    impl_->watch = on;
}
bool Node::watching() const {
    return impl_->watch;
}
bool Node::quitting() const {
    return impl_->quitting;
}
const Node::Stats& Node::stats() const {
    impl_->stats.decode_overflow = impl_->arena.overflowed() ? 1 : 0;
    return impl_->stats;
}

void Node::quit(std::string_view reason) {
    Impl& n = *impl_;
    if (n.quitting) return;
    n.quitting = true;
    P2P_INFO("Node", "quitting: BYE on %zu link(s)", n.open_links);
    for (Link& l : n.links) {
        if (!l.used) continue;
        if (l.state == LinkState::kEstablished)
            n.begin_close(l, reason, "quit", true, false);
        else if (l.state != LinkState::kClosing)
            n.close_now(l, "quit", false);
    }
    if (n.open_links == 0 && !n.quit_done) {
        n.quit_done = true;
        n.host.quit_complete();
    }
}

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
    return impl_->open_links;
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
    if (const Link* l = n.find_link(r.link)) out.direction = l->dir;
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
    const Link& l = n.link_at(slot);
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
