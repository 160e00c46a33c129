// One link's secured channel (docs/protocol.md §8 "Upgrade"), sans-I/O: the byte path of
// a peer link from its first byte. Plaintext until the engine decides the link is to be
// secured (begin()); from then on the Noise XX handshake, then every byte either way is
// a 2-byte big-endian length and a ChaChaPoly message holding a run of the ordinary line
// stream. It keeps the first line each way as it went over the wire (HELLO, HELLO_OK):
// the prologue, so both sides prove they saw the same negotiation.
//
// The shape is the connection layer's transform (platform/transform.h): inbound() turns
// wire bytes into plaintext in place, outbound()/sent() turn the owner's queued plaintext
// into wire slices and tell how much of it is done. Memory: the handshake state lives
// only during the handshake; a link keeps two cipher states, a frame being written (at
// most kMaxFrameWire bytes, kept for the next frame) and, only while a frame arrives in
// pieces, that frame (given back past kKeepBytes once whole).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/identity.h"
#include "core/node_types.h"
#include "core/noise.h"

namespace p2p {

// What the node proves itself with, shared by all its links: the identity key, the Noise
// static key and the handshake payload carrying the identity's signature of it.
struct NoiseCredentials {
    IdentityKey identity;
    noise::KeyPair static_key;
    std::string payload;  // {"identity":"<base64>","sig":"<base64>"}
};
// The static key's signature, the payload; `static_secret` from the platform's random.
NoiseCredentials make_credentials(const IdentityKey& identity, const noise::Key& static_secret);
// The ASCII prefix the identity signs before the static public key.
inline constexpr std::string_view kStaticKeyContext = "p2pchat-noise-static-key:";
// The prologue's first line.
inline constexpr std::string_view kPrologueTag = "p2pchat-noise/1\n";
// Checks a handshake payload against the static key the handshake delivered; the
// identity it proves goes to *identity.
bool verify_payload(const std::uint8_t* payload, std::size_t len, const noise::Key& remote_static,
                    IdentityPublic* identity);

class SecureChannel {
  public:
    static constexpr long kFailed = -1;
    // Plaintext per transport frame we write: a frame (with its length and tag) stays
    // within a small buffer a link keeps, whatever the size of a message.
    static constexpr std::size_t kMaxFramePlain = 4096 - 2 - noise::kTagBytes;
    static constexpr std::size_t kMaxFrameWire = 4096;
    // The first line each way is kept up to this; a longer HELLO cannot be secured.
    static constexpr std::size_t kMaxHandshakeLine = 4096;
    static constexpr std::size_t kKeepBytes = 2 * kMaxFrameWire;

    explicit SecureChannel(const NoiseCredentials* credentials) : creds_(credentials) {}
    ~SecureChannel();
    SecureChannel(const SecureChannel&) = delete;
    SecureChannel& operator=(const SecureChannel&) = delete;

    // Back to plaintext with nothing recorded: a new connection.
    void reset();

    // The engine decided (after HELLO / HELLO_OK): the Noise handshake starts, the
    // dialer as initiator. Whatever the owner queued up to the end of its first line
    // still goes in clear; everything after it waits for the handshake. False with
    // *error when it cannot (no credentials, the first lines not both seen).
    bool begin(bool initiator, const noise::Key& ephemeral_secret, std::string* error);
    bool upgrading() const { return phase_ != Phase::kClear; }
    bool secured() const { return phase_ == Phase::kSecured; }
    // After secured(): who the peer proved to be.
    const IdentityPublic& peer_identity() const { return peer_identity_; }
    // Why the last kFailed happened (a static string).
    const char* failure() const { return failure_; }

    // The transform contract (platform/transform.h).
    long inbound(char* buf, std::size_t len, std::size_t cap);
    std::size_t outbound(const OutSlice* plain, std::size_t n, OutSlice* wire, std::size_t max);
    std::size_t sent(std::size_t wire_bytes);
    bool has_output() const;
    // The most wire bytes the next inbound() may be given so that its plaintext (a frame
    // that arrived in pieces before, then the new bytes) fits a buffer of `cap`.
    std::size_t read_room(std::size_t cap) const;

  private:
    enum class Phase : std::uint8_t { kClear, kHandshake, kSecured };
    void record_line(std::string& line, bool& done, const char* data, std::size_t len,
                     bool skip_empty);
    // One whole Noise message in msg[0..len): a handshake step, or a transport frame
    // whose plaintext goes to out (in place is fine). Plaintext length, or kFailed.
    long take_message(std::uint8_t* msg, std::size_t len, char* out);
    bool start_handshake();
    bool write_handshake();
    bool fail(const char* why);

    const NoiseCredentials* creds_;
    Phase phase_ = Phase::kClear;
    bool initiator_ = false;
    noise::Key ephemeral_{};  // from begin() until the handshake starts
    std::unique_ptr<noise::HandshakeXX> hs_;
    noise::CipherState send_;
    noise::CipherState recv_;
    IdentityPublic peer_identity_{};
    const char* failure_ = "";

    // The first line each way, as it went over the wire (clear phase only).
    std::string first_out_, first_in_;
    bool first_out_done_ = false, first_in_done_ = false;
    std::uint64_t plain_out_ = 0;  // plaintext bytes the owner has had written
    std::uint64_t clear_end_ = 0;  // after begin(): plaintext up to here goes in clear

    std::string out_;            // the frame being written (length prefix included)
    std::size_t out_off_ = 0;    // of it, already written
    std::size_t out_plain_ = 0;  // the owner's plaintext bytes it carries
    std::string partial_;        // an incoming frame so far (length prefix included)
};

}  // namespace p2p
