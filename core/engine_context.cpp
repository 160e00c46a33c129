// The engine's shared services, and the configuration as it runs.
#include "core/engine_context.h"

#include <algorithm>

#include "core/peer_table.h"
#include "core/pending_acks.h"

namespace p2p {

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

EngineContext::EngineContext(const NodeConfig& config, const Clock& clk, NodeHost& h)
    : cfg(config),
      clock(clk),
      host(h),
      rng(cfg.seed),
      ids(h, cfg.seed ^ 0xA5A5A5A55A5A5A5Aull),
      self(cfg.name + "@" + cfg.ns),
      self_ns(cfg.ns),
      pool(cfg.pool_bytes),
      slots(cfg.max_links, cfg.max_peers, PendingAcks::slots_for(cfg.max_user_queue_bytes)),
      timers(slots.total()),
      scratch(new char[kScratchBytes]) {}

std::string_view EngineContext::iso_now() {
    WallMs wall = clock.wall_ms();
    WallMs second = wall >= 0 ? wall / 1000 : -((999 - wall) / 1000);  // floor
    if (second != iso_second_ || iso_view_.empty()) {
        iso_view_ = format_iso8601(wall, iso_);
        iso_second_ = second;
    }
    return iso_view_;
}

}  // namespace p2p
