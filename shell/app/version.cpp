#include "shell/app/version.h"

#include "p2p_version_generated.h"

namespace p2p::shell {

std::string version_text() {
    std::string text = P2P_VERSION;
    constexpr const char* kDescribe = P2P_GIT_DESCRIBE;
    if (kDescribe[0] != '\0') text += std::string(" (git ") + kDescribe + ")";
    return text;
}

std::string version_banner(const char* program) {
    return std::string(program) + " " + version_text() + "\n";
}

}  // namespace p2p::shell
