// DNS that never blocks the loop: getaddrinfo runs on one worker thread and
// the answer comes back through a pipe watched by the EventLoop. Numeric
// addresses are answered without the thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "platform/event_loop.h"
#include "platform/net.h"

namespace p2p::platform {

class Resolver {
  public:
    // ok=false carries an error text. Called on the loop thread.
    using Callback = std::function<void(bool ok, const SockAddr& addr, const std::string& error)>;
    // The blocking lookup the worker runs (getaddrinfo by default). True with
    // `out` (port filled in) or false with `error`. Replaceable for tests.
    using LookupFn = std::function<bool(const std::string& host, std::uint16_t port, SockAddr& out,
                                        std::string& error)>;
    using RequestId = std::uint64_t;  // 0 is never a valid id

    explicit Resolver(EventLoop& loop);
    Resolver(EventLoop& loop, LookupFn lookup);
    ~Resolver();
    // One lookup: start() without keeping the id.
    void resolve(const std::string& host, std::uint16_t port, Callback done);
    // As resolve(), returning an id that cancel() takes. Every request gets
    // exactly one callback, always later on the loop (never from inside
    // start()), unless it is cancelled or the Resolver is destroyed first.
    RequestId start(const std::string& host, std::uint16_t port, Callback done);
    void cancel(RequestId id);

    // getaddrinfo (AF_UNSPEC, TCP); prefers the first IPv4 answer, since the
    // callback carries one address and most LAN services listen on IPv4.
    static bool system_lookup(const std::string& host, std::uint16_t port, SockAddr& out,
                              std::string& error);
    // Lookups queued or running on the worker beyond which start() fails
    // (asynchronously) with "resolver busy".
    static constexpr std::size_t kMaxPending = 64;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace p2p::platform
