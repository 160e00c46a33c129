// A program on a pseudo-terminal the test owns, without tmux: for what tmux
// cannot show. The test sets the line up as a serial console has it (a
// speed, no window size), types bytes, reads every byte the program writes,
// can stop reading (a slow line), hangs the terminal up by closing the
// master side (the kernel then sends the program, the session leader,
// SIGHUP and fails its reads with EIO), and reaps the program for its exact
// exit status.
//
// The child runs in a session of its own with the pty as its controlling
// terminal, and dies with the thread that started it (PR_SET_PDEATHSIG).
#pragma once
#include <sys/types.h>
#include <termios.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2p::test {

struct PtyOptions {
    speed_t speed = B38400;   // what the line reports (cfgetospeed)
    unsigned short rows = 0;  // TIOCGWINSZ; 0x0 as on a serial console
    unsigned short columns = 0;
};

class PtyChild {
  public:
    PtyChild() = default;
    ~PtyChild();  // hangs up, SIGKILLs a child still running, reaps it
    PtyChild(const PtyChild&) = delete;
    PtyChild& operator=(const PtyChild&) = delete;

    // `program` with argv[1..] = args, the environment plus `env` ("K=V").
    bool start(const std::string& program, const std::vector<std::string>& args,
               const std::vector<std::string>& env, const PtyOptions& options,
               std::string* err = nullptr);
    pid_t pid() const { return pid_; }

    bool type(std::string_view bytes);
    // Reads what the program wrote so far into output().
    void pump();
    // Pumps until output() holds `text` (after `from`); false on timeout.
    bool wait_output(std::string_view text, std::chrono::milliseconds timeout,
                     std::size_t from = 0);
    const std::string& output() const { return output_; }

    // Closes the master side: the terminal hangs up.
    void hang_up();
    // The exit code (128 + N when killed by signal N), nullopt if it still
    // runs after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  private:
    int master_ = -1;
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string output_;
};

}  // namespace p2p::test
