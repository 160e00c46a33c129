// LAN discovery (docs/protocol.md §7, a p2pchat extension), sans-I/O: what
// to announce on the link and when, and what a received announcement means.
// A runtime (platform/lan_socket.h) multicasts the datagram it is handed and
// feeds back every datagram it receives with the sender's address.
//
//   - Announce at start, again 1 s and 3 s later (a first datagram may be lost
//     while an interface comes up), then every interval (±10 % jitter so nodes
//     started together drift apart), and early when a new peer or a restarted
//     one is heard, so it learns about us at once: never more than one
//     datagram per reply gap.
//   - A received announcement is a peer advert (core/peer_advert.h), the
//     same the rendezvous client produces from a DISCOVER entry: discovered
//     when first heard, updated when its address or instance changes,
//     expired when not heard for expiry_ms (3 intervals).
//   - Our own datagrams (our instance id) are ignored; another node using our
//     name is ignored and warned about.
//   - Bounded: datagrams per second in all and per source address, new peer
//     ids per source address per interval, tracked peers. Everything else is
//     dropped and counted, by reason (see Counters). Tables are allocated at
//     construction; handling a datagram allocates nothing.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/expiring_table.h"
#include "core/lan_wire.h"
#include "core/limits.h"
#include "core/origin_rates.h"
#include "core/peer_advert.h"
#include "core/rng.h"

namespace p2p {

class LanDiscoveryListener {
  public:
    // Hand it to Node::on_peer_advert. Views are valid only during the call.
    virtual void on_lan_peer(const PeerAdvert& advert) = 0;

  protected:
    ~LanDiscoveryListener() = default;
};

class LanDiscovery {
  public:
    struct Config {
        std::string name;
        std::string ns;
        std::uint16_t listen_port = 0;
        std::uint64_t instance = 0;  // random, new at every start
        MonoMs interval_ms = 30'000;
        MonoMs reply_gap_ms = 2'000;  // at least this between two announcements
        std::size_t max_peers = 64;
        int max_datagrams_per_second = 64;  // from all sources together
        int max_datagrams_per_source = 8;   // per second
        int max_new_peers_per_source = 4;   // per interval
        std::size_t max_sources = 64;       // sources whose rates are tracked at once
    };

    struct Counters {
        std::uint64_t received = 0;
        std::uint64_t sent = 0;
        std::uint64_t own = 0;       // our own datagrams, looped back
        std::uint64_t conflict = 0;  // another node announcing our name
        std::uint64_t refused = 0;   // decode failures, all reasons (by_reason)
        std::array<std::uint64_t, kLanDecodeCount> by_reason{};  // indexed by LanDecode
        std::uint64_t rate = 0;                                  // over the per-second limits
        std::uint64_t source_cap = 0;  // a source's new peer ids per interval
        std::uint64_t table_full = 0;  // no room for another peer
        std::uint64_t bad_source = 0;  // the runtime's source address unusable
        std::uint64_t dropped() const {
            return refused + rate + source_cap + table_full + bad_source;
        }
    };

    static constexpr MonoMs kNoDeadline = std::numeric_limits<MonoMs>::max();

    LanDiscovery(Config config, const Clock& clock, Rng& rng, LanDiscoveryListener& listener);
    LanDiscovery(const LanDiscovery&) = delete;
    LanDiscovery& operator=(const LanDiscovery&) = delete;

    // The first announcement is due now.
    void start();
    // The datagram to send now, if one is due; schedules the next. The view
    // stays valid for the object's life.
    bool next_announcement(std::string_view& datagram);
    // When next_announcement() or tick() has something to do.
    MonoMs next_deadline() const;
    // Expires peers not heard for expiry_ms.
    void tick();

    // One received datagram: `source_ip` as the runtime prints it (a v6
    // link-local address with its "%interface"), data[0..len) with room for
    // data[len] when len <= kLanMaxDatagramBytes; `len` is the datagram's
    // real length even when the runtime's buffer held less (oversized).
    void on_datagram(std::string_view source_ip, char* data, std::size_t len);

    const Counters& counters() const { return counters_; }
    std::size_t tracked() const { return peers_.size(); }
    MonoMs expiry_ms() const { return 3 * config_.interval_ms; }
    std::string_view datagram() const { return {datagram_, datagram_len_}; }

  private:
    struct Peer {
        char id[2 * kMaxNameBytes + 2] = {};
        char ip[64] = {};
        char instance[kLanInstanceChars] = {};
        std::uint8_t id_len = 0;
        std::uint8_t ip_len = 0;
        std::uint16_t port = 0;
        MonoMs address_heard = 0;  // when its current address last announced it
        std::string_view peer_id() const { return {id, id_len}; }
        std::string_view address() const { return {ip, ip_len}; }
    };

    // Counts per source in fixed windows (datagrams a second, new ids an interval).
    class SourceWindows {
      public:
        SourceWindows(std::size_t sources, MonoMs window_ms)
            : table_(sources), window_(window_ms) {}
        bool admit(std::string_view source, MonoMs now, int limit);

      private:
        ExpiringTable<int> table_;
        MonoMs window_;
    };

    void accept(std::string_view source_ip, const LanAnnounce& a, MonoMs now);
    void update(int slot, std::string_view source_ip, const LanAnnounce& a, MonoMs now);
    void emit(AdvertChange change, const Peer& p, bool address_changed, bool restarted);
    void answer_soon(MonoMs now);
    void refuse(std::string_view source_ip, const char* why);

    Config config_;
    const Clock& clock_;
    Rng& rng_;
    LanDiscoveryListener& listener_;
    char instance_[kLanInstanceChars];
    char datagram_[kLanMaxDatagramBytes];
    std::size_t datagram_len_ = 0;
    std::string self_id_;

    bool started_ = false;
    MonoMs next_at_ = 0;
    MonoMs last_sent_ = 0;
    int sent_since_start_ = 0;

    TokenBucket all_rate_;
    SourceWindows source_rate_;
    SourceWindows source_new_ids_;
    ExpiringTable<Peer> peers_;
    Counters counters_;
};

}  // namespace p2p
