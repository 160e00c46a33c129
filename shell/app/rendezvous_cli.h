// `p2pchat rendezvous [options]`: the rendezvous server as a program.
// argv[0] is "rendezvous" (or the program name); options follow. Prints
// "listening on IP:PORT" on stdout once it accepts connections, runs until
// SIGINT/SIGTERM (or SIGHUP from its terminal), then writes pending
// registrations and exits 0; SIGUSR1 logs one stats line. Options come
// from the same kind of table as the node's (option_table.h): flags, a JSON
// --config file whose keys are the flags' names, and --help.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "shell/app/option_table.h"
#include "shell/app/shared_options.h"
#include "shell/runtime/rendezvous_server.h"

namespace p2p::shell {

// The log, control and config-file settings are the node's too (SharedOptions).
struct RendezvousOptions : SharedOptions {
    std::string listen = "0.0.0.0:8080";
    RendezvousServerConfig server;
    std::vector<std::string> warnings;  // unknown config keys (not fatal)
};

// The rendezvous server's option table.
std::span<const OptionRow> rendezvous_option_rows();

// args excludes "rendezvous". On kError, `error` names the flag or key.
ParseStatus parse_rendezvous_options(const std::vector<std::string>& args,
                                     const FileReader& read_file, RendezvousOptions& out,
                                     std::string& error);

// False with `error` when the options ask for what this build lacks (--registry
// without the Redis registry compiled in).
bool rendezvous_build_supports(const RendezvousOptions& options, std::string& error);

std::string rendezvous_help_text();

int rendezvous_main(int argc, char** argv);

}  // namespace p2p::shell
