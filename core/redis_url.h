// `redis://HOST[:PORT][/DB]`, the address of the Redis that keeps a rendezvous
// registry shared by several front-ends (docs/rendezvous.md "Registry backends").
// HOST is a name, an IPv4 address or a bracketed IPv6 one; PORT defaults to 6379,
// DB (the SELECT index) to 0.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace p2p {

struct RedisUrl {
    std::string host;
    std::uint16_t port = 6379;
    int db = 0;
};

// False with *error saying what is wrong.
bool parse_redis_url(std::string_view text, RedisUrl& out, std::string* error);

}  // namespace p2p
