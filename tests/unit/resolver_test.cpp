// platform/resolver: numeric and "localhost" answers, the worker thread with
// an injected slow lookup (timers keep firing meanwhile), cancellation,
// bounds. No test depends on external DNS.
#include "platform/resolver.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/loop_wait.h"

namespace p2p::platform {
namespace {

using test::run_until;
using test::thread_count;

struct Result {
    int calls = 0;
    bool ok = false;
    SockAddr addr;
    std::string error;
    Resolver::Callback cb() {
        return [this](bool k, const SockAddr& a, const std::string& e) {
            ++calls;
            ok = k;
            addr = a;
            error = e;
        };
    }
};

// A lookup that blocks its (worker) thread until the test opens the gate.
struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    std::atomic<int> entered{0};
    void release() {
        std::lock_guard<std::mutex> lock(mu);
        open = true;
        cv.notify_all();
    }
    Resolver::LookupFn fn(const std::shared_ptr<Gate>& self) {
        return
            [self](const std::string& host, std::uint16_t port, SockAddr& out, std::string& err) {
                self->entered++;
                std::unique_lock<std::mutex> lock(self->mu);
                self->cv.wait(lock, [&] { return self->open; });
                if (host == "fails.invalid") {
                    err = "cannot resolve " + host + ": no such host";
                    return false;
                }
                return parse_numeric_addr("10.1.2.3", port, out);
            };
    }
};

struct Ticker final : TimerHandler {
    EventLoop& loop;
    int ticks = 0;
    explicit Ticker(EventLoop& l) : loop(l) {}
    void on_timer(std::uint64_t) override {
        ++ticks;
        loop.schedule_in(5, this, 0);
    }
};

TEST(Resolver, NumericIsAnsweredLaterOnTheLoopWithoutAThread) {
    EventLoop loop;
    Resolver r(loop);
    int threads_before = thread_count();
    Result v4, v6;
    r.resolve("127.0.0.1", 8080, v4.cb());
    r.resolve("::1", 7070, v6.cb());
    EXPECT_EQ(v4.calls, 0) << "never called from inside resolve()";
    ASSERT_TRUE(run_until(loop, [&] { return v4.calls && v6.calls; }));
    EXPECT_TRUE(v4.ok);
    EXPECT_EQ(v4.addr.to_string(), "127.0.0.1:8080");
    EXPECT_TRUE(v6.ok);
    EXPECT_EQ(v6.addr.to_string(), "[::1]:7070");
    EXPECT_EQ(thread_count(), threads_before);
    loop.run_once(10);
    EXPECT_EQ(v4.calls, 1);
}

TEST(Resolver, LocalhostResolvesToLoopbackThroughTheWorker) {
    EventLoop loop;
    Resolver r(loop);
    Result res;
    r.resolve("localhost", 9000, res.cb());
    EXPECT_EQ(res.calls, 0);
    ASSERT_TRUE(run_until(
        loop, [&] { return res.calls > 0; }, 10000));
    ASSERT_TRUE(res.ok) << res.error;
    EXPECT_EQ(res.addr.port(), 9000);
    char ip[64];
    std::string text = res.addr.ip(ip, sizeof ip);
    EXPECT_TRUE(text == "127.0.0.1" || text == "::1") << text;
}

TEST(Resolver, EmptyHostFailsAsynchronously) {
    EventLoop loop;
    Resolver r(loop);
    Result res;
    r.resolve("", 1, res.cb());
    EXPECT_EQ(res.calls, 0);
    ASSERT_TRUE(run_until(loop, [&] { return res.calls > 0; }));
    EXPECT_FALSE(res.ok);
    EXPECT_FALSE(res.error.empty());
}

TEST(Resolver, TimersKeepFiringWhileALookupIsSlow) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    Resolver r(loop, gate->fn(gate));
    Result res;
    r.resolve("slow.example", 4242, res.cb());
    Ticker ticker(loop);
    loop.schedule_in(5, &ticker, 0);
    // The loop goes on ticking while the worker is stuck in the lookup.
    ASSERT_TRUE(run_until(loop, [&] { return ticker.ticks >= 10; }));
    EXPECT_EQ(gate->entered.load(), 1);
    EXPECT_EQ(res.calls, 0);
    gate->release();
    ASSERT_TRUE(run_until(loop, [&] { return res.calls > 0; }));
    ASSERT_TRUE(res.ok) << res.error;
    EXPECT_EQ(res.addr.to_string(), "10.1.2.3:4242");
}

