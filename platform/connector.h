// Outgoing TCP connections without blocking the loop: resolve (numeric hosts
// skip the resolver thread), non-blocking connect, one deadline covering
// both, and a single answer on the loop thread. Used for rendezvous requests
// and peer links. One attempt at a time per connector; a node keeps as many
// connectors as it wants dials in flight.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/resolver.h"

namespace p2p::platform {

// The cause in a connector's error text: "connect 10.0.0.5:8080: Connection
// refused" is "Connection refused" (a target has no ": " in it, brackets and
// all: "[::1]:8080"); a resolver's "cannot resolve HOST: ..." is kept whole.
// For messages that name the address already.
std::string_view connect_error_cause(std::string_view error);

class TcpConnector final : private IoHandler, private TimerHandler {
  public:
    // On success fd >= 0 (non-blocking, TCP_NODELAY, not watched: the caller
    // owns it) and error is empty; on failure fd is -1 and error says what
    // failed and where ("connect 127.0.0.1:7070: Connection refused").
    using Callback = std::function<void(int fd, const std::string& error)>;

    TcpConnector(EventLoop& loop, Resolver& resolver);
    ~TcpConnector();  // cancels; the callback is not called
    TcpConnector(const TcpConnector&) = delete;
    TcpConnector& operator=(const TcpConnector&) = delete;

    // Starts an attempt; false (and no callback) if one is already running.
    // The callback comes later, never from inside connect(), exactly once
    // unless cancel() comes first. It may start a new attempt or destroy the
    // connector.
    bool connect(const std::string& host, std::uint16_t port, MonoMs timeout_ms, Callback done);
    bool connect(const SockAddr& addr, MonoMs timeout_ms, Callback done);
    void cancel();
    bool busy() const { return state_ != State::kIdle; }

  private:
    enum class State { kIdle, kResolving, kConnecting };

    void on_resolved(bool ok, const SockAddr& addr, const std::string& error);
    void on_io(int fd, std::uint32_t events) override;
    void on_timer(std::uint64_t tag) override;
    void start_connect(const SockAddr& addr);
    void fail_soon(std::string error);
    void finish(int fd, std::string error);
    void reset();

    EventLoop& loop_;
    Resolver& resolver_;
    State state_ = State::kIdle;
    Callback done_;
    std::string target_;  // "host:port" as asked, for error texts
    MonoMs timeout_ms_ = 0;
    Resolver::RequestId lookup_ = 0;
    TimerId deadline_ = 0;
    int fd_ = -1;
    std::string pending_error_;  // a failure found inside connect(), reported by timer
    bool* destroyed_ = nullptr;  // set while a callback runs, see finish()
};

}  // namespace p2p::platform
