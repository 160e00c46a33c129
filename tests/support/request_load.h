// The client side of the rendezvous benchmarks: one thread keeping N connections in
// flight with epoll, each connecting, sending one request line, reading the answer until
// the server closes, and starting over, as real clients use a rendezvous server.
// Connections go to the given ports in turn (several front-ends behind one client).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace p2p::test {

struct LoadResult {
    long done = 0;    // answered (a line, then the close)
    long failed = 0;  // refused, reset, or closed without a line
    double seconds = 0;
    double per_second() const { return seconds > 0 ? static_cast<double>(done) / seconds : 0; }
};

LoadResult run_request_load(const std::string& host, const std::vector<std::uint16_t>& ports,
                            int concurrency, double seconds, const std::string& request);

}  // namespace p2p::test
