// platform/connector: real loopback connects (numeric, by name through an
// injected lookup), refusal, timeouts, cancellation, and re-entrancy.
#include "platform/connector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/loop_wait.h"

namespace p2p::platform {
namespace {

using test::open_fds;
using test::run_until;

struct Listener {
    int fd = -1;
    SockAddr addr;
    Listener() {
        SockAddr any;
        EXPECT_TRUE(parse_numeric_addr("127.0.0.1", 0, any));
        std::string err;
        fd = tcp_listen(any, 128, &err);
        EXPECT_GE(fd, 0) << err;
        addr = local_addr(fd);
    }
    ~Listener() { close_fd(fd); }
};

struct Outcome {
    int calls = 0;
    int fd = -2;
    std::string error;
    TcpConnector::Callback cb() {
        return [this](int f, const std::string& e) {
            ++calls;
            fd = f;
            error = e;
        };
    }
    ~Outcome() {
        if (fd >= 0) close_fd(fd);
    }
};

// Lookups that map names to 127.0.0.1 but wait at a gate first.
struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    void release() {
        std::lock_guard<std::mutex> lock(mu);
        open = true;
        cv.notify_all();
    }
    static Resolver::LookupFn fn(const std::shared_ptr<Gate>& g) {
        return [g](const std::string& host, std::uint16_t port, SockAddr& out, std::string& err) {
            std::unique_lock<std::mutex> lock(g->mu);
            g->cv.wait(lock, [&] { return g->open; });
            if (host == "nowhere.test") {
                err = "cannot resolve nowhere.test: no such host";
                return false;
            }
            return parse_numeric_addr("127.0.0.1", port, out);
        };
    }
};

TEST(TcpConnector, ConnectsToANumericHost) {
    EventLoop loop;
    Resolver resolver(loop);
    Listener l;
    TcpConnector c(loop, resolver);
    Outcome o;
    ASSERT_TRUE(c.connect("127.0.0.1", l.addr.port(), 2000, o.cb()));
    EXPECT_TRUE(c.busy());
    EXPECT_EQ(o.calls, 0) << "never answers from inside connect()";
    EXPECT_FALSE(c.connect("127.0.0.1", l.addr.port(), 2000, o.cb())) << "one attempt at a time";
    ASSERT_TRUE(run_until(loop, [&] { return o.calls > 0; }));
    ASSERT_GE(o.fd, 0) << o.error;
    EXPECT_TRUE(o.error.empty());
    EXPECT_FALSE(c.busy());
    EXPECT_EQ(peer_addr(o.fd).to_string(), l.addr.to_string());
    // It is a working connection.
    int s = tcp_accept(l.fd, nullptr);
    ASSERT_GE(s, 0);
    iovec iov{const_cast<char*>("ping\n"), 5};
    std::size_t n = 0;
    ASSERT_EQ(sock_writev(o.fd, &iov, 1, &n), IoResult::kOk);
    char buf[8];
    ASSERT_TRUE(
        run_until(loop, [&] { return sock_read(s, buf, sizeof buf, &n) == IoResult::kOk; }));
    EXPECT_EQ(std::string(buf, n), "ping\n");
    close_fd(s);
    loop.run_once(10);
    EXPECT_EQ(o.calls, 1);
}

TEST(TcpConnector, ConnectsByNameThroughTheResolver) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    gate->release();
    Resolver resolver(loop, Gate::fn(gate));
    Listener l;
    TcpConnector c(loop, resolver);
    Outcome o;
    ASSERT_TRUE(c.connect("peer.test", l.addr.port(), 2000, o.cb()));
    ASSERT_TRUE(run_until(loop, [&] { return o.calls > 0; }));
    EXPECT_GE(o.fd, 0) << o.error;
}

TEST(TcpConnector, ConnectsToASockAddr) {
    EventLoop loop;
    Resolver resolver(loop);
    Listener l;
    TcpConnector c(loop, resolver);
    Outcome o;
    ASSERT_TRUE(c.connect(l.addr, 2000, o.cb()));
    EXPECT_EQ(o.calls, 0);
    ASSERT_TRUE(run_until(loop, [&] { return o.calls > 0; }));
    EXPECT_GE(o.fd, 0) << o.error;
}

