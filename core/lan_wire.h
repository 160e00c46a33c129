// The LAN announcement datagram (docs/protocol.md §7, a p2pchat extension):
// one UDP datagram holding one JSON object,
//
//   {"type":"LAN_ANNOUNCE","v":1,"name":"alice","namespace":"CIC",
//    "port":40123,"instance":"9f1c2a7b3e4d5f60"}
//
// encoded into and decoded from fixed buffers. Decoding is a RapidJSON SAX
// pass over the datagram in place: no document, no arena, no allocation, so
// a hostile datagram (huge, deep, wrong types, invalid UTF-8, names that
// break the name rule) costs a bounded amount of work and is refused with
// the reason it is counted under.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace p2p {

// Where announcements go: UDP port kLanPort, to the IPv4 group kLanGroupV4
// (administratively scoped, sent with TTL 1) and the IPv6 link-local group
// kLanGroupV6 (hop limit 1), out through each interface. Neither is ever
// routed off the link.
inline constexpr std::uint16_t kLanPort = 47474;
inline constexpr const char* kLanGroupV4 = "239.255.112.99";
inline constexpr const char* kLanGroupV6 = "ff02::7032:7063";  // "p2pc" in hex

// Longest datagram accepted; a real announcement is under 250 bytes.
inline constexpr std::size_t kLanMaxDatagramBytes = 512;
// The instance id: 16 lowercase hex digits, new at every start of a node.
inline constexpr std::size_t kLanInstanceChars = 16;
inline constexpr int kLanVersion = 1;

struct LanAnnounce {
    std::string_view name;
    std::string_view ns;
    std::uint16_t port = 0;
    std::string_view instance;
};

// Why a datagram was refused (or kOk). Each is a counter of LanDiscovery.
enum class LanDecode : std::uint8_t {
    kOk,
    kOversized,    // more than kLanMaxDatagramBytes
    kNotJson,      // not one JSON object (syntax, invalid UTF-8, NUL, deeper than 4 levels)
    kNotAnnounce,  // "type" is not "LAN_ANNOUNCE"
    kBadField,     // a field missing or of the wrong type or range ("v", "port", "instance")
    kBadName,      // "name" or "namespace" breaks the name rule (core/text.h)
};
inline constexpr std::size_t kLanDecodeCount = 6;  // the values above
const char* lan_decode_name(LanDecode result);

// Decodes data[0..len) in place (data[len] must be writable: it becomes NUL).
// On kOk `out`'s views point into `data`. Unknown fields are ignored; with
// duplicate keys the last one wins, as for every other message.
LanDecode decode_lan_announce(char* data, std::size_t len, LanAnnounce& out);

// Writes the datagram (no newline) into out[0..cap); its length, or 0 if it
// does not fit.
std::size_t encode_lan_announce(const LanAnnounce& announce, char* out, std::size_t cap);

// The instance id of a 64-bit random number: 16 lowercase hex digits into
// out[0..kLanInstanceChars).
void format_lan_instance(std::uint64_t value, char* out);

}  // namespace p2p
