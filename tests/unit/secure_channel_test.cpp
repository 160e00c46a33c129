// The secured channel of a link (core/secure_channel.h), two ends wired back to back in
// memory: plaintext until both decide, then the handshake, then the line stream, whatever
// way the bytes are cut on the wire; a changed byte, a wrong signature or a peer that
// does not follow the turn order ends it.
#include "core/secure_channel.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/channel_pipe.h"

namespace p2p {
namespace {

IdentityKey identity(std::uint8_t byte) {
    std::uint8_t seed[kIdentitySeedBytes];
    std::fill(std::begin(seed), std::end(seed), byte);
    return identity_from_seed(seed);
}

noise::Key key(std::uint8_t byte) {
    noise::Key k;
    k.fill(byte);
    return k;
}

// One end: the owner's queued plaintext and what it has received.
struct End {
    explicit End(const NoiseCredentials* c) : ch(c) {}
    SecureChannel ch;
    std::string queued;    // the owner's plaintext not yet written
    std::string received;  // the plaintext the channel handed up
    std::string wire;      // bytes written, not yet read by the other end
    bool failed = false;

    void write_out() { test::drain_channel(ch, queued, wire); }
    // Reads `wire` bytes given by the other end, `chunk` at a time.
    void read_in(std::string& from, std::size_t chunk) {
        if (!failed) failed = !test::feed_channel(ch, from, chunk, &received);
        from.clear();
    }
};

class SecureChannelTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_GE(sodium_init(), 0); }
    // Both ends to quiet, the bytes cut in `chunk`s.
    void pump(std::size_t chunk) {
        for (int i = 0; i < 50; ++i) {
            a_.write_out();
            b_.write_out();
            if (a_.wire.empty() && b_.wire.empty()) return;
            b_.read_in(a_.wire, chunk);
            a_.read_in(b_.wire, chunk);
        }
    }
    // HELLO / HELLO_OK in clear, both decide, the handshake runs.
    void handshake(std::size_t chunk) {
        a_.queued = "{\"type\":\"HELLO\",\"features\":[\"noise\"]}\n";
        a_.write_out();
        b_.read_in(a_.wire, chunk);
        ASSERT_EQ(b_.received, "{\"type\":\"HELLO\",\"features\":[\"noise\"]}\n");
        b_.queued = "{\"type\":\"HELLO_OK\",\"features\":[\"noise\"]}\n{\"type\":\"PING\"}\n";
        std::string err;
        ASSERT_TRUE(b_.ch.begin(false, key(0x44), &err)) << err;
        b_.write_out();
        // Only the HELLO_OK went in clear; the PING waits for the channel.
        ASSERT_EQ(b_.wire, "{\"type\":\"HELLO_OK\",\"features\":[\"noise\"]}\n");
        a_.read_in(b_.wire, chunk);
        ASSERT_TRUE(a_.ch.begin(true, key(0x22), &err)) << err;
        pump(chunk);
    }

    NoiseCredentials alice_ = make_credentials(identity(1), key(0x11));
    NoiseCredentials bob_ = make_credentials(identity(2), key(0x33));
    End a_{&alice_};
    End b_{&bob_};
};

TEST_F(SecureChannelTest, LinesGoThroughWhateverTheCutsAndIdentitiesAreProven) {
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{65536}}) {
        SCOPED_TRACE(chunk);
        a_.ch.reset();
        b_.ch.reset();
        a_.received.clear();
        b_.received.clear();
        handshake(chunk);
        ASSERT_FALSE(a_.failed || b_.failed);
        ASSERT_TRUE(a_.ch.secured() && b_.ch.secured());
        EXPECT_EQ(a_.ch.peer_identity(), identity(2).public_key);
        EXPECT_EQ(b_.ch.peer_identity(), identity(1).public_key);
        EXPECT_EQ(a_.received,
                  "{\"type\":\"HELLO_OK\",\"features\":[\"noise\"]}\n"
                  "{\"type\":\"PING\"}\n");
        // A line larger than a frame, and many small ones, both ways.
        std::string big = std::string(40000, 'x') + "\n";
        std::string many;
        for (int i = 0; i < 300; ++i)
            many += "{\"n\":" + std::to_string(i) + "}\n";
        a_.queued = big + many;
        b_.queued = many + big;
        pump(chunk);
        EXPECT_EQ(b_.received, "{\"type\":\"HELLO\",\"features\":[\"noise\"]}\n" + big + many);
        EXPECT_EQ(a_.received,
                  "{\"type\":\"HELLO_OK\",\"features\":[\"noise\"]}\n"
                  "{\"type\":\"PING\"}\n" +
                      many + big);
    }
}

