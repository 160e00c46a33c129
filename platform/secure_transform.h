// The secured-link channel (core/secure_channel.h) in the connection layer's transform
// slot (platform/transform.h): the one place in a connection's byte path where bytes
// change form. A peer link carries it from its first byte; it is the identity until the
// engine secures the link.
#pragma once
#include "core/secure_channel.h"
#include "platform/transform.h"

namespace p2p::platform {

class SecureTransform final : public Transform {
  public:
    explicit SecureTransform(const NoiseCredentials* credentials) : channel_(credentials) {}
    SecureChannel& channel() { return channel_; }
    const SecureChannel& channel() const { return channel_; }

    long inbound(char* buf, std::size_t len, std::size_t cap) override {
        return channel_.inbound(buf, len, cap);
    }
    std::size_t outbound(const ByteSlice* plain, std::size_t n, ByteSlice* wire,
                         std::size_t max) override {
        return channel_.outbound(plain, n, wire, max);
    }
    std::size_t sent(std::size_t wire_bytes) override { return channel_.sent(wire_bytes); }
    bool has_output() const override { return channel_.has_output(); }

  private:
    SecureChannel channel_;
};

}  // namespace p2p::platform
