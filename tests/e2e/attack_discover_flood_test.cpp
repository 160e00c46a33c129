// Issue 14, item 5: DISCOVER amplification at `p2pchat rendezvous`. 7 200
// registrations (160 source addresses x 45, 64-byte names and namespaces) make
// every 20-byte DISCOVER a ~1.5 MiB answer. Clients from those addresses send
// DISCOVERs and never read the answers. Before the fix each DISCOVER encoded the
// whole registry again (7-14 ms of the server's one thread in a release build)
// and an honest REGISTER waited seconds; now the answer is encoded once per
// change and shared, and every connection's output is written in bounded pieces
// per turn of the loop, so the honest REGISTER is answered within 100 ms.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loopback_source.h"
#include "tests/support/process.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kAddresses = 160;
constexpr int kPerAddress = 45;
constexpr int kUnreadPerAddress = 4;  // the issue's "a few unread DISCOVERs per address"
constexpr int kMaxUnread = kAddresses * kUnreadPerAddress;
const std::string kDiscover = R"({"type":"DISCOVER"})";

std::string attacker(int n) {
    return "127.0.1." + std::to_string(1 + n);
}

// One line from a blocking socket within 5 s ("" on failure).
std::string read_reply(int fd) {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string got;
    char buf[512];
    while (got.find('\n') == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return "";
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got.substr(0, got.find('\n'));
}

bool send_line(int fd, const std::string& line) {
    std::string out = line + "\n";
    return ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
}

// 45 REGISTERs from each of the attackers [first, last).
int register_attackers(std::uint16_t port, int first, int last) {
    const std::string ns(64, 'n');
    int ok = 0;
    for (int a = first; a < last; ++a) {
        for (int i = 0; i < kPerAddress; ++i) {
            std::string name(64, 'a');
            std::string tag = std::to_string(a) + "-" + std::to_string(i);
            name.replace(0, tag.size(), tag);
            int fd = connect_from(attacker(a), port);
            if (fd < 0) continue;
            std::string line = R"({"type":"REGISTER","namespace":")" + ns + R"(","name":")" + name +
                               R"(","port":)" + std::to_string(1024 + i) + R"(,"ttl":3600})";
            if (send_line(fd, line) && read_reply(fd).rfind(R"({"status":"OK")", 0) == 0) ++ok;
            ::close(fd);
        }
    }
    return ok;
}

class Attack17 : public ::testing::Test {
  protected:
    void SetUp() override {
        // Rate limit lifted, as an attacker with more addresses would have it; long
        // timeouts, so that unread answers are not cut short by the server.
        std::string err;
        ASSERT_TRUE(server.start(P2PCHAT_BIN,
                                 {"rendezvous", "--listen", "127.0.0.1:0", "--rate-limit", "0",
                                  "--idle-timeout", "30", "--log-level", "WARN"},
                                 {}, &err))
            << err;
        std::vector<std::string> groups;
        ASSERT_TRUE(server.wait_for_line(R"(^listening on 127\.0\.0\.1:(\d+)$)", 15s,
                                         Stream::kStdout, &groups))
            << server.dump();
        port = static_cast<std::uint16_t>(std::stoi(groups[1]));
    }

    Process server;
    std::uint16_t port = 0;
};

// Clients that send a DISCOVER and never read: first 4 per address at once, then
// one every 10 ms, the oldest closed once 640 are open.
class UnreadDiscovers {
  public:
    explicit UnreadDiscovers(std::uint16_t port) : port_(port) {
        thread_ = std::thread([this] { run(); });
    }
    ~UnreadDiscovers() {
        stop_ = true;
        thread_.join();
        for (int fd : open_)
            ::close(fd);
    }
    int sent() const { return sent_; }
    // Sends no more; the clients stay connected and keep not reading.
    void hold() { hold_ = true; }

