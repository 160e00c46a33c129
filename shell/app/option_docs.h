// The option parts of the documentation, rendered from the option tables so
// they cannot drift from the programs (issue 15.10): the man pages' OPTIONS
// and CONFIGURATION FILE keys, and the README's flag lists (the same text as
// --help). The documents keep them between marker lines
//   BEGIN GENERATED: <region> ... END GENERATED: <region>
// (in a roff or HTML comment); `p2pchat_docgen --write` rewrites them
// (cmake --build --preset dev --target update_docs) and the test
// docs_generated (`p2pchat_docgen --check`) fails when one differs.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shell/app/option_table.h"

namespace p2p::shell {

// roff: one .SS per section, one .TP per flag with its help, range and default.
std::string render_man_options(std::span<const OptionRow> rows, const void* defaults);

// roff: a two-column table of every config key and the flag it stands for
// (or, for a key without a flag, its help).
std::string render_man_keys(std::span<const OptionRow> rows);

// One generated region of one document.
struct GeneratedRegion {
    std::string file;  // relative to the source tree
    std::string name;  // the marker's <region>
    std::string text;  // what belongs between the markers
};

// Every region of the documents, from both programs' tables.
std::vector<GeneratedRegion> generated_regions();

// Puts `text` between the markers of `name` in `doc` (marker lines kept).
// False with `error` when the markers are missing.
bool replace_region(std::string& doc, std::string_view name, std::string_view text,
                    std::string& error);

}  // namespace p2p::shell
