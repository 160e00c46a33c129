// A rendezvous request line checked into what the registry must do (docs/protocol.md
// §3), with the reference server's error strings and check order, before any
// registration is looked at. Shared by every registry backend (core/registry.h in
// memory, the Redis one in shell/runtime/redis_registry.h), so the answers to bad
// input are the same bytes whichever store is behind the server.
//
// Some errors depend on the store: DISCOVER and UNREGISTER from an address with no
// live registration answer `peer_not_registered` before any field is looked at. Those
// come back as kErrorIfRegistered: the store answers `peer_not_registered` or `error`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/codec.h"
#include "core/json_arena.h"

namespace p2p {

struct CheckedRequest {
    enum class Kind : std::uint8_t {
        kReply,              // answer `error` whatever the registry holds
        kErrorIfRegistered,  // `peer_not_registered` if the IP has none, else `error`
        kRegister,           // ns, name, port, ttl_s
        kDiscover,           // all, or ns
        kUnregister,         // ns; name unless any_name; port unless any_port
    };
    Kind kind = Kind::kReply;
    std::string_view error;  // kReply, kErrorIfRegistered: the message
    std::string_view ns, name;
    std::uint16_t port = 0;
    std::int64_t ttl_s = 0;
    bool all = false;       // kDiscover: every namespace
    bool any_name = false;  // kUnregister
    bool any_port = false;  // kUnregister
};

struct TtlRules {
    std::int64_t default_ttl_s = 7200;
    std::int64_t min_ttl_s = 1;
    std::int64_t max_ttl_s = 86400;
};

class RequestChecker {
  public:
    explicit RequestChecker(TtlRules ttl) : ttl_(ttl) { message_.reserve(256); }

    // `line` (len bytes, line[len] writable) is parsed in place. The views in the result
    // point into `line` or into this checker, valid until the next call.
    CheckedRequest check(char* line, std::size_t len);

  private:
    CheckedRequest check_register(const RendezvousRequest& req);
    CheckedRequest check_discover(const RendezvousRequest& req);
    CheckedRequest check_unregister(const RendezvousRequest& req);

    TtlRules ttl_;
    JsonArena arena_;
    std::string message_;               // "bad_port (...)", capacity reused
    std::unique_ptr<char[]> repaired_;  // the line with invalid UTF-8 replaced
};

}  // namespace p2p
