// The sockets of LAN discovery (core/lan_discovery.h, docs/protocol.md §7):
// one UDP socket per address family bound to the discovery port, which
// sends a datagram to every interface that is up (to the IPv4 and IPv6
// groups, each copy sent out through that interface)
// and hands every received datagram to a callback with the sender's address
// as text ("10.0.0.2", "fe80::1%eth0").
//
// Never blocks: the sockets are non-blocking, a readable wakeup reads at most
// kMaxReadsPerWakeup datagrams (the level-triggered loop comes back for the
// rest), a send that the kernel refuses is counted and dropped. Loopback
// interfaces are skipped and nothing is ever sent with a hop limit above 1,
// so a datagram never leaves the link. Interfaces are listed again (and the
// IPv6 group joined on new ones) at every send, so a board whose network
// comes up after the node is found at its next announcement.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <netinet/in.h>

#include "core/lan_wire.h"
#include "platform/event_loop.h"

namespace p2p::platform {

class LanSocket final : public IoHandler {
  public:
    static constexpr int kMaxReadsPerWakeup = 32;
    static constexpr std::size_t kMaxInterfaces = 32;

    struct Config {
        std::uint16_t port = kLanPort;
        // The families we announce on: only those a peer can dial us over.
        bool send_v4 = true;
        bool send_v6 = true;
    };
    // data has room for data[len] when len <= kLanMaxDatagramBytes; len is
    // the datagram's real size even when it was cut (MSG_TRUNC).
    using Receive = std::function<void(std::string_view source_ip, char* data, std::size_t len)>;

    explicit LanSocket(EventLoop& loop) : loop_(loop) {}
    ~LanSocket();
    LanSocket(const LanSocket&) = delete;
    LanSocket& operator=(const LanSocket&) = delete;

    // Binds what it can (IPv4, IPv6); false with *error when neither.
    bool open(const Config& config, Receive receive, std::string* error);
    void close();
    bool is_open() const { return fd4_ >= 0 || fd6_ >= 0; }

    // Sends `datagram` on every interface; returns how many copies left.
    std::size_t send(std::string_view datagram);

    std::uint64_t send_errors() const { return send_errors_; }

    void on_io(int fd, std::uint32_t events) override;

  private:
    void read_from(int fd);
    void join_group(unsigned ifindex);
    void join_group4(in_addr local);

    EventLoop& loop_;
    Config config_;
    Receive receive_;
    int fd4_ = -1;
    int fd6_ = -1;
    std::uint64_t send_errors_ = 0;
    char buf_[kLanMaxDatagramBytes + 1] = {};
};

}  // namespace p2p::platform