TEST(Resolver, LookupFailureCarriesTheText) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    gate->release();
    Resolver r(loop, gate->fn(gate));
    Result res;
    r.resolve("fails.invalid", 1, res.cb());
    ASSERT_TRUE(run_until(loop, [&] { return res.calls > 0; }));
    EXPECT_FALSE(res.ok);
    EXPECT_NE(res.error.find("fails.invalid"), std::string::npos) << res.error;
}

TEST(Resolver, CancelledRequestIsNeverAnswered) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    Resolver r(loop, gate->fn(gate));
    Result cancelled, kept, numeric;
    Resolver::RequestId a = r.start("one.example", 1, cancelled.cb());
    r.start("two.example", 2, kept.cb());
    Resolver::RequestId n = r.start("127.0.0.1", 3, numeric.cb());
    EXPECT_NE(a, 0u);
    EXPECT_NE(a, n);
    r.cancel(a);
    r.cancel(n);
    r.cancel(12345);  // unknown: harmless
    gate->release();
    ASSERT_TRUE(run_until(loop, [&] { return kept.calls > 0; }));
    loop.run_once(20);
    EXPECT_EQ(cancelled.calls, 0);
    EXPECT_EQ(numeric.calls, 0);
    EXPECT_EQ(kept.addr.port(), 2);
}

TEST(Resolver, ManyLookupsEachAnsweredOnce) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    gate->release();
    Resolver r(loop, gate->fn(gate));
    std::vector<Result> results(40);
    for (std::size_t i = 0; i < results.size(); ++i) {
        r.resolve("host" + std::to_string(i), static_cast<std::uint16_t>(1000 + i),
                  results[i].cb());
    }
    ASSERT_TRUE(run_until(loop, [&] {
        for (auto& x : results) {
            if (x.calls == 0) return false;
        }
        return true;
    }));
    loop.run_once(10);
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i].calls, 1);
        EXPECT_EQ(results[i].addr.port(), 1000 + i);
    }
}

TEST(Resolver, QueueIsBounded) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    Resolver r(loop, gate->fn(gate));
    std::vector<Result> results(Resolver::kMaxPending + 3);
    for (std::size_t i = 0; i < results.size(); ++i) {
        r.resolve("h" + std::to_string(i), 1, results[i].cb());
    }
    // The overflow is refused at once (asynchronously), the rest wait.
    ASSERT_TRUE(run_until(loop, [&] { return results.back().calls > 0; }));
    for (std::size_t i = Resolver::kMaxPending; i < results.size(); ++i) {
        EXPECT_EQ(results[i].calls, 1);
        EXPECT_FALSE(results[i].ok);
        EXPECT_NE(results[i].error.find("busy"), std::string::npos) << results[i].error;
    }
    EXPECT_EQ(results[0].calls, 0);
    gate->release();
    ASSERT_TRUE(run_until(loop, [&] { return results[Resolver::kMaxPending - 1].calls > 0; }));
    // Answers free the queue again.
    Result again;
    r.resolve("later", 5, again.cb());
    ASSERT_TRUE(run_until(loop, [&] { return again.calls > 0; }));
    EXPECT_TRUE(again.ok);
}

TEST(Resolver, DestroyedWhileALookupIsStuckNeitherBlocksNorCallsBack) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    Result res;
    {
        Resolver r(loop, gate->fn(gate));
        r.resolve("stuck.example", 1, res.cb());
        ASSERT_TRUE(run_until(loop, [&] { return gate->entered.load() == 1; }));
    }  // returns without waiting for the lookup
    gate->release();
    loop.run_once(50);
    EXPECT_EQ(res.calls, 0);
}

TEST(Resolver, CallbackMayDestroyTheResolver) {
    EventLoop loop;
    auto r = std::make_unique<Resolver>(loop);
    int calls = 0;
    auto cb = [&](bool, const SockAddr&, const std::string&) {
        ++calls;
        r.reset();
    };
    r->resolve("127.0.0.1", 1, cb);
    r->resolve("127.0.0.2", 1, cb);  // same batch: must not run after the reset
    ASSERT_TRUE(run_until(loop, [&] { return calls > 0; }));
    loop.run_once(10);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(r, nullptr);
}

}  // namespace
}  // namespace p2p::platform
