// The options both programs have (`p2pchat` and `p2pchat rendezvous`): the
// log's level and format, the control socket and its group, the config file,
// --version and --help. Their settings are one struct each program's options
// derive from, and their rows are one block each program's table ends with
// (join_rows), so both accept, refuse and document them alike: one value
// check, one help sentence, one default. tests/unit/shared_options_test.cpp
// holds both programs and both man pages to that.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "platform/log_sinks.h"
#include "shell/app/option_table.h"

namespace p2p::shell {

// The control socket `p2pchat attach` uses without PATH (or $P2PCHAT_CONTROL
// when set): the relay service's (platform/service/systemd/p2pchat-relay.service).
inline constexpr std::string_view kDefaultControlPath = "/run/p2pchat/control";

struct SharedOptions {
    LogLevel log_level = LogLevel::kInfo;
    platform::LogFormat log_format = platform::LogFormat::kAuto;
    std::string control_path;   // --control: the attach socket ("" = none)
    std::string control_group;  // --control-group: a group that may use it too
    std::string config_file;    // --config
    bool check_config = false;  // --check-config: parse, report, exit
};

// The values of --log-format.
inline constexpr OptionChoice kLogFormatChoices[] = {
    {"auto", static_cast<std::int64_t>(platform::LogFormat::kAuto)},
    {"plain", static_cast<std::int64_t>(platform::LogFormat::kPlain)},
    {"journal", static_cast<std::int64_t>(platform::LogFormat::kJournal)},
    {"syslog", static_cast<std::int64_t>(platform::LogFormat::kSyslog)}};

// The value checks of --control and --control-group.
bool control_path_ok(std::string_view path);
bool control_group_ok(std::string_view group);

// The shared rows, bound to the fields O inherits from SharedOptions and shown
// under `section` of O's --help.
template <class O>
constexpr std::array<OptionRow, 8> shared_option_rows(std::string_view section) {
    static_assert(std::is_base_of_v<SharedOptions, O>, "O holds the shared settings");
    using K = OptionKind;
    return {
        bind<O, &O::log_level>({.section = section,
                                .flag = "--log-level",
                                .metavar = "LEVEL",
                                .help = "DEBUG, INFO, WARN, ERROR, or OFF for none",
                                .kind = K::kLogLevel}),
        bind<O, &O::log_format>(
            {.section = section,
             .flag = "--log-format",
             .metavar = "auto|plain|journal|syslog",
             .help = "log lines on stderr: plain (own timestamp), journal (<N> priority "
                     "prefix, no timestamp) or auto (journal when JOURNAL_STREAM names stderr); "
                     "or syslog: to syslog(3) (facility daemon) with each line's priority, "
                     "not stderr (the OpenWrt service's choice)",
             .kind = K::kChoice,
             .choices = kLogFormatChoices}),
        bind<O, &O::control_path>(
            {.section = section,
             .flag = "--control",
             .metavar = "PATH",
             .help = "a Unix socket (mode 0600) for `p2pchat attach PATH`: a node's shell, a "
                     "rendezvous server's stats. The services use /run/p2pchat/control (the "
                     "relay's, where attach looks without PATH) and "
                     "/run/p2pchat-rendezvous/control",
             .check = control_path_ok,
             .expected = "a socket path of at most 107 bytes"}),
        bind<O, &O::control_group>({.section = section,
                                    .flag = "--control-group",
                                    .metavar = "GROUP",
                                    .help = "members of GROUP may use it too (socket mode 0660)",
                                    .check = control_group_ok,
                                    .expected = "a group name or number"}),
        bind<O, &O::config_file>({.section = section,
                                  .flag = "--config",
                                  .metavar = "FILE",
                                  .help = "JSON settings (keys below); flags override it",
                                  .kind = K::kConfigFile}),
        bind<O, &O::check_config>(
            {.section = section,
             .flag = "--check-config",
             .help = "check the options and the config file, then exit: 0 when they are "
                     "good, 78 with the first problem",
             .kind = K::kCheckConfig}),
        OptionRow{.section = section,
                  .flag = "--version",
                  .help = "print the version",
                  .kind = K::kVersion},
        OptionRow{.section = section, .flag = "--help", .help = "this text", .kind = K::kHelp},
    };
}

// The exit-code paragraph both programs' --help end with.
extern const char* const kExitCodesHelp;

// --check-config's verdict on options that parsed: the warnings (unknown
// keys) on stderr, "PROGRAM: configuration OK (FILE)" on stdout; exit 0.
int report_config_ok(std::string_view program, const SharedOptions& o,
                     const std::vector<std::string>& warnings);

}  // namespace p2p::shell
