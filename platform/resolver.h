// DNS that never blocks the loop: getaddrinfo runs on one worker thread and
// the answer comes back through a pipe watched by the EventLoop. Numeric
// addresses are answered without the thread.
#pragma once
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

    explicit Resolver(EventLoop& loop);
    ~Resolver();
    // One lookup; the newest callback for the same request id wins.
    void resolve(const std::string& host, std::uint16_t port, Callback done);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace p2p::platform
