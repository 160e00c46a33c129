// The text of /help: a command list that fits an 80-column serial console,
// and a few lines of detail per command for "/help <command>".
#pragma once
#include <cstddef>
#include <string_view>

#include "shell/ui/command_parser.h"

namespace p2p::shell {

// Every line is at most 79 characters, plain ASCII, and carries no '\n'.
struct HelpLines {
    const std::string_view* lines;
    std::size_t count;
};

// The overview printed by /help.
HelpLines help_overview();
// The usage line and explanation of one command; empty for kEmpty/kText.
HelpLines help_for(CommandKind kind);

}  // namespace p2p::shell
