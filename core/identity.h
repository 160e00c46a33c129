// A node's long-term identity (docs/protocol.md §8 "Keys and fingerprints"): an Ed25519
// key pair, its fingerprint, and the key file that keeps it. Pure computation: the
// random seed of a new key and the file itself are the platform's (platform/node_key.h).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2p {

inline constexpr std::size_t kIdentitySeedBytes = 32;
inline constexpr std::size_t kIdentityPublicBytes = 32;
inline constexpr std::size_t kIdentitySecretBytes = 64;  // libsodium's: seed then public key
inline constexpr std::size_t kSignatureBytes = 64;
// RFC 4648 base32 of a SHA-256 digest, without padding: ceil(256 / 5).
inline constexpr std::size_t kFingerprintChars = 52;

using IdentityPublic = std::array<std::uint8_t, kIdentityPublicBytes>;

struct IdentityKey {
    std::array<std::uint8_t, kIdentitySeedBytes> seed{};
    IdentityPublic public_key{};
    std::array<std::uint8_t, kIdentitySecretBytes> secret{};
};

// The key pair a seed determines (Ed25519: the seed is the private key).
IdentityKey identity_from_seed(const std::uint8_t (&seed)[kIdentitySeedBytes]);

// Base32 (upper case, no padding) of SHA-256(public key): 52 characters.
std::string fingerprint(const IdentityPublic& public_key);
// For reading aloud: groups of four joined by '-' ("ABCD-EFGH-...-WXYZ").
std::string grouped_fingerprint(std::string_view fingerprint);
// A fingerprint as a person typed it: separators ('-', ' ', ':') and case ignored.
// False unless what is left is 52 base32 characters; *out is then the canonical form.
bool normalize_fingerprint(std::string_view typed, std::string* out);

// The key file: a comment line and one "ed25519-seed: <base64>" line. Text, so a person
// can see what it is; the seed alone, so nothing in it can disagree with itself.
std::string key_file_text(const IdentityKey& key);
// False with *error saying what is wrong (no seed line, bad base64, wrong length).
bool parse_key_file(std::string_view text, IdentityKey* key, std::string* error);

// Standard base64 (RFC 4648 §4, padded), as §8's handshake payload carries keys.
std::string base64_encode(const std::uint8_t* data, std::size_t len);
// Exactly `len` bytes decoded from strict padded base64, or false.
bool base64_decode_exact(std::string_view text, std::uint8_t* out, std::size_t len);

}  // namespace p2p
