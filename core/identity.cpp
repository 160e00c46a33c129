#include "core/identity.h"

#include <sodium.h>

#include <cstring>

namespace p2p {

namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kSeedLabel = "ed25519-seed:";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

IdentityKey identity_from_seed(const std::uint8_t (&seed)[kIdentitySeedBytes]) {
    IdentityKey key;
    std::memcpy(key.seed.data(), seed, kIdentitySeedBytes);
    crypto_sign_seed_keypair(key.public_key.data(), key.secret.data(), seed);
    return key;
}

std::string fingerprint(const IdentityPublic& public_key) {
    std::uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, public_key.data(), public_key.size());
    std::string out;
    out.reserve(kFingerprintChars);
    // 5 bits at a time, most significant first; the last group is padded with zero bits.
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::uint8_t byte : digest) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(kBase32[(acc >> bits) & 31]);
        }
    }
    if (bits > 0) out.push_back(kBase32[(acc << (5 - bits)) & 31]);
    return out;
}

std::string grouped_fingerprint(std::string_view fp) {
    std::string out;
    out.reserve(fp.size() + fp.size() / 4);
    for (std::size_t i = 0; i < fp.size(); ++i) {
        if (i > 0 && i % 4 == 0) out.push_back('-');
        out.push_back(fp[i]);
    }
    return out;
}

bool normalize_fingerprint(std::string_view typed, std::string* out) {
    std::string fp;
    for (char c : typed) {
        if (c == '-' || c == ' ' || c == ':') continue;
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!std::strchr(kBase32, c) || c == '\0') return false;
        fp.push_back(c);
        if (fp.size() > kFingerprintChars) return false;
    }
    if (fp.size() != kFingerprintChars) return false;
    *out = std::move(fp);
    return true;
}

std::string key_file_text(const IdentityKey& key) {
    std::string text =
        "# p2pchat node identity (Ed25519). Whoever holds this file can be this node: keep "
        "it private.\n";
    text += kSeedLabel;
    text += ' ';
    text += base64_encode(key.seed.data(), key.seed.size());
    text += '\n';
    return text;
}

bool parse_key_file(std::string_view text, IdentityKey* key, std::string* error) {
    bool found = false;
    std::uint8_t seed[kIdentitySeedBytes];
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.substr(0, kSeedLabel.size()) != kSeedLabel) {
            *error = "unexpected line (expected \"ed25519-seed: <base64>\")";
            return false;
        }
        if (found) {
            *error = "more than one ed25519-seed line";
            return false;
        }
        if (!base64_decode_exact(trim(line.substr(kSeedLabel.size())), seed, sizeof seed)) {
            *error = "the ed25519-seed is not base64 of 32 bytes";
            return false;
        }
        found = true;
    }
    if (!found) {
        *error = "no ed25519-seed line";
        return false;
    }
    *key = identity_from_seed(seed);
    sodium_memzero(seed, sizeof seed);
    return true;
}

std::string base64_encode(const std::uint8_t* data, std::size_t len) {
    std::string out(sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_ORIGINAL);
    out.pop_back();  // the terminating NUL libsodium writes
    return out;
}

bool base64_decode_exact(std::string_view text, std::uint8_t* out, std::size_t len) {
    std::size_t got = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out, len, text.data(), text.size(), nullptr, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    return got == len && end == text.data() + text.size();
}

}  // namespace p2p
