#include "core/secure_channel.h"

// Before RapidJSON's own headers: its exemption from clang's pointer-overflow check
// (RapidJSON's empty stack does arithmetic on a null pointer; see json_util.h).
#include "core/json_util.h"
//
#include <rapidjson/document.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace p2p {

namespace {

// A handshake payload is two base64 strings in a small JSON object; anything near this
// size is not one.
constexpr std::size_t kMaxPayload = 512;

std::size_t be16(const void* p) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    return (std::size_t{b[0]} << 8) | b[1];
}

void put_be16(char* p, std::size_t v) {
    p[0] = static_cast<char>((v >> 8) & 0xff);
    p[1] = static_cast<char>(v & 0xff);
}

void give_back(std::string& s, std::size_t keep) {
    if (s.capacity() > keep) std::string().swap(s);
}

}  // namespace

NoiseCredentials make_credentials(const IdentityKey& identity, const noise::Key& static_secret) {
    NoiseCredentials c;
    c.identity = identity;
    c.static_key = noise::keypair_from_secret(static_secret);
    std::uint8_t signed_text[kStaticKeyContext.size() + noise::kKeyBytes];
    std::memcpy(signed_text, kStaticKeyContext.data(), kStaticKeyContext.size());
    std::memcpy(signed_text + kStaticKeyContext.size(), c.static_key.public_key.data(),
                noise::kKeyBytes);
    std::uint8_t sig[kSignatureBytes];
    crypto_sign_detached(sig, nullptr, signed_text, sizeof signed_text, identity.secret.data());
    c.payload = "{\"identity\":\"" +
                base64_encode(identity.public_key.data(), identity.public_key.size()) +
                "\",\"sig\":\"" + base64_encode(sig, sizeof sig) + "\"}";
    return c;
}

bool verify_payload(const std::uint8_t* payload, std::size_t len, const noise::Key& remote_static,
                    IdentityPublic* identity) {
    rapidjson::Document doc;
    doc.Parse(reinterpret_cast<const char*>(payload), len);
    if (doc.HasParseError() || !doc.IsObject()) return false;
    if (!doc.HasMember("identity") || !doc.HasMember("sig")) return false;
    const rapidjson::Value& id = doc["identity"];
    const rapidjson::Value& sig = doc["sig"];
    if (!id.IsString() || !sig.IsString()) return false;
    IdentityPublic pk;
    std::uint8_t signature[kSignatureBytes];
    if (!base64_decode_exact({id.GetString(), id.GetStringLength()}, pk.data(), pk.size()) ||
        !base64_decode_exact({sig.GetString(), sig.GetStringLength()}, signature, sizeof signature))
        return false;
    std::uint8_t signed_text[kStaticKeyContext.size() + noise::kKeyBytes];
    std::memcpy(signed_text, kStaticKeyContext.data(), kStaticKeyContext.size());
    std::memcpy(signed_text + kStaticKeyContext.size(), remote_static.data(), noise::kKeyBytes);
    if (crypto_sign_verify_detached(signature, signed_text, sizeof signed_text, pk.data()) != 0)
        return false;
    *identity = pk;
    return true;
}

SecureChannel::~SecureChannel() {
    reset();
}

void SecureChannel::reset() {
    phase_ = Phase::kClear;
    hs_.reset();
    sodium_memzero(ephemeral_.data(), ephemeral_.size());
    send_.wipe();
    recv_.wipe();
    peer_identity_.fill(0);
    failure_ = "";
    first_out_.clear();
    first_in_.clear();
    first_out_done_ = first_in_done_ = false;
    plain_out_ = clear_end_ = 0;
    out_.clear();
    out_off_ = out_plain_ = 0;
    partial_.clear();
    give_back(out_, kKeepBytes);
    give_back(partial_, kKeepBytes);
}

bool SecureChannel::fail(const char* why) {
    failure_ = why;
    return false;
}

// The first non-empty line of a direction, with its "\n" (and any "\r" before it).
void SecureChannel::record_line(std::string& line, bool& done, const char* data, std::size_t len,
                                bool skip_empty) {
    for (std::size_t i = 0; i < len && !done; ++i) {
        if (line.size() >= kMaxHandshakeLine) {
            line.clear();  // too long to be a prologue: begin() refuses
            done = true;
            return;
        }
        line.push_back(data[i]);
        if (data[i] != '\n') continue;
        if (skip_empty && (line == "\n" || line == "\r\n"))
            line.clear();
        else
            done = true;
    }
}

