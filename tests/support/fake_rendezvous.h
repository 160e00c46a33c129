// A scripted rendezvous server for attack tests: accepts on 127.0.0.1, reads
// one request line per connection, records its type and the time, and
// answers with whatever the test's `answer` function returns for that type
// (exact bytes, so a test can send what no honest server would). Serves on
// its own thread until destroyed.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/raw_peer.h"

namespace p2p::test {

class FakeRendezvous {
  public:
    // type ("REGISTER", "DISCOVER", "UNREGISTER") -> the answer line, without '\n'.
    using Answer = std::function<std::string(const std::string& type)>;

    struct Request {
        std::string type;
        std::chrono::steady_clock::time_point at;
    };

    explicit FakeRendezvous(Answer answer);
    // Serves on a socket already bound (DeadPort::release()), taking it.
    FakeRendezvous(Answer answer, int bound_fd);
    ~FakeRendezvous();
    FakeRendezvous(const FakeRendezvous&) = delete;
    FakeRendezvous& operator=(const FakeRendezvous&) = delete;

    bool ok() const { return listener_.ok(); }
    std::uint16_t port() const { return listener_.port(); }
    std::vector<Request> requests();
    // Requests of `type` received so far.
    int count(const std::string& type);

  private:
    void serve();

    RawListener listener_;
    Answer answer_;
    std::mutex mu_;
    std::vector<Request> requests_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace p2p::test
