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

}  // namespace

std::string_view msg_type_name(MsgType type) {
    auto index = static_cast<std::size_t>(type);
    return index < kTypeNames.size() ? kTypeNames[index].name : std::string_view{};
}

MsgType msg_type_from_name(std::string_view name) {
    if (name.empty()) return MsgType::kUnknown;
    for (const TypeName& entry : kTypeNames) {
        if (entry.name == name) return entry.type;
    }
    return MsgType::kUnknown;
}

}  // namespace p2p
