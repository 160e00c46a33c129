// `p2pchat attach [PATH] [-c COMMAND]... [--json] [--read-only]`: the shell of a running node (or a
// rendezvous server) through its control socket (shell/runtime/control_server.h).
//
// Interactive: the same line editor as the node's own shell — prompt, editing,
// history, Tab completion of peer ids (kept fresh by asking the node every few
// seconds) — with the node's events printed above the prompt. Ctrl-D or /detach
// leaves the node running; /quit asks for confirmation before stopping it.
// --read-only asks the node to refuse this client every command that changes
// something (the node enforces it: control_server.h `readonly`), for watching a relay.
//
// With -c: runs each command in turn, prints the answers, exits 0 when every one
// succeeded, 1 when one failed, 2 on bad usage, 3 when the socket cannot be reached.
#pragma once
#include <string>
#include <vector>

namespace p2p::shell {

// args: what follows "attach".
int attach_main(const std::vector<std::string>& args);

}  // namespace p2p::shell
