// One terminal vocabulary (platform/terminal_codes.h): every escape sequence
// the program writes is named there once and listed in its opening comment,
// and no other source file spells one.
#include "platform/terminal_codes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace p2p::platform {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = P2P_SOURCE_DIR;
const fs::path kVocabulary = kRoot / "platform" / "terminal_codes.h";

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The spellings of ESC '[' a C++ literal can take.
bool spells_csi(const std::string& text) {
    for (const char* csi : {"\\x1b[", "\\x1B[", "\\033[", "\\e[", "\\u001b[", "\\u001B["})
        if (text.find(csi) != std::string::npos) return true;
    return false;
}

TEST(TerminalCodes, NoSourceOutsideTheVocabularySpellsAnEscapeSequence) {
    // The program's own sources; the tests' hostile inputs and expected bytes
    // are data, not vocabulary.
    std::vector<std::string> offenders;
    std::size_t scanned = 0;
    for (const char* dir : {"core", "platform", "shell", "tests/shell_demo", "tests/bench"}) {
        for (const fs::directory_entry& e : fs::recursive_directory_iterator(kRoot / dir)) {
            std::string ext = e.path().extension().string();
            if (!e.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
            if (fs::equivalent(e.path(), kVocabulary)) continue;
            ++scanned;
            if (spells_csi(read_text(e.path()))) offenders.push_back(e.path().string());
        }
    }
    EXPECT_GT(scanned, 100u) << "the walk found the sources";
    EXPECT_TRUE(offenders.empty()) << "escape sequences outside platform/terminal_codes.h: "
                                   << ::testing::PrintToString(offenders);
}

TEST(TerminalCodes, TheOpeningCommentListsEveryNamedSequence) {
    std::string text = read_text(kVocabulary);
    std::size_t code = text.find("\n#pragma once");
    ASSERT_NE(code, std::string::npos);
    std::string comment = text.substr(0, code);
    std::size_t named = 0;
    const std::string decl = "inline constexpr std::string_view ";
    for (std::size_t at = text.find(decl, code); at != std::string::npos;
         at = text.find(decl, at + 1)) {
        std::size_t begin = at + decl.size();
        std::string name = text.substr(begin, text.find_first_of(" [", begin) - begin);
        ++named;
        EXPECT_NE(comment.find("//   " + name + " "), std::string::npos)
            << name << " is not listed in the opening comment";
    }
    EXPECT_GE(named, 20u);
}

TEST(TerminalCodes, CursorUpCountsRows) {
    char buf[term::kCursorUpBytes];
    EXPECT_EQ(term::cursor_up(1, buf), "\x1b[1A");
    EXPECT_EQ(term::cursor_up(12, buf), "\x1b[12A");
    EXPECT_EQ(term::cursor_up(SIZE_MAX, buf), "\x1b[" + std::to_string(SIZE_MAX) + "A");
}

}  // namespace
}  // namespace p2p::platform
