// Attack 5 of the hostile-input review: one REGISTER with a lone surrogate
// escape ("\udc00") broke discovery for every p2pchat node on that server.
// RapidJSON decoded it to surrogate bytes, the registry stored and listed
// them, and each node rejected the whole DISCOVER answer and dialed no one.
//   - the real `p2pchat rendezvous` refuses such a name (bad_name /
//     bad_namespace) and two real nodes registered there still meet;
//   - a server that already lists a poisoned entry (an older p2pchat server,
//     raw bytes; or any server, escaped) costs the node only that entry: it
//     dials the good ones.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/text.h"
#include "tests/support/fake_rendezvous.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

TEST(Attack05_LoneSurrogate, ServerRefusesTheNameAndNodesStillMeet) {
    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err)) << err;
    auto name = request_line(
        rdv.port(), R"({"type":"REGISTER","namespace":"CIC","name":"evil\udc00","port":9})");
    ASSERT_TRUE(name);
    EXPECT_EQ(*name, R"({"status":"ERROR","message":"bad_name"})");
    auto ns = request_line(rdv.port(),
                           R"({"type":"REGISTER","namespace":"C\udfffC","name":"evil","port":9})");
    ASSERT_TRUE(ns);
    EXPECT_EQ(*ns, R"({"status":"ERROR","message":"bad_namespace"})");

    NodeConfig a, b;
    a.name = "alice";
    b.name = "bob";
    a.rendezvous_port = b.rendezvous_port = rdv.port();
    NodeProcess alice, bob;
    ASSERT_TRUE(alice.start(a, &err)) << err;
    ASSERT_TRUE(bob.start(b, &err)) << err;
    EXPECT_TRUE(alice.wait_link_up("bob@CIC")) << alice.dump() << rdv.dump();
    EXPECT_TRUE(bob.wait_link_up("alice@CIC")) << bob.dump();

    auto listing = request_line(rdv.port(), R"({"type":"DISCOVER"})");
    ASSERT_TRUE(listing);
    EXPECT_TRUE(is_valid_utf8(*listing)) << *listing;
    EXPECT_EQ(listing->find("evil"), std::string::npos) << *listing;
}

TEST(Attack05_LoneSurrogate, NodeSkipsAPoisonedEntryAndDialsTheOthers) {
    RawListener bob_port, carol_port;
    ASSERT_TRUE(bob_port.ok() && carol_port.ok());
    auto entry = [](std::string_view name, std::uint16_t port) {
        return R"({"ip":"127.0.0.1","port":)" + std::to_string(port) + R"(,"name":")" +
               std::string(name) + R"(","namespace":"CIC","ttl":7200,"expires_in":7000})";
    };
    // What an older p2pchat server listed after the attack (the surrogate's
    // raw bytes ED B0 80), plus the same escaped, around two honest peers.
    std::string peers = entry("evil\xed\xb0\x80", 9) + "," + entry("bob", bob_port.port()) + "," +
                        entry(R"(esc\udc00)", 9) + "," + entry("carol", carol_port.port());
    FakeRendezvous fake([&](const std::string& type) -> std::string {
        if (type == "REGISTER") return R"({"status":"OK","ttl":7200,"ip":"127.0.0.1","port":1})";
        if (type == "DISCOVER") return R"({"status":"OK","peers":[)" + peers + "]}";
        return R"({"status":"OK"})";
    });
    ASSERT_TRUE(fake.ok());

    NodeConfig c;
    c.name = "alice";
    c.rendezvous_port = fake.port();
    NodeProcess alice;
    std::string err;
    ASSERT_TRUE(alice.start(c, &err)) << err;

    auto bob = bob_port.accept(10s);
    ASSERT_TRUE(bob) << "the node dialed no one: " << alice.dump();
    EXPECT_TRUE(bob->accept_hello("bob@CIC"));
    auto carol = carol_port.accept(10s);
    ASSERT_TRUE(carol) << alice.dump();
    EXPECT_TRUE(carol->accept_hello("carol@CIC"));
    EXPECT_TRUE(alice.wait_link_up("bob@CIC")) << alice.dump();
    EXPECT_TRUE(alice.wait_link_up("carol@CIC")) << alice.dump();

    // The skipped entries were logged, escaped: nothing we wrote is invalid UTF-8.
    EXPECT_TRUE(alice.proc().has_line(std::regex("skipping DISCOVER entry"), Stream::kStderr))
        << alice.dump();
    for (const std::string& line : alice.proc().lines(Stream::kStderr))
        EXPECT_TRUE(is_valid_utf8(line)) << line;
    for (const std::string& line : alice.proc().lines(Stream::kStdout))
        EXPECT_TRUE(is_valid_utf8(line)) << line;
}

}  // namespace
}  // namespace p2p::test
