// p2pchat_docgen --check|--write SOURCE_DIR: the documentation's generated
// regions (shell/app/option_docs.h) compared with, or rewritten from, the
// option tables. --check exits 1 naming each region that differs.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "shell/app/option_docs.h"

namespace {

bool read_text(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    bool write = argc == 3 && std::strcmp(argv[1], "--write") == 0;
    if (argc != 3 || (!write && std::strcmp(argv[1], "--check") != 0)) {
        std::fprintf(stderr, "usage: p2pchat_docgen --check|--write SOURCE_DIR\n");
        return 2;
    }
    std::string root = argv[2];
    std::map<std::string, std::string> docs;  // file -> its new text
    int status = 0;
    for (const p2p::shell::GeneratedRegion& r : p2p::shell::generated_regions()) {
        std::string path = root + "/" + r.file;
        if (!docs.count(r.file)) {
            std::string text;
            if (!read_text(path, text)) {
                std::fprintf(stderr, "%s: cannot read\n", path.c_str());
                return 1;
            }
            docs[r.file] = text;
        }
        std::string before = docs[r.file];
        std::string error;
        if (!p2p::shell::replace_region(docs[r.file], r.name, r.text, error)) {
            std::fprintf(stderr, "%s: %s\n", r.file.c_str(), error.c_str());
            return 1;
        }
        if (docs[r.file] != before && !write) {
            std::fprintf(stderr,
                         "%s: region '%s' differs from the option table; run "
                         "`cmake --build --preset dev --target update_docs` and commit\n",
                         r.file.c_str(), r.name.c_str());
            status = 1;
        }
    }
    if (write)
        for (const auto& [file, text] : docs) {
            std::ofstream(root + "/" + file, std::ios::binary) << text;
        }
    return status;
}
