#include "core/noise.h"

#include <sodium.h>

#include <cstring>

namespace p2p::noise {

namespace {

using Hash = std::array<std::uint8_t, kHashBytes>;

void hmac(const std::uint8_t* key, std::size_t key_len, const std::uint8_t* a, std::size_t a_len,
          const std::uint8_t* b, std::size_t b_len, std::uint8_t* out) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, a, a_len);
    if (b_len > 0) crypto_auth_hmacsha256_update(&st, b, b_len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

// §4.3 HKDF with two outputs (the third is never needed by XX).
void hkdf2(const Hash& ck, const std::uint8_t* ikm, std::size_t ikm_len, Hash* out1, Hash* out2) {
    std::uint8_t temp[kHashBytes];
    hmac(ck.data(), ck.size(), ikm, ikm_len, nullptr, 0, temp);
    const std::uint8_t one = 0x01, two = 0x02;
    hmac(temp, sizeof temp, &one, 1, nullptr, 0, out1->data());
    hmac(temp, sizeof temp, out1->data(), out1->size(), &two, 1, out2->data());
    sodium_memzero(temp, sizeof temp);
}

// ChaChaPoly's nonce (§12.3): 32 zero bits, then n little-endian.
void nonce_bytes(std::uint64_t n,
                 std::uint8_t (&out)[crypto_aead_chacha20poly1305_IETF_NPUBBYTES]) {
    std::memset(out, 0, sizeof out);
    for (int i = 0; i < 8; ++i)
        out[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
}

constexpr std::uint64_t kSpentNonce = ~std::uint64_t{0};

}  // namespace

KeyPair keypair_from_secret(const Key& secret) {
    KeyPair kp;
    kp.secret = secret;
    crypto_scalarmult_base(kp.public_key.data(), secret.data());
    return kp;
}

// ---- CipherState --------------------------------------------------------------------

void CipherState::initialize_key(const Key* key) {
    has_key_ = key != nullptr;
    if (key) k_ = *key;
    n_ = 0;
}

bool CipherState::encrypt_with_ad(const std::uint8_t* ad, std::size_t ad_len,
                                  const std::uint8_t* in, std::size_t len, std::uint8_t* out) {
    if (!has_key_) {
        if (out != in && len > 0) std::memmove(out, in, len);
        return true;
    }
    if (n_ == kSpentNonce) return false;
    std::uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    nonce_bytes(n_, nonce);
    unsigned long long out_len = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(out, &out_len, in, len, ad, ad_len, nullptr, nonce,
                                              k_.data());
    ++n_;
    return true;
}

bool CipherState::decrypt_with_ad(const std::uint8_t* ad, std::size_t ad_len,
                                  const std::uint8_t* in, std::size_t len, std::uint8_t* out) {
    if (!has_key_) {
        if (out != in && len > 0) std::memmove(out, in, len);
        return true;
    }
    if (n_ == kSpentNonce || len < kTagBytes) return false;
    std::uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
    nonce_bytes(n_, nonce);
    unsigned long long out_len = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &out_len, nullptr, in, len, ad, ad_len,
                                                  nonce, k_.data()) != 0)
        return false;
    ++n_;
    return true;
}

void CipherState::wipe() {
    sodium_memzero(k_.data(), k_.size());
    n_ = 0;
    has_key_ = false;
}

// ---- SymmetricState -----------------------------------------------------------------

void SymmetricState::initialize(std::string_view name) {
    h_.fill(0);
    if (name.size() <= kHashBytes)
        std::memcpy(h_.data(), name.data(), name.size());
    else
        crypto_hash_sha256(h_.data(), reinterpret_cast<const std::uint8_t*>(name.data()),
                           name.size());
    ck_ = h_;
    cipher_.initialize_key(nullptr);
}

void SymmetricState::mix_key(const std::uint8_t* ikm, std::size_t len) {
    Hash temp_k;
    hkdf2(ck_, ikm, len, &ck_, &temp_k);
    Key k;
    std::memcpy(k.data(), temp_k.data(), k.size());  // HASHLEN is 32: no truncation
    cipher_.initialize_key(&k);
    sodium_memzero(temp_k.data(), temp_k.size());
    sodium_memzero(k.data(), k.size());
}

void SymmetricState::mix_hash(const std::uint8_t* data, std::size_t len) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, h_.data(), h_.size());
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, h_.data());
}

bool SymmetricState::encrypt_and_hash(const std::uint8_t* in, std::size_t len, std::uint8_t* out) {
    if (!cipher_.encrypt_with_ad(h_.data(), h_.size(), in, len, out)) return false;
    mix_hash(out, len + (cipher_.has_key() ? kTagBytes : 0));
    return true;
}

bool SymmetricState::decrypt_and_hash(const std::uint8_t* in, std::size_t len, std::uint8_t* out) {
    // The hash takes the ciphertext, which decrypting in place would overwrite.
    Hash next;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, h_.data(), h_.size());
    crypto_hash_sha256_update(&st, in, len);
    crypto_hash_sha256_final(&st, next.data());
    if (!cipher_.decrypt_with_ad(h_.data(), h_.size(), in, len, out)) return false;
    h_ = next;
    return true;
}

