#include "core/wire_util.h"

#include <cstring>

#include "core/node.h"

namespace p2p {

std::string_view format_uuid4(const std::uint8_t* bytes, char* out) {
    static const char kHex[] = "0123456789abcdef";
    std::uint8_t b[kMsgIdRandomBytes];
    std::memcpy(b, bytes, sizeof b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // variant 10
    std::size_t o = 0;
    for (std::size_t i = 0; i < kMsgIdRandomBytes; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = kHex[b[i] >> 4];
        out[o++] = kHex[b[i] & 0xF];
    }
    out[o] = '\0';
    return std::string_view(out, o);
}

std::string_view make_msg_id(MsgIdPool& ids, char* out) {
    return ids.next(out);
}

std::string_view MsgIdPool::next(char* out) {
    if (used_ + kMsgIdRandomBytes > pool_.size()) refill();
    std::string_view id = format_uuid4(pool_.data() + used_, out);
    // Each byte is used once: wiped so a later memory disclosure shows no
    // id that was already sent.
    std::memset(pool_.data() + used_, 0, kMsgIdRandomBytes);
    used_ += kMsgIdRandomBytes;
    return id;
}

void MsgIdPool::refill() {
    ++refills_;
    used_ = 0;
    if (host_.random_bytes(pool_.data(), pool_.size())) return;
    ++fallback_refills_;
    for (std::size_t i = 0; i < pool_.size(); i += 8) {
        std::uint64_t v = fallback_.next();
        std::memcpy(pool_.data() + i, &v, 8);
    }
}

}  // namespace p2p
