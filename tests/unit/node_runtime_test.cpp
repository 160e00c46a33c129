// Two NodeRuntimes in one process on one real EventLoop, over loopback:
// one serves the rendezvous in-process, both register, discover each other,
// link, exchange a SEND and its ACK; a shutdown says BYE and UNREGISTERs.
#include "shell/runtime/node_runtime.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "platform/event_loop.h"
#include "platform/net.h"
#include "tests/support/loop_wait.h"

namespace p2p::shell {
namespace {

struct Recorder final : NodeRuntimeListener {
    struct Event {
        EventKind kind;
        std::string peer_id, text, msg_id;
    };
    std::vector<Event> events;
    std::vector<std::string> info, rendezvous, errors;
    bool stopped = false;

    void on_node_event(const NodeEvent& e) override {
        events.push_back(
            {e.kind, std::string(e.peer_id), std::string(e.text), std::string(e.msg_id)});
    }
    void on_info(std::string_view text) override { info.emplace_back(text); }
    void on_rendezvous(std::string_view text) override { rendezvous.emplace_back(text); }
    void on_error(std::string_view text) override { errors.emplace_back(text); }
    void on_stopped() override { stopped = true; }

    int count(EventKind kind, std::string_view peer_id, std::string_view text = {}) const {
        int n = 0;
        for (const Event& e : events)
            if (e.kind == kind && e.peer_id == peer_id && (text.empty() || e.text == text)) ++n;
        return n;
    }
    bool said(std::string_view prefix) const {
        for (const std::string& line : rendezvous)
            if (line.rfind(prefix, 0) == 0) return true;
        return false;
    }
};

NodeRuntimeSettings loopback_settings(const std::string& name, std::uint64_t seed) {
    NodeRuntimeSettings s;
    s.engine.name = name;
    s.engine.ns = "T";
    s.engine.seed = seed;
    s.client_seed = seed + 1;
    EXPECT_TRUE(platform::parse_numeric_addr("127.0.0.1", 0, s.listen));
    // The first DISCOVER may come before the other node registered: ask
    // again soon rather than after the default 15 s.
    s.client.discovery_interval_ms = 200;
    return s;
}

bool connected(const Node& node, std::string_view peer_id) {
    PeerView v;
    for (std::size_t i = 0; i < node.peer_slots(); ++i)
        if (node.peer_view(i, v) && v.peer_id == peer_id) return v.state == PeerState::kConnected;
    return false;
}

bool peer_view(const Node& node, std::string_view peer_id, PeerView& out) {
    for (std::size_t i = 0; i < node.peer_slots(); ++i)
        if (node.peer_view(i, out) && out.peer_id == peer_id) return true;
    return false;
}

struct NodeRuntimePair : ::testing::Test {
    platform::EventLoop loop;
    Recorder alice_log, bob_log;
    std::unique_ptr<NodeRuntime> alice, bob;

    void SetUp() override {
        NodeRuntimeSettings a = loopback_settings("alice", 11);
        a.serve = ServeRendezvous::kYes;
        ASSERT_TRUE(platform::parse_numeric_addr("127.0.0.1", 0, a.serve_at));
        alice = std::make_unique<NodeRuntime>(loop, std::move(a), alice_log);
        std::string error;
        ASSERT_TRUE(alice->start(&error)) << error;
        ASSERT_TRUE(alice->serving_rendezvous());
        ASSERT_NE(alice->listen_port(), 0);

        NodeRuntimeSettings b = loopback_settings("bob", 21);
        b.rendezvous = alice->rendezvous_target();
        bob = std::make_unique<NodeRuntime>(loop, std::move(b), bob_log);
        ASSERT_TRUE(bob->start(&error)) << error;
    }
    void TearDown() override {
        bob.reset();
        alice.reset();
    }
};

TEST_F(NodeRuntimePair, RegisterDiscoverLinkAndExchangeASendWithItsAck) {
    EXPECT_EQ(alice->rendezvous_target().host, "127.0.0.1");
    ASSERT_TRUE(test::run_until(loop, [&] {
        return alice->rendezvous_client()->registered() && bob->rendezvous_client()->registered();
    }));
    EXPECT_TRUE(alice_log.said("registered alice@T port"));
    EXPECT_TRUE(bob_log.said("registered bob@T port"));
    ASSERT_TRUE(test::run_until(
        loop,
        [&] { return connected(alice->node(), "bob@T") && connected(bob->node(), "alice@T"); }))
        << "alice: " << alice->node().peer_count() << " peers, bob: " << bob->node().peer_count();
    EXPECT_TRUE(bob_log.said("discovered 1 peer"));

    SendResult sent = alice->node().send("bob@T", "hello over loopback");
    ASSERT_EQ(sent.status, SendStatus::kQueued);
    ASSERT_TRUE(test::run_until(loop, [&] {
        for (const Recorder::Event& e : alice_log.events)
            if (e.kind == EventKind::kDelivered && e.msg_id == sent.msg_id) return true;
        return false;
    }));
    EXPECT_EQ(bob_log.count(EventKind::kMsg, "alice@T", "hello over loopback"), 1);
    EXPECT_TRUE(alice_log.errors.empty());
    EXPECT_TRUE(bob_log.errors.empty());
}

TEST_F(NodeRuntimePair, ShutdownSaysByeThenUnregisters) {
    ASSERT_TRUE(test::run_until(loop, [&] {
        return connected(alice->node(), "bob@T") && connected(bob->node(), "alice@T");
    }));
    bob->shutdown();
    EXPECT_TRUE(bob->shutting_down());
    // Well within the 8 s deadline: BYE_OK comes at once, UNREGISTER is one request.
    ASSERT_TRUE(test::run_until(
        loop, [&] { return bob_log.stopped; }, 4000));
    EXPECT_TRUE(bob_log.said("unregistered")) << "the in-process server accepted the UNREGISTER";
    EXPECT_FALSE(bob_log.said("unregister failed"));
    EXPECT_TRUE(bob->rendezvous_client()->done());
    EXPECT_EQ(bob->node().link_count(), 0u);
    PeerView v;
    ASSERT_TRUE(test::run_until(
        loop, [&] { return peer_view(alice->node(), "bob@T", v) && v.state == PeerState::kGone; }));
    EXPECT_TRUE(v.said_bye) << "bob left with BYE, not a lost link";
}

TEST(NodeRuntime, ListenFailureIsAStartError) {
    platform::EventLoop loop;
    Recorder first_log, second_log;
    NodeRuntimeSettings first = loopback_settings("first", 1);
    first.rendezvous = {"127.0.0.1", 9};  // nobody there: its failures are not the point
    NodeRuntime a(loop, std::move(first), first_log);
    std::string error;
    ASSERT_TRUE(a.start(&error)) << error;
    NodeRuntimeSettings second = loopback_settings("second", 2);
    ASSERT_TRUE(platform::parse_numeric_addr("127.0.0.1", a.listen_port(), second.listen));
    NodeRuntime b(loop, std::move(second), second_log);
    EXPECT_FALSE(b.start(&error));
    EXPECT_EQ(error.rfind("cannot listen on 127.0.0.1:", 0), 0u) << error;
}

}  // namespace
}  // namespace p2p::shell
