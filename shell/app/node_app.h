// The running node: `p2pchat [options]`.
//
// One EventLoop drives everything: the listening socket and peer links, the
// rendezvous client (and, when no rendezvous answers at the default address
// or --serve-rendezvous asks for it, an in-process rendezvous server), the
// console on stdin/stdout, and the signals. Clean exit (/quit or a
// signal): BYE on every link, then UNREGISTER, then exit 0.
#pragma once
#include <string>
#include <vector>

namespace p2p::shell {

// Runs the node with `args` (argv without the program name). Returns the
// process exit code: 0 after a clean exit, 78 (EX_CONFIG) for bad options
// or a bad config file, 1 when it could not start (port in use, ...).
int node_main(const std::vector<std::string>& args);

}  // namespace p2p::shell