bool SecureChannel::begin(bool initiator, const noise::Key& ephemeral_secret, std::string* error) {
    if (!creds_) {
        *error = "no node key";
        return false;
    }
    // The dialer has sent its HELLO and read the HELLO_OK; the acceptor has read the
    // HELLO and its HELLO_OK waits in the owner's queue, not written yet.
    if (phase_ != Phase::kClear || !first_in_done_ || first_in_.empty() ||
        (first_out_done_ && plain_out_ > first_out_.size()) || (initiator && !first_out_done_)) {
        *error = "the HELLO and HELLO_OK lines were not both seen whole";
        return false;
    }
    initiator_ = initiator;
    ephemeral_ = ephemeral_secret;
    phase_ = Phase::kHandshake;
    clear_end_ = ~std::uint64_t{0};  // until our first line is whole
    if (first_out_done_ && !start_handshake()) {
        *error = failure_;
        return false;
    }
    return true;
}

// Both first lines are known: the prologue, and the initiator's message 1.
bool SecureChannel::start_handshake() {
    clear_end_ = first_out_.size();
    std::string prologue(kPrologueTag);
    prologue += initiator_ ? first_out_ : first_in_;  // the HELLO line
    prologue += initiator_ ? first_in_ : first_out_;  // the HELLO_OK line
    give_back(first_out_, 0);
    give_back(first_in_, 0);
    hs_ = std::make_unique<noise::HandshakeXX>(initiator_, prologue, creds_->static_key,
                                               noise::keypair_from_secret(ephemeral_));
    sodium_memzero(ephemeral_.data(), ephemeral_.size());
    return !initiator_ || write_handshake();
}

// Our next handshake message, framed, after whatever waits in out_.
bool SecureChannel::write_handshake() {
    // Message 1 carries nothing; 2 and 3 our identity and its signature of our static key.
    const std::string& payload = creds_->payload;
    std::size_t plen = hs_->messages_done() == 0 ? 0 : payload.size();
    std::size_t at = out_.size();
    std::size_t room = plen + 3 * noise::kKeyBytes + 2 * noise::kTagBytes;
    out_.resize(at + 2 + room);
    std::size_t n = hs_->write_message(reinterpret_cast<const std::uint8_t*>(payload.data()), plen,
                                       reinterpret_cast<std::uint8_t*>(out_.data() + at + 2), room);
    if (n == 0) return fail("the handshake could not be written");
    put_be16(out_.data() + at, n);
    out_.resize(at + 2 + n);
    if (hs_->finished()) {
        hs_->split(&send_, &recv_);
        hs_.reset();
        phase_ = Phase::kSecured;
    }
    return true;
}

long SecureChannel::take_message(std::uint8_t* msg, std::size_t len, char* out) {
    if (phase_ == Phase::kSecured) {
        if (len < noise::kTagBytes || !recv_.decrypt_with_ad(nullptr, 0, msg, len, msg)) {
            fail("a frame did not authenticate");
            return kFailed;
        }
        std::size_t plain = len - noise::kTagBytes;
        std::memmove(out, msg, plain);
        return static_cast<long>(plain);
    }
    if (!hs_ || hs_->our_turn()) {
        fail("a handshake message out of turn");
        return kFailed;
    }
    std::uint8_t payload[kMaxPayload];
    std::size_t plen = 0;
    bool message1 = hs_->messages_done() == 0;
    if (!hs_->read_message(msg, len, payload, sizeof payload, &plen)) {
        fail("a handshake message did not authenticate or was malformed");
        return kFailed;
    }
    if (message1) {
        if (plen != 0) {
            fail("handshake message 1 carried a payload");
            return kFailed;
        }
        return write_handshake() ? 0 : kFailed;  // message 2
    }
    if (!verify_payload(payload, plen, hs_->remote_static(), &peer_identity_)) {
        fail("the peer's identity or signature is not valid");
        return kFailed;
    }
    if (initiator_) return write_handshake() ? 0 : kFailed;  // message 3, then secured
    hs_->split(&send_, &recv_);                              // message 3 read: secured
    hs_.reset();
    phase_ = Phase::kSecured;
    return 0;
}

