// The connection layer's contract (platform/connection.h), one suite run three ways: a
// line connection, a raw one, and a line connection through the pass-through transform.
// Every variant records what it received in one text form (a raw owner frames the bytes
// itself), so the same expectations hold for all three. Real sockets on a real loop.
#include "platform/connection.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "platform/net.h"
#include "platform/secure_transform.h"
#include "tests/support/loop_wait.h"
#include "tests/unit/socket_peer.h"

namespace p2p::platform {
namespace {

using test::run_until;

constexpr std::size_t kLineLimit = 64;
constexpr std::size_t kReadCap = 4096;

// kSecured: the secured-link channel (platform/secure_transform.h) before the engine
// secures the link, which must be the identity as PassThrough is.
enum class Variant { kLines, kRaw, kTransformed, kSecured };

// A line connection over the given buffers (kReadCap + 1 and kLineLimit + 1 bytes).
ConnectionConfig line_config(char* read_buf, char* line_buf) {
    ConnectionConfig config;
    config.read_buf = read_buf;
    config.read_cap = kReadCap;
    config.framing = Framing::kLines;
    config.line_buf = line_buf;
    config.line_limit = kLineLimit;
    return config;
}

std::string variant_name(const testing::TestParamInfo<Variant>& info) {
    switch (info.param) {
        case Variant::kLines:
            return "Lines";
        case Variant::kRaw:
            return "Raw";
        case Variant::kTransformed:
            return "PassThrough";
        case Variant::kSecured:
            return "SecureTransform";
    }
    return "?";
}

class Owner final : public ConnectionOwner {
  public:
    explicit Owner(Variant v) : raw_(v == Variant::kRaw), framer_(partial_, kLineLimit) {}

    void on_bytes(Connection&, char* data, std::size_t len) override {
        ++reads;
        // The raw owner frames what it got the same way, so the suite's
        // expectations are one text for every variant.
        framer_.feed(data, len, [&](LineFramer::Event ev, char* line, std::size_t n) {
            record(ev == LineFramer::Event::kTooLong ? nullptr : line, n);
        });
    }
    std::size_t read_room(Connection&) override { return room; }
    void on_line(Connection&, char* line, std::size_t len) override {
        ASSERT_FALSE(raw_);
        EXPECT_EQ(line[len], '\0');
        record(line, len);
    }
    void on_line_too_long(Connection&) override {
        ASSERT_FALSE(raw_);
        record(nullptr, 0);
    }
    void on_eof(Connection& c) override {
        ++eofs;
        std::size_t len = 0;
        if (char* p = c.partial_line(&len)) partial.assign(p, len);
        if (eof_answer.empty()) {
            c.close(CloseReason::kPeerClosed);
            return;
        }
        c.write(eof_answer);  // half-close: the peer still reads
        c.close_when_flushed(CloseReason::kByOwner);
    }
    void on_closed(Connection&, CloseReason reason) override { reasons.push_back(reason); }

    std::string text;  // "line|" per line, "<long>|" per line too long
    std::string partial;
    std::vector<CloseReason> reasons;
    std::string eof_answer;
    std::size_t room = static_cast<std::size_t>(-1);
    int eofs = 0;
    int reads = 0;

  private:
    void record(const char* line, std::size_t len) {
        text += line ? std::string(line, len) : std::string("<long>");
        text += '|';
    }
    bool raw_;
    char partial_[kLineLimit + 1];
    LineFramer framer_;
};

class ConnectionContract : public testing::TestWithParam<Variant> {
  protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        peer.fd = fds[1];
        conn.setup(loop, owner, variant_config());
        ASSERT_TRUE(conn.open(fds[0]));
    }
    // The configuration of this run's variant.
    ConnectionConfig variant_config() {
        ConnectionConfig config = line_config(read_buf, line_buf);
        if (GetParam() == Variant::kRaw) config.framing = Framing::kRaw;
        config.max_output = 64 * 1024;
        if (GetParam() == Variant::kTransformed) config.transform = &pass;
        if (GetParam() == Variant::kSecured) config.transform = &secure;
        return config;
    }
    // Runs the loop for `turns` iterations that do not wait long.
    void spin(int turns = 5) {
        for (int i = 0; i < turns; ++i)
            loop.run_once(5);
    }
    bool wait_text(const std::string& want) {
        return run_until(
            loop, [&] { return owner.text == want; }, 3000);
    }
    // Writes until the socket buffer (ours and the peer's) is full.
    void fill_kernel() {
        std::string chunk(8192, 'x');
        for (int i = 0; i < 10000 && !conn.write_blocked(); ++i)
            ASSERT_TRUE(conn.write(chunk));
        ASSERT_TRUE(conn.write_blocked());
    }

