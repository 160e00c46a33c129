// The transform slot of a connection (platform/connection.h): the one place in the byte
// path between the socket and the owner where bytes may change form. Inbound, what the
// socket gave becomes plaintext before the framer sees it; outbound, the owner's
// plaintext becomes what the wire carries. A transform may also have bytes of its own to
// send (a handshake message, a key update) when the owner has nothing queued. The
// secured-link channel goes here, and nowhere else; PassThrough is the identity.
#pragma once
#include <cstddef>

#include "core/node_types.h"

namespace p2p::platform {

// A run of bytes to write, as the Node's queue hands them out (core OutSlice).
using ByteSlice = OutSlice;

class Transform {
  public:
    static constexpr long kFailed = -1;

    virtual ~Transform() = default;
    // Wire bytes just read are in buf[0..len); buf has room for `cap` bytes. Rewrite
    // them in place into plaintext and return its length (0: nothing for the owner yet,
    // e.g. half a record, which the transform keeps itself), or kFailed to close the
    // connection (CloseReason::kTransform).
    virtual long inbound(char* buf, std::size_t len, std::size_t cap) = 0;
    // The wire form of plaintext plain[0..n): fills wire[0..max) with the slices to
    // write, bytes of its own first, and returns how many it filled. The slices stay
    // valid until sent() or the next outbound().
    virtual std::size_t outbound(const ByteSlice* plain, std::size_t n, ByteSlice* wire,
                                 std::size_t max) = 0;
    // `wire_bytes` of what outbound() offered were written: returns how many bytes of
    // the owner's plaintext that completes (what the owner may now drop).
    virtual std::size_t sent(std::size_t wire_bytes) = 0;
    // Bytes of its own wait to go out: the connection writes even with no owner output.
    virtual bool has_output() const = 0;
};

// The identity: wire bytes are plaintext. What a link uses until it is secured, and
// what the contract tests run the transform path with.
class PassThrough final : public Transform {
  public:
    long inbound(char*, std::size_t len, std::size_t) override { return static_cast<long>(len); }
    std::size_t outbound(const ByteSlice* plain, std::size_t n, ByteSlice* wire,
                         std::size_t max) override {
        std::size_t k = n < max ? n : max;
        for (std::size_t i = 0; i < k; ++i)
            wire[i] = plain[i];
        return k;
    }
    std::size_t sent(std::size_t wire_bytes) override { return wire_bytes; }
    bool has_output() const override { return false; }
};

}  // namespace p2p::platform
