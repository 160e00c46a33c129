// Tab completion's candidates (LineEditor::completions): which words fit where
// the cursor is. Pure string work, apart from libedit, so it is tested without
// a terminal.
#include "shell/ui/command_parser.h"
#include "shell/ui/line_editor.h"

namespace p2p::shell {
namespace {

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    return s;
}

}  // namespace

void LineEditor::completions(std::string_view line_before_word, std::string_view word,
                             const std::vector<std::string>& peer_ids,
                             std::vector<std::string>& out) {
    out.clear();
    auto offer = [&](std::string_view candidate) {
        if (candidate.substr(0, word.size()) != word) return;
        for (const std::string& have : out)
            if (have == candidate) return;
        out.emplace_back(candidate);
    };
    std::string_view before = trim_left(line_before_word);
    std::size_t count = 0;
    const CommandName* names = command_names(&count);
    if (before.empty()) {
        // The first word: a command.
        if (!word.starts_with("/")) return;
        for (std::size_t i = 0; i < count; ++i)
            offer(names[i].name);
        return;
    }
    // The second word: what the command takes. Later words are free text.
    std::size_t space = before.find_first_of(" \t");
    std::string_view command = before.substr(0, space);
    if (space != std::string_view::npos && !trim_left(before.substr(space)).empty()) return;
    CommandKind kind = CommandKind::kEmpty;
    for (std::size_t i = 0; i < count; ++i)
        if (names[i].name == command) kind = names[i].kind;

    bool want_peers =
        kind == CommandKind::kMsg || kind == CommandKind::kConnect || kind == CommandKind::kMetrics;
    bool want_scopes =
        kind == CommandKind::kMsg || kind == CommandKind::kPub || kind == CommandKind::kPeers;
    if (kind == CommandKind::kHelp) {
        for (std::size_t i = 0; i < count; ++i)
            offer(names[i].name.substr(1));
        return;
    }
    if (want_peers) {
        for (const std::string& id : peer_ids)
            offer(id);
        // "/msg @bob<Tab>" completes the @-form too.
        if (word.starts_with("@"))
            for (const std::string& id : peer_ids)
                offer("@" + id);
    }
    if (want_scopes) {
        offer("*");
        for (const std::string& id : peer_ids) {
            std::size_t at = id.find('@');
            if (at != std::string::npos) offer("#" + id.substr(at + 1));
        }
    }
}

}  // namespace p2p::shell