TEST_F(SecureChannelTest, TheWireCarriesNoPlaintextAfterTheHandshake) {
    handshake(4096);
    a_.queued = "{\"type\":\"SEND\",\"payload\":\"the secret text\"}\n";
    a_.write_out();
    EXPECT_EQ(a_.wire.find("secret"), std::string::npos);
    EXPECT_EQ(static_cast<std::size_t>(static_cast<unsigned char>(a_.wire[0]) << 8 |
                                       static_cast<unsigned char>(a_.wire[1])),
              a_.wire.size() - 2);  // one frame: 2-byte length, ciphertext and tag
    b_.read_in(a_.wire, 3);
    EXPECT_NE(b_.received.find("the secret text"), std::string::npos);
}

TEST_F(SecureChannelTest, AChangedByteEndsTheChannel) {
    handshake(4096);
    a_.queued = "{\"type\":\"PING\"}\n";
    a_.write_out();
    a_.wire[5] ^= 0x20;
    b_.read_in(a_.wire, 4096);
    EXPECT_TRUE(b_.failed);
    EXPECT_STREQ(b_.ch.failure(), "a frame did not authenticate");
}

TEST_F(SecureChannelTest, AStaticKeyNotSignedByTheIdentityIsRefused) {
    // Bob claims Alice's identity with her payload: her signature is over her static
    // key, not the one Bob's handshake delivers.
    bob_.payload = alice_.payload;
    handshake(4096);
    EXPECT_TRUE(a_.failed);
    EXPECT_STREQ(a_.ch.failure(), "the peer's identity or signature is not valid");
    EXPECT_FALSE(b_.ch.secured());
}

TEST_F(SecureChannelTest, WithoutAnUpgradeBytesPassUnchanged) {
    a_.queued = "{\"type\":\"HELLO\"}\n{\"type\":\"SEND\"}\n";
    a_.write_out();
    EXPECT_EQ(a_.wire, "{\"type\":\"HELLO\"}\n{\"type\":\"SEND\"}\n");
    b_.read_in(a_.wire, 5);
    EXPECT_EQ(b_.received, "{\"type\":\"HELLO\"}\n{\"type\":\"SEND\"}\n");
    EXPECT_FALSE(a_.ch.upgrading() || b_.ch.has_output());
}

TEST_F(SecureChannelTest, BeginNeedsTheFirstLinesAndAShortMessageFails) {
    std::string err;
    EXPECT_FALSE(a_.ch.begin(true, key(0x22), &err));  // nothing seen yet
    SecureChannel none(nullptr);
    EXPECT_FALSE(none.begin(true, key(0x22), &err));
    EXPECT_EQ(err, "no node key");
    // The responder gets three bytes as message 1: not a handshake message.
    SecureChannel fresh(&bob_);
    char hello[] = "{\"type\":\"HELLO\"}\n";
    ASSERT_EQ(fresh.inbound(hello, sizeof hello - 1, 65536), long(sizeof hello - 1));
    ASSERT_TRUE(fresh.begin(false, key(0x44), &err)) << err;
    OutSlice ok{"{\"type\":\"HELLO_OK\"}\n", 19};
    OutSlice out[4];
    ASSERT_EQ(fresh.outbound(&ok, 1, out, 4), 1u);
    fresh.sent(19);
    char frame[] = {0, 3, 'a', 'b', 'c'};
    EXPECT_EQ(fresh.inbound(frame, sizeof frame, 65536), SecureChannel::kFailed);
}

}  // namespace
}  // namespace p2p
