#include "shell/app/option_docs.h"

#include "shell/app/node_options.h"
#include "shell/app/rendezvous_cli.h"

namespace p2p::shell {

namespace {

// Text for a roff line: backslashes and dashes escaped; a leading '.' or '\''
// would start a request, so \& guards it.
std::string roff(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
}

// The .TP tag of a flag: bold flag, italic metavar.
std::string man_tag(const OptionRow& row) {
    std::string tag = row.kind == OptionKind::kHelp ? "\\fB\\-h\\fR, " : "";
    tag += "\\fB" + roff(row.flag) + "\\fR";
    if (!row.metavar.empty()) tag += " \\fI" + roff(row.metavar) + "\\fR";
    return tag;
}

// A help sentence as man pages write them: capitalised, with a full stop.
std::string sentence(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
        text[0] = static_cast<char>(text[0] - 32);
    if (!text.empty() && text.back() != '.') text += '.';
    return text;
}

std::string code_block(std::string_view text) {
    // render_flag_sections starts each section with a blank line; the block need not.
    std::string_view body = text.substr(text.find_first_not_of('\n'));
    return "```\n" + std::string(body) + "```\n";
}

}  // namespace

std::string render_man_options(std::span<const OptionRow> rows, const void* defaults) {
    std::string out;
    for (std::string_view section : flag_sections(rows)) {
        out += ".SS " + roff(section) + "\n";
        for (const OptionRow& row : rows) {
            if (row.flag.empty() || row.section != section) continue;
            out += ".TP\n" + man_tag(row) + "\n" + roff(sentence(row_help(row, defaults))) + "\n";
        }
    }
    return out;
}

std::string render_man_keys(std::span<const OptionRow> rows) {
    std::string out = ".TS\nl lx.\n";
    for (const OptionRow& row : rows) {
        for (const std::string& key : row_keys(row)) {
            std::string what;
            if (row.flag.empty())
                what = "T{\n" + roff(row.help) + "\nT}";  // a text block: it wraps
            else if (row.kind == OptionKind::kSwitch && key != flag_key(row.flag))
                what = std::string(row.switch_value ? "true is " : "false is ") + roff(row.flag);
            else if (row.kind == OptionKind::kSwitch)
                what = "true: " + roff(row.flag);
            else
                what = roff(row.flag);
            out += roff(key) + "\t" + what + "\n";
        }
    }
    return out + ".TE\n";
}

std::vector<GeneratedRegion> generated_regions() {
    const NodeOptions node;
    const RendezvousOptions rdv;
    auto node_rows = node_option_rows();
    auto rdv_rows = rendezvous_option_rows();
    return {
        {"docs/man/p2pchat.1", "options", render_man_options(node_rows, &node)},
        {"docs/man/p2pchat.1", "keys", render_man_keys(node_rows)},
        {"docs/man/p2pchat-rendezvous.1", "options", render_man_options(rdv_rows, &rdv)},
        {"docs/man/p2pchat-rendezvous.1", "keys", render_man_keys(rdv_rows)},
        {"README.md", "p2pchat flags", code_block(render_flag_sections(node_rows, &node))},
        {"README.md", "p2pchat rendezvous flags", code_block(render_flag_sections(rdv_rows, &rdv))},
    };
}

bool replace_region(std::string& doc, std::string_view name, std::string_view text,
                    std::string& error) {
    std::string begin = "BEGIN GENERATED: " + std::string(name);
    std::string end = "END GENERATED: " + std::string(name);
    std::size_t b = doc.find(begin);
    std::size_t e = doc.find(end);
    if (b == std::string::npos || e == std::string::npos || e < b) {
        error = "no '" + begin + "' ... '" + end + "' marker lines";
        return false;
    }
    std::size_t from = doc.find('\n', b);
    std::size_t to = doc.rfind('\n', e);
    if (from == std::string::npos || to == std::string::npos || to < from) {
        error = "'" + begin + "' and '" + end + "' must be lines of their own";
        return false;
    }
    doc.replace(from + 1, to + 1 - (from + 1), text);
    return true;
}

}  // namespace p2p::shell