    EventLoop loop;
    Owner owner{GetParam()};
    PassThrough pass;
    NoiseCredentials credentials = [] {
        if (sodium_init() < 0) std::abort();
        std::uint8_t seed[kIdentitySeedBytes] = {1};
        noise::Key s;
        s.fill(2);
        return make_credentials(identity_from_seed(seed), s);
    }();
    SecureTransform secure{&credentials};
    char read_buf[kReadCap + 1];
    char line_buf[kLineLimit + 1];
    Connection conn;
    SocketPeer peer;
};

TEST_P(ConnectionContract, LinesSplitAcrossReadsAreJoined) {
    peer.send("hel");
    spin();
    EXPECT_EQ(owner.text, "");
    peer.send("lo\nwor");
    ASSERT_TRUE(wait_text("hello|"));
    peer.send("ld\r\n\nlast\n");
    EXPECT_TRUE(wait_text("hello|world||last|"));
    EXPECT_TRUE(owner.reasons.empty());
}

TEST_P(ConnectionContract, OversizedLineIsDroppedToItsNewlineWithOneError) {
    peer.send(std::string(kLineLimit + 10, 'a'));
    peer.send(std::string(3 * kLineLimit, 'b'));
    peer.send("still the long one\nok\n");
    EXPECT_TRUE(wait_text("<long>|ok|")) << owner.text;
    // A line of exactly the limit is a line.
    peer.send(std::string(kLineLimit, 'c') + "\r\n");
    EXPECT_TRUE(wait_text("<long>|ok|" + std::string(kLineLimit, 'c') + "|"));
    EXPECT_TRUE(conn.is_open());
}

TEST_P(ConnectionContract, EofClosesOnceWithThePartialLineAvailable) {
    peer.send("one\ntail");
    ::shutdown(peer.fd, SHUT_WR);
    ASSERT_TRUE(run_until(
        loop, [&] { return !owner.reasons.empty(); }, 3000));
    EXPECT_EQ(owner.text, "one|");
    EXPECT_EQ(owner.eofs, 1);
    if (GetParam() != Variant::kRaw) {
        EXPECT_EQ(owner.partial, "tail");
    }
    ASSERT_EQ(owner.reasons.size(), 1u);
    EXPECT_EQ(owner.reasons[0], CloseReason::kPeerClosed);
    EXPECT_FALSE(conn.is_open());
}

TEST_P(ConnectionContract, HalfClosedPeerStillGetsTheAnswer) {
    owner.eof_answer = "answer\n";
    peer.send("request\n");
    ::shutdown(peer.fd, SHUT_WR);
    ASSERT_TRUE(run_until(
        loop, [&] { return !owner.reasons.empty(); }, 3000));
    EXPECT_EQ(owner.text, "request|");
    bool eof = false;
    EXPECT_EQ(peer.drain(&eof), "answer\n");
    EXPECT_TRUE(eof);
    EXPECT_EQ(owner.reasons, std::vector<CloseReason>{CloseReason::kByOwner});
}

TEST_P(ConnectionContract, PeerThatStopsReadingIsClosedWithAReason) {
    fill_kernel();
    std::string chunk(8192, 'y');
    bool refused = false;
    for (int i = 0; i < 100 && !refused; ++i)
        refused = !conn.write(chunk);
    ASSERT_TRUE(refused) << "the own output buffer must be bounded";
    EXPECT_LE(conn.pending_output(), 64u * 1024);
    // write() never calls back: the close is reported from the loop.
    EXPECT_TRUE(owner.reasons.empty());
    EXPECT_FALSE(conn.write("more"));
    ASSERT_TRUE(run_until(
        loop, [&] { return !owner.reasons.empty(); }, 3000));
    spin();
    EXPECT_EQ(owner.reasons, std::vector<CloseReason>{CloseReason::kOutputFull});
}

TEST_P(ConnectionContract, WriteInterestIsInstalledOnlyWhileOutputWaits) {
    int fd = conn.fd();
    EXPECT_EQ(loop.watched_interest(fd), kIoRead);
    ASSERT_TRUE(conn.write("small\n"));  // goes out at once
    EXPECT_EQ(loop.watched_interest(fd), kIoRead);
    fill_kernel();
    EXPECT_EQ(loop.watched_interest(fd), kIoRead | kIoWrite);
    EXPECT_GT(conn.pending_output(), 0u);
    std::size_t got = 0;
    ASSERT_TRUE(run_until(
        loop,
        [&] {
            got += peer.drain().size();
            return conn.pending_output() == 0;
        },
        5000));
    EXPECT_FALSE(conn.write_blocked());
    EXPECT_EQ(loop.watched_interest(fd), kIoRead);
    EXPECT_TRUE(owner.reasons.empty());
}

TEST_P(ConnectionContract, PausedConnectionDeliversNothingUntilResumed) {
    conn.pause_reading(true);
    EXPECT_EQ(loop.watched_interest(conn.fd()), 0u);
    peer.send("a\nb\n");
    spin();
    EXPECT_EQ(owner.text, "");
    conn.pause_reading(false);
    EXPECT_EQ(owner.text, "") << "resuming must not call back from inside pause_reading()";
    EXPECT_TRUE(wait_text("a|b|"));
}

TEST_P(ConnectionContract, PauseMidReadHoldsTheRestInOrder) {
    // Lines after the one that made the owner pause stay held, in order.
    struct Pauser final : ConnectionOwner {
        Connection* conn = nullptr;
        std::string text;
        void on_line(Connection& c, char* line, std::size_t len) override {
            text.append(line, len).append("|");
            if (text == "1|") c.pause_reading(true);
        }
        void on_bytes(Connection& c, char* data, std::size_t len) override {
            // Raw: the owner takes at most read_room() and pauses itself.
            text.append(data, len);
            c.pause_reading(true);
        }
        std::size_t read_room(Connection& c) override { return c.reading_paused() ? 0 : 2; }
        void on_closed(Connection&, CloseReason) override {}
    } pauser;
    Connection c2;
    c2.setup(loop, pauser, variant_config());
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    ASSERT_TRUE(c2.open(fds[0]));
    ASSERT_EQ(::write(fds[1], "1\n2\n3\n", 6), 6);
    std::string first = GetParam() == Variant::kRaw ? "1\n" : "1|";
    ASSERT_TRUE(run_until(
        loop, [&] { return pauser.text == first; }, 3000));
    spin();
    EXPECT_EQ(pauser.text, first);
    c2.pause_reading(false);
    std::string all = GetParam() == Variant::kRaw ? "1\n2\n" : "1|2|3|";
    if (GetParam() == Variant::kRaw) {
        ASSERT_TRUE(run_until(
            loop, [&] { return pauser.text == all; }, 3000));
        c2.pause_reading(false);
        all = "1\n2\n3\n";
    }
    EXPECT_TRUE(run_until(
        loop, [&] { return pauser.text == all; }, 3000));
    ::close(fds[1]);
}

TEST_P(ConnectionContract, DeadlineFiresOnceAndCanBeMoved) {
    conn.set_deadline(loop.now() + 10'000);
    conn.set_deadline(loop.now() + 30);  // moved earlier: the old one must not fire
    ASSERT_TRUE(run_until(
        loop, [&] { return !owner.reasons.empty(); }, 3000));
    spin();
    EXPECT_EQ(owner.reasons, std::vector<CloseReason>{CloseReason::kTimeout});
}

TEST_P(ConnectionContract, CloseIsReportedExactlyOnce) {
    conn.close_soon(CloseReason::kWriteError);
    conn.close(CloseReason::kByOwner);
    conn.close(CloseReason::kHangup);
    conn.close_soon(CloseReason::kOutputFull);
    spin();
    EXPECT_EQ(owner.reasons, std::vector<CloseReason>{CloseReason::kByOwner});
    bool eof = false;
    peer.drain(&eof);
    EXPECT_TRUE(eof) << "the descriptor is closed";
    conn.discard();
    EXPECT_EQ(owner.reasons.size(), 1u);
}

TEST_P(ConnectionContract, ResetWhilePausedClosesWithHangup) {
    conn.pause_reading(true);
    ::close(peer.fd);
    peer.fd = -1;
    ASSERT_TRUE(run_until(
        loop, [&] { return !owner.reasons.empty(); }, 3000));
    EXPECT_EQ(owner.reasons, std::vector<CloseReason>{CloseReason::kHangup});
}

INSTANTIATE_TEST_SUITE_P(Variants, ConnectionContract,
                         testing::Values(Variant::kLines, Variant::kRaw, Variant::kTransformed,
                                         Variant::kSecured),
                         variant_name);

// ---- the transform slot ----------------------------------------------------------------

// A transform that changes the bytes both ways and speaks first: proves the slot sits
// between the socket and the framer in both directions.
class Rot1 final : public Transform {
  public:
    long inbound(char* buf, std::size_t len, std::size_t) override {
        for (std::size_t i = 0; i < len; ++i)
            if (buf[i] != '\n') buf[i] = static_cast<char>(buf[i] - 1);
        return static_cast<long>(len);
    }
    std::size_t outbound(const ByteSlice* plain, std::size_t n, ByteSlice* wire,
                         std::size_t max) override {
        std::size_t k = 0;
        if (!hello_sent_ && k < max) wire[k++] = ByteSlice{"HELLO\n", 6};
        scratch_.clear();
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < plain[i].len; ++j) {
                char ch = plain[i].data[j];
                scratch_ += ch == '\n' ? ch : static_cast<char>(ch + 1);
            }
        if (!scratch_.empty() && k < max) wire[k++] = ByteSlice{scratch_.data(), scratch_.size()};
        return k;
    }
    std::size_t sent(std::size_t wire_bytes) override {
        if (!hello_sent_) {
            hello_sent_ = true;  // the tests' socket buffers take 6 bytes whole
            wire_bytes -= 6;
        }
        return wire_bytes;
    }
    bool has_output() const override { return !hello_sent_; }

  private:
    bool hello_sent_ = false;
    std::string scratch_;
};

TEST(ConnectionTransform, SitsBetweenSocketAndFramerBothWays) {
    EventLoop loop;
    Owner owner(Variant::kLines);
    Rot1 rot;
    char read_buf[kReadCap + 1];
    char line_buf[kLineLimit + 1];
    ConnectionConfig config = line_config(read_buf, line_buf);
    config.transform = &rot;
    Connection conn(loop, owner, config);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    SocketPeer peer;
    peer.fd = fds[1];
    ASSERT_TRUE(conn.open(fds[0]));
    EXPECT_EQ(peer.drain(), "HELLO\n") << "the transform's own bytes go out at open()";
    peer.send("ifmmp\n");
    ASSERT_TRUE(run_until(
        loop, [&] { return owner.text == "hello|"; }, 3000));
    ASSERT_TRUE(conn.write("abc\n"));
    EXPECT_EQ(peer.drain(), "bcd\n");
}

// ---- closing from a line -------------------------------------------------------------

TEST(ConnectionLines, NothingIsFramedAfterTheOwnerClosesFromALine) {
    struct Closer final : ConnectionOwner {
        std::string text;
        int closed = 0;
        void on_line(Connection& c, char* line, std::size_t len) override {
            text.append(line, len).append("|");
            c.close(CloseReason::kByOwner);
        }
        void on_closed(Connection&, CloseReason) override { ++closed; }
    } closer;
    EventLoop loop;
    char read_buf[kReadCap + 1];
    char line_buf[kLineLimit + 1];
    std::memset(line_buf, '#', sizeof line_buf);
    Connection conn(loop, closer, line_config(read_buf, line_buf));
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    SocketPeer peer;
    peer.fd = fds[1];
    ASSERT_TRUE(conn.open(fds[0]));
    peer.send("first\nsecond\nunfinished");
    ASSERT_TRUE(run_until(
        loop, [&] { return closer.closed == 1; }, 3000));
    EXPECT_EQ(closer.text, "first|");
    // The owner may have handed the line buffer's pages back in on_closed: the rest of
    // the read must not be copied there.
    EXPECT_EQ(std::string(line_buf, sizeof line_buf), std::string(sizeof line_buf, '#'));
}

// ---- not a socket ---------------------------------------------------------------------

TEST(ConnectionPipe, ReadsLinesAndEofFromAPipe) {
    EventLoop loop;
    Owner owner(Variant::kLines);
    char read_buf[kReadCap + 1];
    char line_buf[kLineLimit + 1];
    ConnectionConfig config = line_config(read_buf, line_buf);
    Connection conn(loop, owner, config);
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    ASSERT_TRUE(conn.open(fds[0]));
    ASSERT_EQ(::write(fds[1], "one\ntwo", 7), 7);
    ::close(fds[1]);
    ASSERT_TRUE(run_until(
        loop, [&] { return !owner.reasons.empty(); }, 3000));
    EXPECT_EQ(owner.text, "one|");
    EXPECT_EQ(owner.partial, "two");
    EXPECT_EQ(owner.reasons, std::vector<CloseReason>{CloseReason::kPeerClosed});
}

// ---- owner output ------------------------------------------------------------------------

// A raw connection whose output comes from its owner, over `read_buf` (kReadCap + 1).
ConnectionConfig owner_output_config(char* read_buf) {
    ConnectionConfig config;
    config.read_buf = read_buf;
    config.read_cap = kReadCap;
    config.owner_output = true;
    return config;
}

// Opens `conn` on one end of a socket pair; `peer` gets the other.
void open_pair(Connection& conn, SocketPeer& peer) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer.fd = fds[1];
    ASSERT_TRUE(conn.open(fds[0]));
}

