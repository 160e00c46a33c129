// The rendezvous client's runtime: one request per TCP connection (docs/protocol.md
// §3), on the reactor, never blocking it.
//
// RendezvousLink performs one exchange: connect (platform TcpConnector:
// names resolved off the loop), then on a platform::Connection (platform/connection.h)
// write the request line, read one answer line, close — all bounded by one timeout.
// RendezvousDriver runs a RendezvousClient (core) over a link: it wakes at the client's deadlines,
// encodes what the client asks for, and feeds the decoded answer (or the failure) back.
//
// Answer line limit: kMaxResponseBytes = 256 KiB, not the protocol's 32 KiB.
// The 32 KiB limit binds *requests* (what the server reads); a DISCOVER answer
// lists every live registration and has no limit on the server side. An entry
// is at most ~330 bytes (two 64-byte names, an IPv6 address, ttl, expires_in,
// and an older server's observed_ip/observed_port), ~120 bytes typically, so
// 256 KiB holds 790 worst-case or ~2000 typical entries: far more than a node's
// peer table (--max-peers, 64 by default) can use, for one buffer allocated
// once at start. A longer answer fails as kTooLong, and the client then
// narrows its DISCOVER to its own namespace.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"
#include "core/rendezvous_client.h"
#include "platform/connection.h"
#include "platform/connector.h"
#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/resolver.h"

namespace p2p::shell {

class RendezvousLink final : private platform::ConnectionOwner, private platform::TimerHandler {
  public:
    static constexpr std::size_t kMaxResponseBytes = 256 * 1024;
    static constexpr std::size_t kMaxRequestBytes = 1024;
    // The reference server drops a silent client after 5 s; an answer to a
    // request sent at once comes well within this.
    static constexpr MonoMs kDefaultTimeoutMs = 5'000;

    struct Outcome {
        bool ok = false;
        char* line = nullptr;  // ok: the answer without '\n', NUL-terminated, writable
        std::size_t len = 0;
        RdvFailure failure = RdvFailure::kIo;  // !ok
        std::string detail;                    // !ok: errno text and such, for logs
    };
    using Done = std::function<void(std::uint64_t id, Outcome& outcome)>;

    RendezvousLink(platform::EventLoop& loop, platform::Resolver& resolver,
                   MonoMs timeout_ms = kDefaultTimeoutMs,
                   std::size_t max_response = kMaxResponseBytes);
    ~RendezvousLink();
    RendezvousLink(const RendezvousLink&) = delete;
    RendezvousLink& operator=(const RendezvousLink&) = delete;

    void set_server(const platform::HostPort& server) { server_ = server; }
    const platform::HostPort& server() const { return server_; }
    bool busy() const { return phase_ != Phase::kIdle; }

    // Starts one exchange. `request` is one JSON line without '\n' (copied).
    // `done` is called exactly once, later, from the loop — unless cancel()
    // or the destructor comes first. False if busy or the request is too long.
    bool start(std::uint64_t id, std::string_view request, Done done);
    // Abandons the exchange in progress, if any; its `done` is never called.
    void cancel();

  private:
    enum class Phase { kIdle, kConnecting, kExchanging };
    // Bytes per read; an answer longer than this arrives over several reads.
    static constexpr std::size_t kReadBytes = 16 * 1024;

    void on_timer(std::uint64_t tag) override;
    void on_line(platform::Connection& c, char* line, std::size_t len) override;
    void on_line_too_long(platform::Connection& c) override;
    void on_eof(platform::Connection& c) override;
    void on_closed(platform::Connection& c, platform::CloseReason reason) override;
    void on_connected(int fd, const std::string& error);
    void finish_ok(char* line, std::size_t len);
    void finish_fail(RdvFailure failure, std::string detail);
    void reset();

    platform::EventLoop& loop_;
    platform::TcpConnector connector_;
    MonoMs timeout_ms_;
    platform::HostPort server_;

    Phase phase_ = Phase::kIdle;
    std::uint64_t id_ = 0;
    Done done_;
    platform::TimerId timer_ = 0;
    std::uint64_t generation_ = 0;  // tells this exchange's timer from an earlier one's

    char request_[kMaxRequestBytes + 1];
    std::size_t request_len_ = 0;
    std::vector<char> read_buf_;  // kReadBytes + 1
    std::vector<char> response_;  // max_response + 1: the answer line joined across reads
    platform::Connection conn_;   // last: closed before the buffers it reads into go
};

// Encodes one client request as a JSON line (without '\n') into out[0..cap).
// Returns its length, or 0 if it does not fit.
std::size_t encode_rdv_request(const RdvRequest& request, char* out, std::size_t cap);

class RendezvousDriver final : public platform::TimerHandler {
  public:
    // The client and link must outlive the driver.
    RendezvousDriver(platform::EventLoop& loop, RendezvousClient& client, RendezvousLink& link);
    ~RendezvousDriver();
    RendezvousDriver(const RendezvousDriver&) = delete;
    RendezvousDriver& operator=(const RendezvousDriver&) = delete;

    // Call after anything that may have changed what the client wants
    // (start, request_discover, shutdown): sends what is due and re-arms the
    // wake-up for the next deadline.
    void pump();
    void on_timer(std::uint64_t tag) override;

  private:
    void on_outcome(std::uint64_t id, RendezvousLink::Outcome& outcome);

    platform::EventLoop& loop_;
    RendezvousClient& client_;
    RendezvousLink& link_;
    JsonArena arena_;
    platform::TimerId timer_ = 0;
    MonoMs timer_at_ = kNeverMs;
    bool in_pump_ = false;
};

}  // namespace p2p::shell
