#include "shell/app/shared_options.h"

#include <cstdio>

#include "platform/unix_socket.h"

namespace p2p::shell {

bool control_path_ok(std::string_view path) {
    return !path.empty() && path.size() <= platform::unix_path_max();
}

// Whether the group exists is asked when the socket is made (control_config):
// a config file may name a group of the machine it is deployed to.
bool control_group_ok(std::string_view group) {
    return !group.empty();
}

int report_config_ok(std::string_view program, const SharedOptions& o,
                     const std::vector<std::string>& warnings) {
    std::string name(program);
    for (const std::string& w : warnings)
        std::fprintf(stderr, "%s: warning: %s\n", name.c_str(), w.c_str());
    std::string file = o.config_file.empty() ? "no config file" : o.config_file;
    std::printf("%s: configuration OK (%s)\n", name.c_str(), file.c_str());
    std::fflush(stdout);
    return kExitOk;
}

const char* const kExitCodesHelp =
    "Exit codes: 0 after a clean stop, 1 when it cannot run\n"
    "(cannot listen, cannot open the log file), 78 (EX_CONFIG) for a bad option\n"
    "or config file. --version prints the version and exits 0; --check-config\n"
    "exits 0 or 78 without starting anything.\n";

}  // namespace p2p::shell
