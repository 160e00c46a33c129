// Entry point: `p2pchat rendezvous ...` runs the rendezvous server, `p2pchat
// attach ...` the shell of a running one (shell/app/attach.h); anything else
// runs a chat node.
#include <cstring>
#include <string>
#include <vector>

#include "shell/app/attach.h"
#include "shell/app/node_app.h"
#include "shell/app/rendezvous_cli.h"

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "rendezvous") == 0)
        return p2p::shell::rendezvous_main(argc - 1, argv + 1);
    if (argc > 1 && std::strcmp(argv[1], "attach") == 0)
        return p2p::shell::attach_main(std::vector<std::string>(argv + 2, argv + argc));
    std::vector<std::string> args(argv + 1, argv + argc);
    return p2p::shell::node_main(args);
}
