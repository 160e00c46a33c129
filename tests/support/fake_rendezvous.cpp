#include "tests/support/fake_rendezvous.h"

namespace p2p::test {

using namespace std::chrono_literals;

FakeRendezvous::FakeRendezvous(Answer answer) : answer_(std::move(answer)) {
    if (listener_.ok()) thread_ = std::thread([this] { serve(); });
}

FakeRendezvous::FakeRendezvous(Answer answer, int bound_fd)
    : listener_(bound_fd), answer_(std::move(answer)) {
    if (listener_.ok()) thread_ = std::thread([this] { serve(); });
}

FakeRendezvous::~FakeRendezvous() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void FakeRendezvous::serve() {
    while (!stop_) {
        std::optional<RawPeer> conn = listener_.accept(100ms);
        if (!conn) continue;
        std::optional<std::string> line = conn->read_line(2s);
        if (!line) continue;
        std::string type = JsonLine(*line).type();
        {
            std::lock_guard<std::mutex> lock(mu_);
            requests_.push_back({type, std::chrono::steady_clock::now()});
        }
        conn->send_line(answer_(type));
    }
}

std::vector<FakeRendezvous::Request> FakeRendezvous::requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
}

int FakeRendezvous::count(const std::string& type) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const Request& r : requests_)
        n += r.type == type;
    return n;
}

}  // namespace p2p::test