  private:
    void one(int n) {
        if (static_cast<int>(open_.size()) >= kMaxUnread) {
            ::close(open_.front());
            open_.pop_front();
        }
        int fd = connect_from(attacker(n % kAddresses), port_);
        if (fd < 0) return;
        if (send_line(fd, kDiscover)) ++sent_;
        open_.push_back(fd);
    }
    void run() {
        int n = 0;
        for (; n < kMaxUnread && !stop_; ++n)
            one(n);
        for (; !stop_; ++n) {
            if (!hold_) one(n);
            std::this_thread::sleep_for(10ms);
        }
    }

    std::uint16_t port_;
    std::deque<int> open_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> hold_{false};
    std::atomic<int> sent_{0};
    std::thread thread_;
};

TEST_F(Attack17, HonestRegisterIsAnsweredWithin100msDuringADiscoverFlood) {
    // 7 200 registrations from 160 addresses, 8 clients at a time.
    std::vector<std::thread> registrars;
    std::atomic<int> registered{0};
    constexpr int kThreads = 8;
    for (int t = 0; t < kThreads; ++t)
        registrars.emplace_back([&, t] {
            registered += register_attackers(port, t * kAddresses / kThreads,
                                             (t + 1) * kAddresses / kThreads);
        });
    for (auto& t : registrars)
        t.join();
    ASSERT_EQ(registered.load(), kAddresses * kPerAddress) << server.dump();
    {
        // The answer the flood asks for: about 1.5 MiB.
        int fd = connect_from(attacker(0), port);
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(send_line(fd, kDiscover));
        std::string answer;
        timeval tv{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[65536];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
            answer.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        EXPECT_GT(answer.size(), 1'500'000u);
        // The registrations came from parallel threads: any attacker address may be first.
        EXPECT_EQ(answer.rfind(R"({"status":"OK","peers":[{"ip":"127.0.1.)", 0), 0u)
            << answer.substr(0, 200);
    }

    const std::string honest =
        R"({"type":"REGISTER","namespace":"CIC","name":"honest","port":7070})";
    std::vector<double> waits_ms;
    {
        UnreadDiscovers flood(port);
        while (flood.sent() < kMaxUnread / 2)
            std::this_thread::sleep_for(1ms);
        for (int i = 0; i < 20; ++i) {
            auto start = Clock::now();
            auto reply = request_line(port, honest, 5s);
            waits_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            EXPECT_EQ(reply.value_or("<no reply in 5 s>"),
                      R"({"status":"OK","ttl":7200,"ip":"127.0.0.1","port":7070})");
            // Before the fix a REGISTER waited seconds: one such sample says enough.
            if (waits_ms.back() > 1000.0) break;
            std::this_thread::sleep_for(100ms);
        }
        EXPECT_GE(flood.sent(), kMaxUnread);
        // 640 clients holding unread answers cost the server no CPU: their sockets
        // are full, so nothing wakes it for them.
        flood.hold();
        std::this_thread::sleep_for(500ms);
        double before = cpu_seconds(server.pid());
        std::this_thread::sleep_for(1s);
        EXPECT_LT(cpu_seconds(server.pid()) - before, 0.05);
    }
    std::sort(waits_ms.begin(), waits_ms.end());
    double median = waits_ms[waits_ms.size() / 2];
    std::string all;
    for (double w : waits_ms)
        all += std::to_string(static_cast<int>(w)) + " ";
    RecordProperty("honest_register_median_ms", static_cast<int>(median));
    // The bound is on the median: this machine is shared with parallel builds, and
    // one sample can lose the CPU for longer than the server ever takes.
    EXPECT_LT(median, 100.0) << "honest REGISTER waits (ms): " << all;
    EXPECT_LT(waits_ms.back(), 1000.0) << "honest REGISTER waits (ms): " << all;
    EXPECT_EQ(waits_ms.size(), 20u);
    std::printf("honest REGISTER waits (ms, sorted): %s\n", all.c_str());
}

}  // namespace
}  // namespace p2p::test
