// Encoders for every rendezvous line (docs/protocol.md §3): the requests a node
// sends and every answer the server gives. Each writes one compact JSON
// object plus '\n' into out[0..cap) and returns the bytes written, or 0 if it
// did not fit (cap of kRdvLineBytes always fits everything but a DISCOVER
// answer, which is built with DiscoverAnswerBuilder).
//
// Field order follows the reference server's answers, so a byte-level diff
// against it differs only in JSON whitespace (Python writes ", " and ": ").
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2p::rdv {

// Room for any single request or non-DISCOVER answer: strings are at most
// a 64-byte name/namespace (each byte may need a 6-byte escape), an IP, or a
// message built from bounded parts.
inline constexpr std::size_t kRdvLineBytes = 4096;

// The fixed texts of the reference server.
inline constexpr std::string_view kMsgEmptyLine = "Empty request line";
inline constexpr std::string_view kMsgUnknownCommand = "Unknown command";
inline constexpr std::string_view kMsgTimeout = "Timeout: no data received, closing connection";
inline constexpr std::string_view kMsgLineTooLong = "line_too_long";
// Ours: the registry behind the server (Redis) did not answer (docs/rendezvous.md).
inline constexpr std::string_view kMsgRegistryUnavailable = "registry_unavailable";

// ---- requests (the node's client) -----------------------------------------

// {"type":"REGISTER","namespace":ns,"name":name,"port":port,"ttl":ttl}
std::size_t encode_register(char* out, std::size_t cap, std::string_view ns, std::string_view name,
                            std::uint16_t port, std::int64_t ttl_s);
// {"type":"DISCOVER","namespace":ns}, or without namespace when ns is empty
// (every namespace).
std::size_t encode_discover(char* out, std::size_t cap, std::string_view ns);
// {"type":"UNREGISTER","namespace":ns[,"name":name][,"port":port]}: name is
// left out when empty, port when 0.
std::size_t encode_unregister(char* out, std::size_t cap, std::string_view ns,
                              std::string_view name, std::uint16_t port);

// ---- answers (the server) -------------------------------------------------

// {"status":"OK"}
std::size_t encode_ok(char* out, std::size_t cap);
// {"status":"OK","ttl":ttl,"ip":ip,"port":port}
std::size_t encode_register_ok(char* out, std::size_t cap, std::int64_t ttl_s, std::string_view ip,
                               std::int64_t port);
// {"status":"ERROR","message":message}
std::size_t encode_error(char* out, std::size_t cap, std::string_view message);
// {"status":"ERROR","message":"line_too_long","limit":limit}
std::size_t encode_line_too_long(char* out, std::size_t cap, std::size_t limit);

// One entry of a DISCOVER answer.
struct PeerEntry {
    std::string_view ip;
    std::int64_t port = 0;
    std::string_view name;
    std::string_view ns;
    std::int64_t ttl_s = 0;
    std::int64_t expires_in_s = 0;
};

// Builds {"status":"OK","peers":[{...},...]}\n into a caller-owned string
// whose capacity is reused across answers (no allocation once it has grown
// to the working size). Each entry is written by RapidJSON; only the fixed
// envelope is literal text.
class DiscoverAnswerBuilder {
  public:
    explicit DiscoverAnswerBuilder(std::string& out);
    // False if the entry could not be encoded (never for the registry's
    // bounded fields); the answer stays valid without it.
    bool add(const PeerEntry& peer);
    // Closes the answer; returns its text (including '\n').
    std::string_view finish();

  private:
    std::string& out_;
    bool first_ = true;
};

}  // namespace p2p::rdv
