#include "core/redis_url.h"

namespace p2p {

namespace {

bool parse_decimal(std::string_view s, long max, long* out) {
    if (s.empty() || s.size() > 9) return false;
    long v = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + (ch - '0');
    }
    if (v > max) return false;
    *out = v;
    return true;
}

}  // namespace

bool parse_redis_url(std::string_view text, RedisUrl& out, std::string* error) {
    auto fail = [&](const char* why) {
        if (error) *error = why;
        return false;
    };
    constexpr std::string_view kScheme = "redis://";
    if (text.substr(0, kScheme.size()) != kScheme) return fail("must start with redis://");
    std::string_view rest = text.substr(kScheme.size());
    RedisUrl url;
    std::size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
        long db = 0;
        if (!parse_decimal(rest.substr(slash + 1), 65535, &db))
            return fail("the database after / must be a number");
        url.db = static_cast<int>(db);
        rest = rest.substr(0, slash);
    }
    std::string_view host = rest, port;
    if (!rest.empty() && rest.front() == '[') {
        std::size_t close = rest.find(']');
        if (close == std::string_view::npos) return fail("unclosed [ in the host");
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty() && after.front() != ':') return fail("junk after ]");
        if (!after.empty()) port = after.substr(1);
        if (!after.empty() && port.empty()) return fail("empty port");
    } else if (std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (port.empty()) return fail("empty port");
    }
    if (host.empty()) return fail("no host");
    if (host.find_first_of("@/ ") != std::string_view::npos) return fail("bad host");
    if (!port.empty()) {
        long p = 0;
        if (!parse_decimal(port, 65535, &p) || p == 0) return fail("the port must be 1..65535");
        url.port = static_cast<std::uint16_t>(p);
    }
    url.host = std::string(host);
    out = std::move(url);
    return true;
}

}  // namespace p2p
