// Noise_XX_25519_ChaChaPoly_SHA256 (the Noise Protocol Framework, revision 34: §5
// CipherState, SymmetricState, HandshakeState; §7.5 the XX pattern), the handshake of
// secured links (docs/protocol.md §8). Protocol logic only: every primitive (X25519,
// ChaCha20-Poly1305 IETF, SHA-256, HMAC-SHA-256) is libsodium's, and the ephemeral key
// comes from the caller (the platform's random source; fixed in the vector tests), so
// this makes no system call.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace p2p::noise {

inline constexpr std::size_t kKeyBytes = 32;   // DHLEN, and the cipher key
inline constexpr std::size_t kHashBytes = 32;  // HASHLEN
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kMaxMessage = 65535;  // a Noise message, with its tag

using Key = std::array<std::uint8_t, kKeyBytes>;

struct KeyPair {
    Key secret{};
    Key public_key{};
};
// The X25519 public key of `secret`.
KeyPair keypair_from_secret(const Key& secret);

// §5.1: a key (or none) and a 64-bit nonce; AD is the handshake hash during the
// handshake and empty after it.
class CipherState {
  public:
    void initialize_key(const Key* key);
    bool has_key() const { return has_key_; }
    // out gets len + kTagBytes bytes (just len without a key). False when the nonce is
    // spent (2^64 - 1 is reserved).
    bool encrypt_with_ad(const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* in,
                         std::size_t len, std::uint8_t* out);
    // in holds len bytes (ciphertext and tag); out gets len - kTagBytes. False when it
    // does not authenticate (the nonce does not move on then).
    bool decrypt_with_ad(const std::uint8_t* ad, std::size_t ad_len, const std::uint8_t* in,
                         std::size_t len, std::uint8_t* out);
    void wipe();

  private:
    Key k_{};
    std::uint64_t n_ = 0;
    bool has_key_ = false;
};

// §5.2: the chaining key and the handshake hash.
class SymmetricState {
  public:
    void initialize(std::string_view protocol_name);
    void mix_key(const std::uint8_t* ikm, std::size_t len);
    void mix_hash(const std::uint8_t* data, std::size_t len);
    bool encrypt_and_hash(const std::uint8_t* in, std::size_t len, std::uint8_t* out);
    bool decrypt_and_hash(const std::uint8_t* in, std::size_t len, std::uint8_t* out);
    // The two transport ciphers: initiator -> responder, responder -> initiator.
    void split(CipherState* c1, CipherState* c2);
    bool has_key() const { return cipher_.has_key(); }
    const std::array<std::uint8_t, kHashBytes>& handshake_hash() const { return h_; }
    void wipe();

  private:
    CipherState cipher_;
    std::array<std::uint8_t, kHashBytes> ck_{};
    std::array<std::uint8_t, kHashBytes> h_{};
};

// §5.3 for the XX pattern only:
//   -> e
//   <- e, ee, s, es
//   -> s, se
class HandshakeXX {
  public:
    static constexpr std::string_view kProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    // s: our static key; e: our ephemeral key (fresh for every handshake).
    HandshakeXX(bool initiator, std::string_view prologue, const KeyPair& s, const KeyPair& e);
    ~HandshakeXX();
    HandshakeXX(const HandshakeXX&) = delete;
    HandshakeXX& operator=(const HandshakeXX&) = delete;

    // Is it our turn to write the next message (as opposed to read one)?
    bool our_turn() const;
    bool finished() const { return step_ == 3; }
    int messages_done() const { return step_; }
    // The next message with `payload` into out[0..cap): its length, or 0 when it does
    // not fit or it is not our turn.
    std::size_t write_message(const std::uint8_t* payload, std::size_t len, std::uint8_t* out,
                              std::size_t cap);
    // Reads the peer's next message; its payload goes to payload[0..cap) and *payload_len.
    // False when it is malformed, does not authenticate, or it is not its turn.
    bool read_message(const std::uint8_t* msg, std::size_t len, std::uint8_t* payload,
                      std::size_t cap, std::size_t* payload_len);
    // The peer's static key (after message 2 for the initiator, 3 for the responder).
    const Key& remote_static() const { return rs_; }
    // After finished(): the transport ciphers, ours to send and ours to receive.
    void split(CipherState* send, CipherState* receive);
    const std::array<std::uint8_t, kHashBytes>& handshake_hash() const {
        return sym_.handshake_hash();
    }

  private:
    bool dh(const Key& secret, const Key& public_key);

    SymmetricState sym_;
    KeyPair s_;
    KeyPair e_;
    Key re_{};
    Key rs_{};
    bool initiator_;
    int step_ = 0;  // messages done: 0, 1, 2, 3
};

}  // namespace p2p::noise