long SecureChannel::inbound(char* buf, std::size_t len, std::size_t cap) {
    if (phase_ == Phase::kClear) {
        if (!first_in_done_) record_line(first_in_, first_in_done_, buf, len, true);
        return static_cast<long>(len);
    }
    std::size_t r = 0, w = 0;
    if (!partial_.empty()) {
        // A frame begun in an earlier read: complete it from the front of this one.
        while (partial_.size() < 2 && r < len)
            partial_.push_back(buf[r++]);
        if (partial_.size() < 2) return 0;
        std::size_t total = 2 + be16(partial_.data());
        std::size_t take = std::min(total - partial_.size(), len - r);
        partial_.append(buf + r, take);
        r += take;
        if (partial_.size() < total) return 0;
        auto* msg = reinterpret_cast<std::uint8_t*>(partial_.data() + 2);
        long p = take_message(msg, total - 2, partial_.data() + 2);
        if (p < 0) return kFailed;
        std::size_t rest = len - r;
        if (static_cast<std::size_t>(p) + rest > cap) {
            fail("more plaintext than the read buffer holds");
            return kFailed;
        }
        std::memmove(buf + p, buf + r, rest);
        std::memcpy(buf, partial_.data() + 2, static_cast<std::size_t>(p));
        r = w = static_cast<std::size_t>(p);
        len = w + rest;
        partial_.clear();
        give_back(partial_, kKeepBytes);
    }
    while (len - r >= 2) {
        std::size_t flen = be16(buf + r);
        if (len - r - 2 < flen) break;
        long p = take_message(reinterpret_cast<std::uint8_t*>(buf + r + 2), flen, buf + w);
        if (p < 0) return kFailed;
        r += 2 + flen;
        w += static_cast<std::size_t>(p);
    }
    if (r < len) partial_.assign(buf + r, len - r);
    return static_cast<long>(w);
}

std::size_t SecureChannel::read_room(std::size_t cap) const {
    if (phase_ == Phase::kClear || partial_.empty()) return cap;
    if (partial_.size() < 2) return 2 - partial_.size();
    return cap - std::min(cap - 1, be16(partial_.data()));
}

std::size_t SecureChannel::outbound(const OutSlice* plain, std::size_t n, OutSlice* wire,
                                    std::size_t max) {
    if (max == 0) return 0;
    if (phase_ == Phase::kClear || plain_out_ < clear_end_) {
        // In clear: all of it before an upgrade, up to the end of our first line after one.
        const bool upgrading = phase_ != Phase::kClear;
        std::uint64_t limit = upgrading ? clear_end_ - plain_out_ : ~std::uint64_t{0};
        std::size_t k = 0;
        std::uint64_t at = plain_out_;
        for (std::size_t i = 0; i < n && k < max && limit > 0; ++i) {
            std::size_t len =
                static_cast<std::size_t>(std::min<std::uint64_t>(plain[i].len, limit));
            if (!first_out_done_ && at + len > first_out_.size() && at <= first_out_.size()) {
                std::size_t skip = static_cast<std::size_t>(first_out_.size() - at);
                std::size_t before = first_out_.size();
                record_line(first_out_, first_out_done_, plain[i].data + skip, len - skip, false);
                if (first_out_done_ && upgrading) {
                    // Our HELLO_OK is whole: it ends the plaintext, and the responder's
                    // handshake can start (its message 1 comes after this line).
                    len = skip + (first_out_.size() - before);
                    limit = len;
                    if (!start_handshake()) return 0;
                }
            }
            wire[k++] = OutSlice{plain[i].data, len};
            at += len;
            limit -= len;
        }
        return k;
    }
    if (out_off_ < out_.size()) {
        wire[0] = OutSlice{out_.data() + out_off_, out_.size() - out_off_};
        return 1;
    }
    if (phase_ != Phase::kSecured || n == 0) return 0;
    // One frame of up to kMaxFramePlain bytes gathered from the slices, sealed in place.
    std::size_t take = 0;
    for (std::size_t i = 0; i < n && take < kMaxFramePlain; ++i)
        take += std::min(plain[i].len, kMaxFramePlain - take);
    out_.resize(2 + take + noise::kTagBytes);
    std::size_t at = 2;
    for (std::size_t i = 0; i < n && at < 2 + take; ++i) {
        std::size_t len = std::min(plain[i].len, 2 + take - at);
        std::memcpy(out_.data() + at, plain[i].data, len);
        at += len;
    }
    auto* body = reinterpret_cast<std::uint8_t*>(out_.data() + 2);
    if (!send_.encrypt_with_ad(nullptr, 0, body, take, body)) {
        out_.clear();  // 2^64 frames: never in practice; nothing more goes out
        fail("the send nonce is spent");
        return 0;
    }
    put_be16(out_.data(), take + noise::kTagBytes);
    out_off_ = 0;
    out_plain_ = take;
    wire[0] = OutSlice{out_.data(), out_.size()};
    return 1;
}

std::size_t SecureChannel::sent(std::size_t wire_bytes) {
    if (phase_ == Phase::kClear || plain_out_ < clear_end_) {
        plain_out_ += wire_bytes;
        return wire_bytes;
    }
    out_off_ += wire_bytes;
    if (out_off_ < out_.size()) return 0;
    std::size_t done = out_plain_;
    plain_out_ += done;
    out_.clear();
    out_off_ = out_plain_ = 0;
    give_back(out_, kKeepBytes);
    return done;
}

bool SecureChannel::has_output() const {
    return phase_ != Phase::kClear && plain_out_ >= clear_end_ && out_off_ < out_.size();
}

}  // namespace p2p