TEST(ConnectionOwnerOutput, GathersTheOwnersSlicesIntoOneWritevAndReportsConsumed) {
    struct Queue final : ConnectionOwner {
        std::vector<std::string> parts{"a", "bb", "ccc\n"};
        std::size_t asked = 0, consumed_bytes = 0;
        std::size_t output(Connection&, ByteSlice* s, std::size_t max) override {
            ++asked;
            if (consumed_bytes > 0) return 0;
            std::size_t k = 0;
            for (const std::string& p : parts)
                if (k < max) s[k++] = ByteSlice{p.data(), p.size()};
            return k;
        }
        void consumed(Connection&, std::size_t n) override { consumed_bytes += n; }
        void on_closed(Connection&, CloseReason) override {}
    } queue;
    EventLoop loop;
    char read_buf[kReadCap + 1];
    Connection conn(loop, queue, owner_output_config(read_buf));
    SocketPeer peer;
    ASSERT_NO_FATAL_FAILURE(open_pair(conn, peer));
    EXPECT_TRUE(conn.flush());
    EXPECT_EQ(queue.consumed_bytes, 7u);
    EXPECT_EQ(queue.asked, 2u) << "one gather, one writev, then the queue is empty";
    EXPECT_EQ(peer.drain(), "abbccc\n");
    EXPECT_EQ(loop.watched_interest(conn.fd()), kIoRead);
}

