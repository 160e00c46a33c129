// The rendezvous server on the reactor (docs/protocol.md §3): accepts connections,
// reads one request line from each, answers with core/registry.h and closes.
// Single-threaded, never blocks; thousands of concurrent connections, silent
// or slow ones costing only their slot until the idle timeout. Accepting is a
// platform::Listener, each connection a platform::Connection in a fixed array
// of slots (platform/listener.h, platform/connection.h).
//
// The registrations are kept by a RegistryBackend: in this process (with the --db
// file), or in Redis, shared by several front-ends (registry_backend.h).
//
// Used by `p2pchat rendezvous` (shell/rendezvous_cli.h) and embedded in a
// node that serves the rendezvous in-process.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/registry.h"
#include "platform/connection.h"
#include "platform/event_loop.h"
#include "platform/listener.h"
#include "platform/net.h"
#include "shell/runtime/registry_backend.h"

namespace p2p::shell {

struct RendezvousServerConfig {
    RegistryConfig registry;
    // Registrations are persisted here (rewritten atomically on change) and
    // reloaded at start. Empty: memory only.
    std::string db_path;
    // Changes are coalesced for this long before the file is rewritten
    // (0: once per loop iteration that changed something). The rewrite
    // fsyncs on the loop thread, so without a delay every REGISTER would
    // stall all clients for an fsync (~100 req/s instead of thousands).
    MonoMs db_write_delay_ms = 100;
    // Empty: the registry above in this process (with db_path). "redis://HOST:PORT[/DB]":
    // registrations and rate-limit state in that Redis, shared with every other
    // front-end using it (shell/runtime/redis_registry.h); db_path is not used.
    std::string registry_url;
    // Redis: a reply later than this is a failure (requests waiting answer
    // "registry_unavailable" and the link reconnects).
    MonoMs registry_timeout_ms = 1'000;
    // Redis: requests waiting for a reply at once; past it "registry_unavailable".
    std::size_t registry_queue = 4'096;
    // Silence before "Timeout: no data received" (reference: 5 s).
    MonoMs idle_timeout_ms = 5'000;
    // Whole-request deadline, so a client trickling bytes cannot hold a slot
    // forever (the reference has none; it only times out silence).
    MonoMs request_timeout_ms = 30'000;
    // Concurrent connections. When full, the oldest connection is answered
    // with the timeout message and closed to make room.
    std::size_t max_connections = 4096;
    int backlog = 1024;
    // Answers that did not fit in the socket buffer wait in memory; beyond
    // this total, such a connection is closed instead. A DISCOVER answer shared
    // by many connections counts once.
    std::size_t max_pending_output_bytes = 32u << 20;
    // Bytes of unfinished request lines held for all connections together. Past it the
    // connection that has held one the longest is closed (a client sending a line in
    // pieces and stopping must not make thousands of 32 KiB buffers resident).
    std::size_t max_partial_bytes = 4u << 20;
};

class RendezvousServer final : private platform::ListenerOwner,
                               private platform::ConnectionOwner,
                               private RegistryBackend::Waiter {
  public:
    RendezvousServer(platform::EventLoop& loop, RendezvousServerConfig config);
    ~RendezvousServer();
    RendezvousServer(const RendezvousServer&) = delete;
    RendezvousServer& operator=(const RendezvousServer&) = delete;

    // Loads the db (a corrupt one is reported and kept aside), then listens.
    // False with *err if it cannot listen.
    bool start(const platform::SockAddr& addr, std::string* err);
    // The address actually bound (its port when asked for port 0).
    platform::SockAddr bound_address() const;
    // Closes every connection and the listener, and writes pending changes.
    void stop();

    // What the SIGUSR1 stats line and `p2pchat attach -c stats` show.
    struct Stats {
        std::size_t registrations = 0;     // live
        std::size_t open_connections = 0;  // open now
        std::uint64_t connections = 0;     // accepted since start
        std::uint64_t requests = 0;        // answered since start
        std::uint64_t blocked = 0;         // connections refused by the rate limit
        std::size_t blocked_ips = 0;       // source addresses blocked now
    };
    Stats stats();

  private:
    struct Conn;
    // platform::ListenerOwner
    void on_accept(int fd, const platform::SockAddr& peer) override;
    std::size_t open_connections() const override;
    // platform::ConnectionOwner
    void on_line(platform::Connection& c, char* line, std::size_t len) override;
    void on_line_too_long(platform::Connection& c) override;
    void on_read(platform::Connection& c) override;
    void on_eof(platform::Connection& c) override;
    void on_deadline(platform::Connection& c) override;
    std::size_t output(platform::Connection& c, platform::ByteSlice* slices,
                       std::size_t max) override;
    void consumed(platform::Connection& c, std::size_t bytes) override;
    void on_closed(platform::Connection& c, platform::CloseReason reason) override;
    // RegistryBackend::Waiter
    void admitted(RegistryBackend::Ticket ticket, Registry::Admission admission,
                  std::string_view reply) override;
    void answered(RegistryBackend::Ticket ticket, const Registry::Reply& reply) override;

    Conn& slot(std::uint64_t index);
    Conn& conn_of(platform::Connection& c) { return slot(c.tag()); }
    Conn* waiting(RegistryBackend::Ticket ticket);
    void refuse(Conn& c, Registry::Admission admission, std::string_view reply);
    void ask(Conn& c, char* line, std::size_t len);
    void evict_oldest();
    void answer(Conn& c, const Registry::Reply& reply);
    void set_held(Conn& c, std::size_t bytes);
    bool enforce_partial_budget(Conn& current);
    MonoMs deadline_of(const Conn& c) const;

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace p2p::shell
