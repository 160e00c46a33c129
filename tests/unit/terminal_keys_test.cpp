// platform::read_locale_char and locale_text_to_utf8: a key is a whole
// character in the locale's encoding (what libedit's wide build stores per
// rl_getc_function call), never one byte of it; text a non-UTF-8 locale
// produced becomes UTF-8, what it cannot decode is left out. And
// shell::cursor_row: where the line editor's cursor is, in display columns.
#include <gtest/gtest.h>
#include <locale.h>
#include <unistd.h>

#include <string>

#include "platform/terminal.h"
#include "shell/ui/screen_columns.h"

namespace p2p::platform {
namespace {

// Sets LC_CTYPE for one test and puts the previous one back.
class CtypeLocale {
  public:
    explicit CtypeLocale(const char* name) : saved_(::setlocale(LC_CTYPE, nullptr)) {
        ok_ = ::setlocale(LC_CTYPE, name) != nullptr;
    }
    ~CtypeLocale() { ::setlocale(LC_CTYPE, saved_.c_str()); }
    bool ok() const { return ok_; }

  private:
    std::string saved_;
    bool ok_ = false;
};

class Pipe {
  public:
    Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
    ~Pipe() {
        ::close(fds_[0]);
        if (fds_[1] >= 0) ::close(fds_[1]);
    }
    void write(const std::string& bytes) {
        ASSERT_EQ(::write(fds_[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    }
    void close_writer() {
        ::close(fds_[1]);
        fds_[1] = -1;
    }
    int reader() const { return fds_[0]; }

  private:
    int fds_[2] = {-1, -1};
};

TEST(ReadLocaleChar, Utf8KeysAreWholeCharacters) {
    CtypeLocale utf8("C.UTF-8");
    if (!utf8.ok()) GTEST_SKIP() << "no C.UTF-8 locale";
    Pipe p;
    // ã, 世, 👋, a lone continuation byte (skipped), e + U+0301, Ctrl-C.
    p.write(
        "\xC3\xA3\xE4\xB8\x96\xF0\x9F\x91\x8B\x80"
        "e\xCC\x81\x03");
    const char32_t expected[] = {U'\u00E3', U'\u4E16', U'\U0001F44B', U'e', U'\u0301', 3};
    for (char32_t want : expected) {
        char32_t got = 0;
        ASSERT_EQ(read_locale_char(p.reader(), 100, &got), KeyRead::kChar);
        EXPECT_EQ(static_cast<unsigned>(got), static_cast<unsigned>(want));
    }
    char32_t got = 0;
    EXPECT_EQ(read_locale_char(p.reader(), 20, &got), KeyRead::kTimeout);
    // A character cut short waits only its bound, then is dropped.
    p.write("\xE4\xB8");
    EXPECT_EQ(read_locale_char(p.reader(), 20, &got), KeyRead::kTimeout);
    p.close_writer();
    EXPECT_EQ(read_locale_char(p.reader(), 20, &got), KeyRead::kEnd);
}

TEST(ReadLocaleChar, AsciiLocaleSkipsWhatItCannotDecode) {
    CtypeLocale c("C");
    ASSERT_TRUE(c.ok());
    Pipe p;
    p.write("n\xC3\xA3o");
    std::u32string got;
    char32_t ch = 0;
    while (read_locale_char(p.reader(), 20, &ch) == KeyRead::kChar)
        got.push_back(ch);
    EXPECT_EQ(got, U"no");
}

TEST(LocaleTextToUtf8, Utf8PassesThroughAndAsciiLocaleDropsTheRest) {
    {
        CtypeLocale utf8("C.UTF-8");
        if (!utf8.ok()) GTEST_SKIP() << "no C.UTF-8 locale";
        std::string out;
        EXPECT_EQ(locale_text_to_utf8("n\xC3\xA3o \xF0\x9F\x91\x8B e\xCC\x81", &out), 0u);
        EXPECT_EQ(out, "n\xC3\xA3o \xF0\x9F\x91\x8B e\xCC\x81");
    }
    CtypeLocale c("C");
    std::string out;
    EXPECT_EQ(locale_text_to_utf8("caf\xC3\xA9!", &out), 2u);
    EXPECT_EQ(out, "caf!");
}

TEST(CursorRow, CountsDisplayColumnsAndWrapsWideCharactersEarly) {
    CtypeLocale utf8("C.UTF-8");
    if (!utf8.ok()) GTEST_SKIP() << "no C.UTF-8 locale";
    using shell::cursor_row;
    EXPECT_EQ(cursor_row("> ", "abc", 10), 0u);
    EXPECT_EQ(cursor_row("> ", "abcdefgh", 10), 1u) << "a full row puts the cursor below";
    // 世 is two columns: 4 of them after "> " fill 10 columns.
    EXPECT_EQ(cursor_row("> ", "\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96", 10), 0u);
    EXPECT_EQ(cursor_row("> ", "\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96", 10), 1u);
    // "> a" then 世 x4: the 4th does not fit columns 9-10 and starts row 1.
    EXPECT_EQ(cursor_row("> a", "\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96", 10), 1u);
    // A combining mark takes no column.
    EXPECT_EQ(cursor_row("> ", "abcdefge\xCC\x81", 11), 0u);
    EXPECT_EQ(shell::byte_offset_of("a\xC3\xA3"
                                    "b",
                                    2),
              3u);
}

}  // namespace
}  // namespace p2p::platform
