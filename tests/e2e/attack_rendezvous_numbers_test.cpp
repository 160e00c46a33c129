// Attack 9 of the hostile-input review: numbers in rendezvous answers that
// overflow. ttl = INT64_MAX made the node re-REGISTER 20 times in 4 s and
// never DISCOVER; expires_in = 1e16 made a discovered peer expire at once.
// Against a fake server answering such numbers (huge, negative, beyond 64
// bits, tiny), the node keeps a sane schedule: a few REGISTERs in 5 s,
// DISCOVERs happen, the listed peer is dialed and does not expire.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_rendezvous.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

struct Case {
    const char* ttl;         // in the REGISTER answer and in the entry
    const char* expires_in;  // in the DISCOVER entry
};

// One node against one fake server, all cases at once to bound the time.
struct NodeRun {
    Case c;
    RawListener bob_port;
    std::unique_ptr<FakeRendezvous> fake;
    NodeProcess node;
    std::optional<RawPeer> bob;
};

TEST(Attack09_RendezvousNumbers, NodeKeepsASaneScheduleAndDoesNotExpirePeers) {
    const Case cases[] = {
        {"9223372036854775807", "1e16"},
        {"-9223372036854775808", "-1e18"},
        {"18446744073709551616", "9223372036854775807"},
        {"1e300", "99999999999999999999"},
        {"1", "-1"},
    };
    std::vector<std::unique_ptr<NodeRun>> runs;
    for (const Case& c : cases) {
        auto run = std::make_unique<NodeRun>();
        run->c = c;
        ASSERT_TRUE(run->bob_port.ok());
        std::string entry = R"({"ip":"127.0.0.1","port":)" + std::to_string(run->bob_port.port()) +
                            R"(,"name":"bob","namespace":"CIC","ttl":)" + c.ttl +
                            R"(,"expires_in":)" + c.expires_in + "}";
        std::string ttl = c.ttl;
        run->fake = std::make_unique<FakeRendezvous>([ttl, entry](const std::string& type) {
            if (type == "REGISTER")
                return R"({"status":"OK","ttl":)" + ttl + R"(,"ip":"127.0.0.1","port":1})";
            if (type == "DISCOVER") return R"({"status":"OK","peers":[)" + entry + "]}";
            return std::string(R"({"status":"OK"})");
        });
        ASSERT_TRUE(run->fake->ok());
        NodeConfig nc;
        nc.name = "alice";
        nc.rendezvous_port = run->fake->port();
        nc.extra_args = {"--log-level", "INFO"};
        std::string err;
        ASSERT_TRUE(run->node.start(nc, &err)) << err;
        runs.push_back(std::move(run));
    }
    auto start = std::chrono::steady_clock::now();
    for (auto& run : runs) {
        run->bob = run->bob_port.accept(10s);
        ASSERT_TRUE(run->bob) << run->c.ttl << ": the node dialed no one\n" << run->node.dump();
        EXPECT_TRUE(run->bob->accept_hello("bob@CIC")) << run->c.ttl;
    }
    std::this_thread::sleep_until(start + 5s);
    for (auto& run : runs) {
        const char* ttl = run->c.ttl;
        int registers = run->fake->count("REGISTER");
        EXPECT_GE(registers, 1) << ttl;
        EXPECT_LE(registers, 2) << ttl << ": REGISTER storm\n" << run->node.dump();
        EXPECT_GE(run->fake->count("DISCOVER"), 2) << ttl << "\n" << run->node.dump();
        EXPECT_FALSE(run->node.proc().has_line(std::regex("bob@CIC expired"), Stream::kStderr))
            << ttl << " / " << run->c.expires_in << "\n"
            << run->node.dump();
        EXPECT_TRUE(run->node.saw("^link bob@CIC up")) << ttl << "\n" << run->node.dump();
    }
}

}  // namespace
}  // namespace p2p::test
