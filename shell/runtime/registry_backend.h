// Where the rendezvous server keeps its registrations and rate-limit state: the
// store behind RendezvousServer (docs/rendezvous.md "Registry backends"). The
// in-memory one (memory_registry.h, with the --db file) answers at once; the Redis
// one (redis_registry.h) answers later, from the loop, once Redis has replied, so
// any number of front-ends share one registry.
//
// Both calls either decide now (return true, the result in *out) or return false and
// call the Waiter with the same ticket later, from the loop, never from inside the
// call. A ticket the server no longer waits for (its connection closed) is dropped by
// the server; backends need not track it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/registry.h"

namespace p2p::shell {

class RegistryBackend {
  public:
    using Ticket = std::uint64_t;

    class Waiter {
      public:
        // `reply` (kBlocked) is valid during the call only.
        virtual void admitted(Ticket ticket, Registry::Admission admission,
                              std::string_view reply) = 0;
        // `reply.text` is valid during the call only (or while reply.shared is held).
        virtual void answered(Ticket ticket, const Registry::Reply& reply) = 0;

      protected:
        ~Waiter() = default;
    };

    virtual ~RegistryBackend() = default;

    // Before the server listens: load what was kept, connect.
    virtual void start() = 0;
    // Writes what is pending; nothing is answered after it.
    virtual void stop() = 0;

    // The rate limit for a new connection from ip:port (Registry::admit()).
    virtual bool admit(std::string_view ip, std::uint16_t port, Ticket ticket,
                       Registry::Admission* out, std::string_view* reply) = 0;
    // The answer to one request line (Registry::answer()); `line` is not kept.
    virtual bool answer(char* line, std::size_t len, std::string_view ip, std::uint16_t port,
                        Ticket ticket, Registry::Reply* out) = 0;

    // Live registrations and blocked IPs for `stats` (a remote store: as of the last
    // reply that said).
    virtual std::size_t registrations() = 0;
    virtual std::size_t blocked_ips() = 0;
};

}  // namespace p2p::shell
