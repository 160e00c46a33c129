// Accepting connections on the reactor, for every listening stream socket (TCP, Unix):
// a batch of accepts per readiness event, AcceptPause when descriptors run out (no spin
// at full CPU), and a cap on the connections open at once. The owner opens each accepted
// descriptor on a Connection (platform/connection.h) or refuses it.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "platform/accept_pause.h"
#include "platform/event_loop.h"
#include "platform/net.h"

namespace p2p::platform {

class ListenerOwner {
  public:
    // A connection came in: the owner takes `fd` (opens it on a Connection, or closes
    // it, e.g. with refuse_connection()).
    virtual void on_accept(int fd, const SockAddr& peer) = 0;
    // Connections of this listener open now, for the cap.
    virtual std::size_t open_connections() const = 0;
    // At the cap, before on_accept(): make room (close one, true) or not (false: the
    // connection is refused with ListenerConfig::refusal).
    virtual bool on_full(const SockAddr& peer) {
        (void)peer;
        return false;
    }

  protected:
    ~ListenerOwner() = default;
};

struct ListenerConfig {
    const char* module = "Listener";  // names the AcceptPause log lines
    std::size_t max_connections = 1024;
    // Accepts per readiness event, so a flood of connects cannot starve the
    // connections already accepted.
    int accepts_per_event = 64;
    std::string refusal;  // the line a refused connection gets ("" for none)
};

// Writes `line` (best effort: a fresh socket's send buffer is empty), reads and drops up
// to `drain_bytes` so the close sends FIN rather than RST, and closes `fd`.
void refuse_connection(int fd, std::string_view line, std::size_t drain_bytes = 0);

class Listener final : private IoHandler {
  public:
    Listener(EventLoop& loop, ListenerOwner& owner, ListenerConfig config);
    ~Listener();  // stop()
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Listens on `addr` (SO_REUSEADDR). False with *err.
    bool listen_tcp(const SockAddr& addr, int backlog, std::string* err);
    // Accepts on a listening socket made elsewhere (platform/unix_socket.h), which it
    // now owns. False with *err (the socket closed) if the loop cannot watch it.
    bool adopt(int listen_fd, std::string* err);
    void stop();
    bool listening() const { return fd_ >= 0; }
    // The bound address (the port the kernel chose for port 0).
    SockAddr address() const;
    bool accept_paused() const { return pause_.paused(); }
    // The cap, for an owner that learns its capacity after construction.
    void set_max_connections(std::size_t n) { config_.max_connections = n; }

  private:
    void on_io(int fd, std::uint32_t events) override;

    EventLoop& loop_;
    ListenerOwner& owner_;
    ListenerConfig config_;
    AcceptPause pause_;
    int fd_ = -1;
};

}  // namespace p2p::platform
