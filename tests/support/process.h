// A child process for process-level tests: start a program with arguments and
// extra environment, write lines to its stdin, wait for lines on its stdout or
// stderr with a timeout, send it signals, wait for it to exit.
//
// Never leaks processes, and lets them finish the way a user's would: the
// destructor stops a child that is still running with SIGTERM, a second
// SIGTERM after a second (p2pchat: "do not wait for the goodbyes"), and only
// when that is not enough SIGKILL, which fails the test. A child that exits
// normally runs its at-exit checks (LeakSanitizer), and the destructor fails
// the test on any sanitizer report in the child's stderr, however it ended.
// The child is started with PR_SET_PDEATHSIG=SIGKILL so it dies with the
// thread that started it even if the test crashes. (Start children from a
// thread that outlives them, e.g. the test's main thread.)
//
// Output is captured by one reader thread per Process into line buffers
// (the trailing '\n' and a preceding '\r' removed; a last unterminated line is
// kept when the stream closes). Waiting never uses fixed sleeps.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace p2p::test {

using std::chrono::milliseconds;

enum class Stream { kStdout, kStderr };

struct ExitStatus {
    bool exited = false;  // normal exit; `code` is valid
    int code = -1;
    int signal = 0;  // killed by this signal when !exited
    bool success() const { return exited && code == 0; }
};

class Process {
  public:
    Process() = default;
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    // Starts `program` (a path; PATH is not searched) with argv[1..] = args.
    // The child inherits this environment plus `env` ("KEY=VALUE", overriding
    // inherited keys). False with *err on failure (e.g. not executable).
    bool start(const std::string& program, const std::vector<std::string>& args,
               const std::vector<std::string>& env = {}, std::string* err = nullptr);

    pid_t pid() const { return pid_; }
    bool running();  // not yet exited (reaps it if it just did)

    // Writes all bytes to the child's stdin, waiting at most `timeout` for
    // the pipe to drain. False if the child closed stdin or time ran out.
    bool write_stdin(std::string_view bytes, milliseconds timeout = milliseconds(5000));
    bool write_line(std::string_view line, milliseconds timeout = milliseconds(5000));
    void close_stdin();

    // Waits until a line of `stream` matches `re` (std::regex_search) and
    // returns it. Lines are searched from a per-stream cursor that moves past
    // each returned line, so successive calls find successive matches and a
    // line seen before an action is never mistaken for its effect. nullopt on
    // timeout, or once the stream closed without a match. *groups receives the
    // submatches when given.
    std::optional<std::string> wait_for_line(const std::regex& re, milliseconds timeout,
                                             Stream stream = Stream::kStdout,
                                             std::vector<std::string>* groups = nullptr);
    std::optional<std::string> wait_for_line(const std::string& re, milliseconds timeout,
                                             Stream stream = Stream::kStdout,
                                             std::vector<std::string>* groups = nullptr) {
        return wait_for_line(std::regex(re), timeout, stream, groups);
    }
    // True if any line captured so far (cursor ignored) matches.
    bool has_line(const std::regex& re, Stream stream = Stream::kStdout);
    // Everything captured so far on `stream` (for diagnostics in failures).
    std::vector<std::string> lines(Stream stream = Stream::kStdout);
    std::string dump();  // stdout and stderr, labelled, for assertion messages

    bool send_signal(int signo);
    // Waits at most `timeout` for the child to exit, then for its output to
    // be fully captured (up to 1 s more). nullopt if still running.
    std::optional<ExitStatus> wait_exit(milliseconds timeout);
    // SIGKILL and reap (no-op if already gone): a crash the test means to
    // cause. Returns how it ended.
    ExitStatus kill_now();
    // SIGTERM, SIGTERM again after a second, and SIGKILL (a test failure)
    // once stop_timeout() has passed; reaps it. No-op if already gone.
    ExitStatus stop();
    // How long stop() waits in all before it resorts to SIGKILL. The default
    // leaves room for a sanitizer build's exit-time leak check on a loaded
    // machine; the tests of this helper shorten it.
    void set_stop_timeout(milliseconds timeout) { stop_timeout_ = timeout; }

  private:
    struct Captured {
        std::vector<std::string> lines;
        std::string partial;
        std::size_t cursor = 0;
        bool closed = false;
    };
    void reader_loop(int out_fd, int err_fd, int stop_fd);
    Captured& captured(Stream s) { return s == Stream::kStdout ? out_ : err_; }
    bool reap(bool block);

    void fail_on_sanitizer_reports();

    std::string program_;
    milliseconds stop_timeout_{20000};
    pid_t pid_ = -1;
    bool reaped_ = false;
    ExitStatus status_;
    int stdin_fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    Captured out_, err_;
};

// The lines of `lines` that start a sanitizer report: AddressSanitizer or
// LeakSanitizer "ERROR:" headers and UndefinedBehaviorSanitizer's
// "runtime error:". Empty when there is none.
std::vector<std::string> sanitizer_reports(const std::vector<std::string>& lines);
// Fails the current test (ADD_FAILURE) with `output` when it holds a
// sanitizer report of the program `who`; `output` is what the test shows.
void fail_on_sanitizer_reports(const std::string& who, const std::vector<std::string>& lines,
                               const std::string& output);

// 'text' quoted for sh -c (single quotes, embedded ones escaped).
std::string shell_quote(const std::string& text);
// Runs a shell command line, returns its stdout.
std::string capture_command(const std::string& command);

// Resident set size of a process in KiB (VmRSS of /proc/<pid>/status), -1 if
// unreadable.
long rss_kib(pid_t pid);
// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid);

}  // namespace p2p::test
