// A real redis-server (Debian's package, installed by .ci/setup) for the tests of the
// rendezvous Redis registry: its own free loopback port and temp dir, no persistence
// (--save '' --appendonly no), killed and its dir removed at the end. It can be killed
// and started again on the same port, or paused (SIGSTOP) to play a Redis that does
// not answer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/process.h"

namespace p2p::test {

class RedisServer {
  public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // Starts it (again, on the same port after kill()); false with a reason in *err.
    bool start(std::string* err);
    void kill();
    bool pause();   // SIGSTOP: connected clients get no reply
    bool resume();  // SIGCONT
    std::uint16_t port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    // One command through redis-cli (its output, trimmed), e.g. "MEMORY USAGE key".
    std::string cli(const std::string& command);

    // The redis-server program on PATH, or empty.
    static std::string program();

  private:
    std::unique_ptr<Process> proc_;
    std::string dir_;
    std::uint16_t port_ = 0;
    bool running_ = false;
};

}  // namespace p2p::test
