// Wire names of the peer-link message types (docs/protocol.md §4, §5).
#include "core/message.h"

#include <array>

namespace p2p {

namespace {

struct TypeName {
    MsgType type;
    std::string_view name;
};

// Indexed by MsgType; the static_assert below keeps the two in step.
constexpr std::array<TypeName, 19> kTypeNames = {{
    {MsgType::kUnknown, ""},
    {MsgType::kHello, "HELLO"},
    {MsgType::kHelloOk, "HELLO_OK"},
    {MsgType::kHelloReject, "HELLO_REJECT"},
    {MsgType::kPing, "PING"},
    {MsgType::kPong, "PONG"},
    {MsgType::kSend, "SEND"},
    {MsgType::kAck, "ACK"},
    {MsgType::kPub, "PUB"},
    {MsgType::kBye, "BYE"},
    {MsgType::kByeOk, "BYE_OK"},
    {MsgType::kError, "ERROR"},
    {MsgType::kWhoHas, "WHO_HAS"},
    {MsgType::kWhoHasHit, "WHO_HAS_HIT"},
    {MsgType::kRelayOk, "RELAY_OK"},
    {MsgType::kRelayFail, "RELAY_FAIL"},
    {MsgType::kTtlExpired, "TTL_EXPIRED"},
    {MsgType::kMetricsReq, "METRICS_REQ"},
    {MsgType::kMetrics, "METRICS"},
}};

constexpr bool names_indexed_by_type() {
    for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
        if (static_cast<std::size_t>(kTypeNames[i].type) != i) return false;
    }
    return kTypeNames.size() == static_cast<std::size_t>(MsgType::kMetrics) + 1;
}
static_assert(names_indexed_by_type(), "kTypeNames must list every MsgType in enum order");

// Name lookup on every line received: a perfect hash of the first two bytes
// and the length (names are 3 to 12 bytes long), then one comparison.
constexpr std::size_t kMinName = 3, kMaxName = 12;
constexpr unsigned name_hash(std::string_view name) {
    return (static_cast<unsigned char>(name[0]) + static_cast<unsigned char>(name[1]) +
            static_cast<unsigned>(name.size()) * 4u) %
           64u;
}
struct NameTable {
    MsgType type[64];
    bool bad = false;  // two names share a hash, or a name is out of range
};
constexpr NameTable make_name_table() {
    NameTable t{};
    for (MsgType& type : t.type)
        type = MsgType::kUnknown;
    for (std::size_t i = 1; i < kTypeNames.size(); ++i) {
        std::string_view name = kTypeNames[i].name;
        if (name.size() < kMinName || name.size() > kMaxName) t.bad = true;
        MsgType& slot = t.type[name_hash(name)];
        if (slot != MsgType::kUnknown) t.bad = true;
        slot = kTypeNames[i].type;
    }
    return t;
}
constexpr NameTable kNameTable = make_name_table();
static_assert(!kNameTable.bad, "two type names share a hash (change name_hash) or one is too long");

}  // namespace

std::string_view msg_type_name(MsgType type) {
    auto index = static_cast<std::size_t>(type);
    return index < kTypeNames.size() ? kTypeNames[index].name : std::string_view{};
}

MsgType msg_type_from_name(std::string_view name) {
    if (name.size() < kMinName || name.size() > kMaxName) return MsgType::kUnknown;
    MsgType type = kNameTable.type[name_hash(name)];
    return kTypeNames[static_cast<std::size_t>(type)].name == name ? type : MsgType::kUnknown;
}

}  // namespace p2p