void SymmetricState::split(CipherState* c1, CipherState* c2) {
    Hash k1, k2;
    hkdf2(ck_, nullptr, 0, &k1, &k2);
    Key a, b;
    std::memcpy(a.data(), k1.data(), a.size());
    std::memcpy(b.data(), k2.data(), b.size());
    c1->initialize_key(&a);
    c2->initialize_key(&b);
    sodium_memzero(k1.data(), k1.size());
    sodium_memzero(k2.data(), k2.size());
    sodium_memzero(a.data(), a.size());
    sodium_memzero(b.data(), b.size());
}

void SymmetricState::wipe() {
    cipher_.wipe();
    sodium_memzero(ck_.data(), ck_.size());
}

// ---- HandshakeXX --------------------------------------------------------------------

HandshakeXX::HandshakeXX(bool initiator, std::string_view prologue, const KeyPair& s,
                         const KeyPair& e)
    : s_(s), e_(e), initiator_(initiator) {
    sym_.initialize(kProtocolName);
    sym_.mix_hash(reinterpret_cast<const std::uint8_t*>(prologue.data()), prologue.size());
}

HandshakeXX::~HandshakeXX() {
    sym_.wipe();
    sodium_memzero(&s_, sizeof s_);
    sodium_memzero(&e_, sizeof e_);
}

bool HandshakeXX::our_turn() const {
    // Message 1 and 3 are the initiator's, message 2 the responder's.
    if (step_ >= 3) return false;
    return (step_ % 2 == 0) == initiator_;
}

bool HandshakeXX::dh(const Key& secret, const Key& public_key) {
    std::uint8_t shared[kKeyBytes];
    // libsodium refuses a public key of small order (the all-zero result): that is a
    // peer forcing a known secret, and the handshake fails.
    if (crypto_scalarmult(shared, secret.data(), public_key.data()) != 0) return false;
    sym_.mix_key(shared, sizeof shared);
    sodium_memzero(shared, sizeof shared);
    return true;
}

std::size_t HandshakeXX::write_message(const std::uint8_t* payload, std::size_t len,
                                       std::uint8_t* out, std::size_t cap) {
    if (!our_turn()) return 0;
    std::size_t need = len + (step_ == 0   ? kKeyBytes
                              : step_ == 1 ? kKeyBytes + kKeyBytes + 2 * kTagBytes
                                           : kKeyBytes + 2 * kTagBytes);
    if (need > cap || need > kMaxMessage) return 0;
    std::size_t at = 0;
    if (step_ == 0) {  // -> e
        std::memcpy(out, e_.public_key.data(), kKeyBytes);
        sym_.mix_hash(out, kKeyBytes);
        at = kKeyBytes;
    } else if (step_ == 1) {  // <- e, ee, s, es
        std::memcpy(out, e_.public_key.data(), kKeyBytes);
        sym_.mix_hash(out, kKeyBytes);
        at = kKeyBytes;
        if (!dh(e_.secret, re_)) return 0;
        if (!sym_.encrypt_and_hash(s_.public_key.data(), kKeyBytes, out + at)) return 0;
        at += kKeyBytes + kTagBytes;
        if (!dh(s_.secret, re_)) return 0;
    } else {  // -> s, se
        if (!sym_.encrypt_and_hash(s_.public_key.data(), kKeyBytes, out + at)) return 0;
        at += kKeyBytes + kTagBytes;
        if (!dh(s_.secret, re_)) return 0;
    }
    if (!sym_.encrypt_and_hash(payload, len, out + at)) return 0;
    at += len + (sym_.has_key() ? kTagBytes : 0);
    ++step_;
    return at;
}

bool HandshakeXX::read_message(const std::uint8_t* msg, std::size_t len, std::uint8_t* payload,
                               std::size_t cap, std::size_t* payload_len) {
    if (our_turn() || finished()) return false;
    std::size_t at = 0;
    if (step_ == 0) {  // -> e
        if (len < kKeyBytes) return false;
        std::memcpy(re_.data(), msg, kKeyBytes);
        sym_.mix_hash(msg, kKeyBytes);
        at = kKeyBytes;
    } else if (step_ == 1) {  // <- e, ee, s, es
        if (len < kKeyBytes + kKeyBytes + 2 * kTagBytes) return false;
        std::memcpy(re_.data(), msg, kKeyBytes);
        sym_.mix_hash(msg, kKeyBytes);
        at = kKeyBytes;
        if (!dh(e_.secret, re_)) return false;
        if (!sym_.decrypt_and_hash(msg + at, kKeyBytes + kTagBytes, rs_.data())) return false;
        at += kKeyBytes + kTagBytes;
        if (!dh(e_.secret, rs_)) return false;
    } else {  // -> s, se
        if (len < kKeyBytes + 2 * kTagBytes) return false;
        if (!sym_.decrypt_and_hash(msg + at, kKeyBytes + kTagBytes, rs_.data())) return false;
        at += kKeyBytes + kTagBytes;
        if (!dh(e_.secret, rs_)) return false;
    }
    std::size_t body = len - at;
    std::size_t plain = sym_.has_key() ? body - kTagBytes : body;
    if (sym_.has_key() && body < kTagBytes) return false;
    if (plain > cap) return false;
    if (!sym_.decrypt_and_hash(msg + at, body, payload)) return false;
    *payload_len = plain;
    ++step_;
    return true;
}

void HandshakeXX::split(CipherState* send, CipherState* receive) {
    if (initiator_)
        sym_.split(send, receive);
    else
        sym_.split(receive, send);
}

}  // namespace p2p::noise