TEST(TcpConnector, RefusedNamesTheTarget) {
    EventLoop loop;
    Resolver resolver(loop);
    SockAddr target;
    {
        Listener gone;
        target = gone.addr;
    }  // closed: nothing listens there any more
    TcpConnector c(loop, resolver);
    Outcome o;
    ASSERT_TRUE(c.connect("127.0.0.1", target.port(), 2000, o.cb()));
    ASSERT_TRUE(run_until(loop, [&] { return o.calls > 0; }));
    EXPECT_EQ(o.fd, -1);
    EXPECT_NE(o.error.find(target.to_string()), std::string::npos) << o.error;
    EXPECT_NE(o.error.find("refused"), std::string::npos) << o.error;
}

TEST(TcpConnector, ResolveFailureIsReported) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    gate->release();
    Resolver resolver(loop, Gate::fn(gate));
    TcpConnector c(loop, resolver);
    Outcome o;
    ASSERT_TRUE(c.connect("nowhere.test", 1, 2000, o.cb()));
    ASSERT_TRUE(run_until(loop, [&] { return o.calls > 0; }));
    EXPECT_EQ(o.fd, -1);
    EXPECT_NE(o.error.find("nowhere.test"), std::string::npos) << o.error;
}

TEST(TcpConnector, TimesOutWhileTheLookupHangs) {
    EventLoop loop;
    auto gate = std::make_shared<Gate>();
    Resolver resolver(loop, Gate::fn(gate));
    TcpConnector c(loop, resolver);
    Outcome o;
    MonoMs start = loop.now();
    ASSERT_TRUE(c.connect("slow.test", 7070, 80, o.cb()));
    ASSERT_TRUE(run_until(loop, [&] { return o.calls > 0; }));
    EXPECT_GE(loop.now() - start, 80);
    EXPECT_EQ(o.fd, -1);
    EXPECT_NE(o.error.find("timed out"), std::string::npos) << o.error;
    EXPECT_NE(o.error.find("slow.test:7070"), std::string::npos) << o.error;
    gate->release();  // the late answer must not produce a second callback
    loop.run_once(50);
    loop.run_once(10);
    EXPECT_EQ(o.calls, 1);
}

TEST(TcpConnector, CancelMeansNoCallbackAndNoLeakedFd) {
    EventLoop loop;
    Resolver resolver(loop);
    Listener l;
    loop.run_once(0);
    int before = open_fds();
    Outcome o;
    {
        TcpConnector c(loop, resolver);
        ASSERT_TRUE(c.connect("127.0.0.1", l.addr.port(), 2000, o.cb()));
        c.cancel();
        EXPECT_FALSE(c.busy());
        // Reusable after a cancel.
        ASSERT_TRUE(c.connect(l.addr, 2000, o.cb()));
    }  // destroyed mid-attempt: cancels too
    for (int i = 0; i < 5; ++i)
        loop.run_once(10);
    EXPECT_EQ(o.calls, 0);
    EXPECT_EQ(open_fds(), before);
}

TEST(TcpConnector, CallbackMayReconnectOrDestroyTheConnector) {
    EventLoop loop;
    Resolver resolver(loop);
    Listener l;
    auto c = std::make_unique<TcpConnector>(loop, resolver);
    std::vector<int> fds;
    TcpConnector::Callback second = [&](int fd, const std::string&) {
        fds.push_back(fd);
        c.reset();  // destroy from inside its own callback
    };
    ASSERT_TRUE(c->connect(l.addr, 2000, [&](int fd, const std::string&) {
        fds.push_back(fd);
        EXPECT_TRUE(c->connect(l.addr, 2000, second));
    }));
    ASSERT_TRUE(run_until(loop, [&] { return fds.size() == 2; }));
    EXPECT_EQ(c, nullptr);
    for (int fd : fds) {
        EXPECT_GE(fd, 0);
        close_fd(fd);
    }
}

TEST(TcpConnector, ManyAtOnce) {
    EventLoop loop;
    Resolver resolver(loop);
    Listener l;
    constexpr int kCount = 50;
    std::vector<std::unique_ptr<TcpConnector>> cs;
    std::vector<Outcome> outcomes(kCount);
    for (int i = 0; i < kCount; ++i) {
        cs.push_back(std::make_unique<TcpConnector>(loop, resolver));
        ASSERT_TRUE(cs.back()->connect("127.0.0.1", l.addr.port(), 5000, outcomes[i].cb()));
    }
    ASSERT_TRUE(run_until(loop, [&] {
        for (auto& o : outcomes) {
            if (!o.calls) return false;
        }
        return true;
    }));
    for (auto& o : outcomes)
        EXPECT_GE(o.fd, 0) << o.error;
}

}  // namespace
}  // namespace p2p::platform
