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

#include "core/log.h"
#include "platform/log_sinks.h"
#include "shell/app/option_table.h"
#include "shell/runtime/rendezvous_server.h"

namespace p2p::shell {

struct RendezvousOptions {
    std::string listen = "0.0.0.0:8080";
    RendezvousServerConfig server;
    LogLevel log_level = LogLevel::kInfo;
    platform::LogFormat log_format = platform::LogFormat::kAuto;
    std::string config_file;
    std::string control_path;           // --control: `p2pchat attach -c stats PATH` ("" = none)
    std::string control_group;          // --control-group
    std::vector<std::string> warnings;  // unknown config keys (not fatal)
};

// The rendezvous server's option table.
std::span<const OptionRow> rendezvous_option_rows();

// args excludes "rendezvous". On kError, `error` names the flag or key.
ParseStatus parse_rendezvous_options(const std::vector<std::string>& args,
                                     const FileReader& read_file, RendezvousOptions& out,
                                     std::string& error);

std::string rendezvous_help_text();

int rendezvous_main(int argc, char** argv);

}  // namespace p2p::shell