// write_quantum: one flush writes at most that many bytes even when the kernel would
// take more; the rest goes out on later turns of the loop, in order, with write
// interest installed meanwhile, and close_when_flushed() closes after the last piece.
TEST(ConnectionWriteQuantum, OneFlushWritesAtMostTheQuantumAndTheLoopWritesTheRest) {
    struct Answer final : ConnectionOwner {
        std::string text;
        std::size_t offset = 0;
        int closes = 0;
        std::size_t output(Connection&, ByteSlice* s, std::size_t max) override {
            if (offset == text.size() || max == 0) return 0;
            s[0] = ByteSlice{text.data() + offset, text.size() - offset};
            return 1;
        }
        void consumed(Connection&, std::size_t n) override { offset += n; }
        void on_closed(Connection&, CloseReason) override { ++closes; }
    } answer;
    for (std::size_t i = 0; i < 10'000; ++i)
        answer.text += static_cast<char>('a' + i % 26);
    EventLoop loop;
    char read_buf[kReadCap + 1];
    ConnectionConfig config = owner_output_config(read_buf);
    config.write_quantum = 1000;
    Connection conn(loop, answer, config);
    SocketPeer peer;
    ASSERT_NO_FATAL_FAILURE(open_pair(conn, peer));
    conn.close_when_flushed(CloseReason::kByOwner);
    EXPECT_EQ(answer.offset, 1000u);
    ASSERT_TRUE(conn.is_open());
    EXPECT_TRUE(conn.write_blocked());
    EXPECT_EQ(loop.watched_interest(conn.fd()), kIoWrite);
    loop.run_once(5);
    EXPECT_EQ(answer.offset, 2000u) << "one quantum per turn of the loop";
    std::string got;
    bool eof = false;
    ASSERT_TRUE(test::run_until(
        loop,
        [&] {
            got += peer.drain(&eof);
            return eof;
        },
        3000));
    EXPECT_EQ(got, answer.text);
    EXPECT_EQ(answer.closes, 1);
}

}  // namespace
}  // namespace p2p::platform
