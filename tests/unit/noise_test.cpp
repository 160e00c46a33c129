// The Noise XX state machine (core/noise.h) against fixed vectors made by an independent
// implementation: `tests/support/noise_oracle.py vectors` (dissononce), with the static
// keys 01..01 (initiator) and 03..03 (responder), the ephemeral keys 02..02 and 04..04,
// the prologue below, payloads "payload-2" and "payload-3", then one transport message
// each way. Same keys, same bytes: any departure from Noise revision 34 shows here.
#include "core/noise.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

namespace p2p::noise {
namespace {

const char* kMsg1 = "ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59";
const char* kMsg2 =
    "ac01b2209e86354fb853237b5de0f4fab13c7fcbf433a61c019369617fecf10bb719b14d19eaf5ca91c89748c5ce"
    "8668e6864f05ee2367682b3e0c2fd086f0b41a485724ce85fae910d519bb30d61bf3da68d20ee318f9381e7c90bb"
    "92d7066bd18c5c2c13dca5d51b";
const char* kMsg3 =
    "539a5cf3ae8a0a9134b32bfa775a1522db3558a1351ed4101989b8b88aa6a6f0ef16c8d61dd59ce5123b0fb88269"
    "2d6a3703cd47cef6b9a559f034f609308f54b20ab5805395afa0b6";
const char* kToResponder = "cde4dfe7cb038086349a95a115a4f69696e4e2f62f";
const char* kToInitiator = "c8b437f434f28fb0fe53ffb2258fc84e96c7196f24";
const char* kHandshakeHash = "f309291d861fc13231e3ce26d12e4199d889925913ae1523b2e7f78300573539";
const std::string kPrologue = "p2pchat-noise/1\n{\"type\":\"HELLO\"}\n{\"type\":\"HELLO_OK\"}\n";

std::string hex(const std::uint8_t* p, std::size_t n) {
    static const char d[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

std::vector<std::uint8_t> unhex(const char* h) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; h[i] && h[i + 1]; i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h + i, 2), nullptr, 16)));
    return out;
}

KeyPair filled(std::uint8_t byte) {
    Key k;
    k.fill(byte);
    return keypair_from_secret(k);
}

const std::uint8_t* bytes(const char* s) {
    return reinterpret_cast<const std::uint8_t*>(s);
}

class NoiseVectors : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_GE(sodium_init(), 0); }
    HandshakeXX ini_{true, kPrologue, filled(1), filled(2)};
    HandshakeXX res_{false, kPrologue, filled(3), filled(4)};
    std::uint8_t buf_[512];
    std::uint8_t payload_[512];
    std::size_t plen_ = 0;
};

TEST_F(NoiseVectors, BothRolesWriteAndReadTheOraclesBytes) {
    std::size_t n = ini_.write_message(nullptr, 0, buf_, sizeof buf_);
    EXPECT_EQ(hex(buf_, n), kMsg1);
    ASSERT_TRUE(res_.read_message(buf_, n, payload_, sizeof payload_, &plen_));
    EXPECT_EQ(plen_, 0u);

    n = res_.write_message(bytes("payload-2"), 9, buf_, sizeof buf_);
    EXPECT_EQ(hex(buf_, n), kMsg2);
    ASSERT_TRUE(ini_.read_message(buf_, n, payload_, sizeof payload_, &plen_));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(payload_), plen_), "payload-2");
    EXPECT_EQ(ini_.remote_static(), filled(3).public_key);

    n = ini_.write_message(bytes("payload-3"), 9, buf_, sizeof buf_);
    EXPECT_EQ(hex(buf_, n), kMsg3);
    ASSERT_TRUE(res_.read_message(buf_, n, payload_, sizeof payload_, &plen_));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(payload_), plen_), "payload-3");
    EXPECT_EQ(res_.remote_static(), filled(1).public_key);
    ASSERT_TRUE(ini_.finished() && res_.finished());
    EXPECT_EQ(hex(ini_.handshake_hash().data(), kHashBytes), kHandshakeHash);
    EXPECT_EQ(hex(res_.handshake_hash().data(), kHashBytes), kHandshakeHash);

    CipherState i_send, i_recv, r_send, r_recv;
    ini_.split(&i_send, &i_recv);
    res_.split(&r_send, &r_recv);
    ASSERT_TRUE(i_send.encrypt_with_ad(nullptr, 0, bytes("PING\n"), 5, buf_));
    EXPECT_EQ(hex(buf_, 5 + kTagBytes), kToResponder);
    ASSERT_TRUE(r_recv.decrypt_with_ad(nullptr, 0, buf_, 5 + kTagBytes, payload_));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(payload_), 5), "PING\n");
    ASSERT_TRUE(r_send.encrypt_with_ad(nullptr, 0, bytes("PONG\n"), 5, buf_));
    EXPECT_EQ(hex(buf_, 5 + kTagBytes), kToInitiator);
}

TEST_F(NoiseVectors, ADifferentPrologueOrAFlippedBitFails) {
    // The responder saw other HELLO lines than the initiator: message 2 does not
    // authenticate at the initiator.
    HandshakeXX other{false, kPrologue + "x", filled(3), filled(4)};
    std::vector<std::uint8_t> m1 = unhex(kMsg1);
    ASSERT_TRUE(other.read_message(m1.data(), m1.size(), payload_, sizeof payload_, &plen_));
    std::size_t n = other.write_message(bytes("payload-2"), 9, buf_, sizeof buf_);
    ASSERT_EQ(ini_.write_message(nullptr, 0, payload_, sizeof payload_), 32u);
    EXPECT_FALSE(ini_.read_message(buf_, n, payload_, sizeof payload_, &plen_));

    // One bit of the oracle's message 3 flipped: the responder refuses it.
    HandshakeXX ini{true, kPrologue, filled(1), filled(2)};
    HandshakeXX res{false, kPrologue, filled(3), filled(4)};
    std::vector<std::uint8_t> m2 = unhex(kMsg2), m3 = unhex(kMsg3);
    ASSERT_EQ(ini.write_message(nullptr, 0, buf_, sizeof buf_), 32u);
    ASSERT_TRUE(res.read_message(m1.data(), m1.size(), payload_, sizeof payload_, &plen_));
    ASSERT_EQ(res.write_message(bytes("payload-2"), 9, buf_, sizeof buf_), m2.size());
    m3[40] ^= 1;
    EXPECT_FALSE(res.read_message(m3.data(), m3.size(), payload_, sizeof payload_, &plen_));
}

TEST_F(NoiseVectors, OutOfTurnAndShortMessagesAreRefused) {
    std::vector<std::uint8_t> m1 = unhex(kMsg1);
    // The initiator cannot read before writing; the responder cannot write first.
    EXPECT_FALSE(ini_.read_message(m1.data(), m1.size(), payload_, sizeof payload_, &plen_));
    EXPECT_EQ(res_.write_message(nullptr, 0, buf_, sizeof buf_), 0u);
    EXPECT_FALSE(res_.read_message(m1.data(), 31, payload_, sizeof payload_, &plen_));
}

TEST_F(NoiseVectors, ASmallOrderKeyIsRefused) {
    // An all-zero ephemeral key would make every DH result known: X25519 gives zero.
    std::uint8_t zero[32] = {};
    ASSERT_TRUE(res_.read_message(zero, 32, payload_, sizeof payload_, &plen_));
    EXPECT_EQ(res_.write_message(nullptr, 0, buf_, sizeof buf_), 0u);
}

}  // namespace
}  // namespace p2p::noise
