// A program in a real terminal for e2e tests: a private tmux server (-L, so
// the user's tmux is never touched) runs one command in a pane; tests type
// with send-keys, read the screen with capture-pane, read the raw bytes the
// program wrote (pipe-pane, for bytes a screen does not show such as BEL),
// and learn the pane's pid and exit status (remain-on-exit). The destructor
// stops the program as Process does (SIGTERM first; SIGKILL fails the test),
// fails the test on a sanitizer report in what the pane showed, and kills
// the server.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace p2p::test {

// How many times `text` appears on `screen` (rows a message takes, when the text is
// one row's worth).
int count_on_screen(const std::string& screen, const std::string& text);

class TmuxSession {
  public:
    TmuxSession(int width = 100, int height = 30);
    ~TmuxSession();
    TmuxSession(const TmuxSession&) = delete;
    TmuxSession& operator=(const TmuxSession&) = delete;

    static bool available();  // tmux is installed
    // '...' quoting for a POSIX shell (shell_quote of tests/support/process.h).
    static std::string quote(const std::string& s);

    // Runs `command` (a shell command line; start it with `exec` so the pane's
    // pid is the program's) in a new pane; its output is also copied raw to
    // raw_output_path().
    void start(const std::string& command);
    const std::string& dir() const { return dir_; }  // a private temp dir, removed at the end
    std::string raw_output_path() const { return dir_ + "/pane.raw"; }
    std::string raw_output() const;

    std::string tmux(const std::string& args);
    void type(const std::string& text);
    void key(const std::string& name);
    std::string screen();
    // Waits until the screen matches `re`; the match's groups into *groups.
    bool wait_screen(const std::string& re, std::chrono::milliseconds timeout,
                     std::vector<std::string>* groups = nullptr);
    bool wait_raw(const std::string& bytes, std::chrono::milliseconds timeout);
    pid_t pane_pid();
    // The program's exit status once the pane is dead, nullopt if it still
    // runs after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  private:
    void stop_program();

    std::string dir_;
    std::string socket_;
    int width_;
    int height_;
};

}  // namespace p2p::test
