// A secured channel (core/secure_channel.h) driven by hand, as a connection drives it:
// for the unit tests, fuzz targets and benchmarks that wire two ends back to back.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/secure_channel.h"

namespace p2p::test {

// Writes everything `ch` offers for the owner's `queued` plaintext onto `wire`, as a
// socket that takes it all would, and drops from `queued` what that completed. Returns
// the wire bytes written.
inline std::size_t drain_channel(SecureChannel& ch, std::string& queued, std::string& wire) {
    std::size_t written = 0;
    for (;;) {
        OutSlice plain{queued.data(), queued.size()};
        OutSlice out[4];
        std::size_t n = ch.outbound(&plain, queued.empty() ? 0 : 1, out, 4);
        if (n == 0) return written;
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            wire.append(out[i].data, out[i].len);
            total += out[i].len;
        }
        written += total;
        queued.erase(0, ch.sent(total));
    }
}

// Reads `bytes` into `ch` at most `chunk` (and its read_room) at a time, from a 64 KiB
// buffer as the connection's; the plaintext goes to *plain. False when it refused them.
inline bool feed_channel(SecureChannel& ch, std::string_view bytes, std::size_t chunk,
                         std::string* plain) {
    constexpr std::size_t kCap = 65536;
    static std::vector<char> buf(kCap + 1);
    while (!bytes.empty()) {
        std::size_t n = std::min({chunk, bytes.size(), ch.read_room(kCap)});
        std::copy_n(bytes.data(), n, buf.data());
        bytes.remove_prefix(n);
        long got = ch.inbound(buf.data(), n, kCap);
        if (got < 0) return false;
        plain->append(buf.data(), static_cast<std::size_t>(got));
    }
    return true;
}

}  // namespace p2p::test
