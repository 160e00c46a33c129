#include "tests/support/process.h"
#include "tests/support/deadline.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;

void close_if_open(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

std::string env_key(const std::string& entry) {
    auto eq = entry.find('=');
    return eq == std::string::npos ? entry : entry.substr(0, eq);
}

}  // namespace

Process::~Process() {
    if (pid_ > 0) {
        stop();
        fail_on_sanitizer_reports();
    }
    close_if_open(stdin_fd_);
    if (stop_pipe_[1] >= 0) {
        // Wakes the reader even if a grandchild still holds our pipes open.
        char byte = 0;
        [[maybe_unused]] ssize_t n = ::write(stop_pipe_[1], &byte, 1);
    }
    if (reader_.joinable()) reader_.join();
    close_if_open(stop_pipe_[0]);
    close_if_open(stop_pipe_[1]);
}

bool Process::start(const std::string& program, const std::vector<std::string>& args,
                    const std::vector<std::string>& env, std::string* err) {
    if (pid_ > 0) {
        if (err) *err = "process already started";
        return false;
    }
    // Everything the child needs is built before fork: between fork and exec
    // only async-signal-safe calls are allowed (the reader thread may exist).
    std::vector<std::string> argv_store;
    argv_store.push_back(program);
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_store;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        bool overridden = false;
        for (const auto& o : env)
            overridden = overridden || env_key(o) == env_key(entry);
        if (!overridden) env_store.push_back(entry);
    }
    env_store.insert(env_store.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_store)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    int in_pipe[2], out_pipe[2], err_pipe[2], exec_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
        if (err) *err = std::strerror(errno);
        return false;
    }
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(exec_pipe, O_CLOEXEC) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        if (err) *err = std::strerror(errno);
        return false;
    }
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        if (err) *err = std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // parent died before prctl
        ::signal(SIGPIPE, SIG_DFL);               // an ignored SIGPIPE would survive exec
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execve(argv[0], argv.data(), envp.data());
        int code = errno;
        [[maybe_unused]] ssize_t n = ::write(exec_pipe[1], &code, sizeof code);
        ::_exit(127);
    }
    pid_ = pid;
    program_ = program;
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    ::close(exec_pipe[1]);
    stdin_fd_ = in_pipe[1];
    ::fcntl(stdin_fd_, F_SETFL, ::fcntl(stdin_fd_, F_GETFL) | O_NONBLOCK);
    // Writing to a child that exited must be a failed write, not a dead test.
    ::signal(SIGPIPE, SIG_IGN);

    // exec succeeded iff the CLOEXEC pipe closes without data.
    int exec_errno = 0;
    ssize_t got;
    do {
        got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    ::close(exec_pipe[0]);

    reader_ = std::thread(&Process::reader_loop, this, out_pipe[0], err_pipe[0], stop_pipe_[0]);
    if (got > 0) {
        if (err) *err = std::string("exec ") + program + ": " + std::strerror(exec_errno);
        reap(true);
        return false;
    }
    return true;
}

void Process::reader_loop(int out_fd, int err_fd, int stop_fd) {
    int fds[2] = {out_fd, err_fd};
    Captured* caps[2] = {&out_, &err_};
    char buf[8192];
    while (fds[0] >= 0 || fds[1] >= 0) {
        pollfd p[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {stop_fd, POLLIN, 0}};
        int r = ::poll(p, 3, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[2].revents) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i], buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            std::lock_guard<std::mutex> lock(mu_);
            Captured& c = *caps[i];
            if (n <= 0) {
                if (!c.partial.empty()) c.lines.push_back(std::move(c.partial));
                c.partial.clear();
                c.closed = true;
                ::close(fds[i]);
                fds[i] = -1;
            } else {
                c.partial.append(buf, static_cast<std::size_t>(n));
                std::size_t start = 0, nl;
                while ((nl = c.partial.find('\n', start)) != std::string::npos) {
                    std::size_t end = nl;
                    if (end > start && c.partial[end - 1] == '\r') --end;
                    c.lines.push_back(c.partial.substr(start, end - start));
                    start = nl + 1;
                }
                c.partial.erase(0, start);
            }
            cv_.notify_all();
        }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < 2; ++i) {
        if (fds[i] >= 0) ::close(fds[i]);
        caps[i]->closed = true;
    }
    cv_.notify_all();
}

bool Process::reap(bool block) {
    if (pid_ <= 0 || reaped_) return reaped_;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) return false;
    reaped_ = true;
    if (WIFEXITED(status)) {
        status_.exited = true;
        status_.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        status_.signal = WTERMSIG(status);
    }
    return true;
}

bool Process::running() {
    return pid_ > 0 && !reap(false);
}

bool Process::write_stdin(std::string_view bytes, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!bytes.empty()) {
        if (stdin_fd_ < 0) return false;
        ssize_t n = ::write(stdin_fd_, bytes.data(), bytes.size());
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return false;
        pollfd p{stdin_fd_, POLLOUT, 0};
        int left = remaining_ms(deadline);
        if (left == 0 || ::poll(&p, 1, left) <= 0) return false;
    }
    return true;
}

bool Process::write_line(std::string_view line, milliseconds timeout) {
    std::string framed(line);
    framed.push_back('\n');
    return write_stdin(framed, timeout);
}

void Process::close_stdin() {
    close_if_open(stdin_fd_);
}

std::optional<std::string> Process::wait_for_line(const std::regex& re, milliseconds timeout,
                                                  Stream stream, std::vector<std::string>* groups) {
    auto deadline = Clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mu_);
    Captured& c = captured(stream);
    for (;;) {
        for (; c.cursor < c.lines.size(); ++c.cursor) {
            std::smatch m;
            if (std::regex_search(c.lines[c.cursor], m, re)) {
                if (groups) {
                    groups->clear();
                    for (const auto& g : m)
                        groups->push_back(g.str());
                }
                return c.lines[c.cursor++];
            }
        }
        if (c.closed) return std::nullopt;
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && c.cursor == c.lines.size())
            return std::nullopt;
    }
}

bool Process::has_line(const std::regex& re, Stream stream) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& line : captured(stream).lines)
        if (std::regex_search(line, re)) return true;
    return false;
}

std::vector<std::string> Process::lines(Stream stream) {
    std::lock_guard<std::mutex> lock(mu_);
    return captured(stream).lines;
}

std::string Process::dump() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string text = "--- stdout ---\n";
    for (const auto& l : out_.lines)
        text += l + "\n";
    if (!out_.partial.empty()) text += out_.partial + "\n";
    text += "--- stderr ---\n";
    for (const auto& l : err_.lines)
        text += l + "\n";
    if (!err_.partial.empty()) text += err_.partial + "\n";
    return text;
}

bool Process::send_signal(int signo) {
    if (!running()) return false;
    return ::kill(pid_, signo) == 0;
}

std::optional<ExitStatus> Process::wait_exit(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    // Poll with a short backoff: waitpid has no timeout and SIGCHLD handling
    // would interfere with the code under test in-process.
    int step = 1;
    for (;;) {
        if (pid_ <= 0) return std::nullopt;
        if (reap(false)) {
            // Let the reader catch up, so everything the child printed can be
            // inspected once this returns (bounded: a grandchild may still
            // hold the pipes open).
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait_until(lock, std::max(deadline, Clock::now() + milliseconds(1000)),
                           [&] { return out_.closed && err_.closed; });
            return status_;
        }
        int left = remaining_ms(deadline);
        if (left == 0) return std::nullopt;
        std::this_thread::sleep_for(milliseconds(std::min(step, left)));
        step = std::min(step * 2, 20);
    }
}

ExitStatus Process::kill_now() {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
    return status_;
}

ExitStatus Process::stop() {
    if (pid_ <= 0) return status_;
    const milliseconds first_wait = std::min(stop_timeout_, milliseconds(1000));
    for (milliseconds wait : {first_wait, stop_timeout_ - first_wait}) {
        if (!running()) break;
        ::kill(pid_, SIGTERM);
        wait_exit(wait);
    }
    if (running()) {
        ADD_FAILURE() << program_ << " (pid " << pid_ << ") ignored SIGTERM for "
                      << stop_timeout_.count() << " ms and was killed:\n"
                      << dump();
        kill_now();
    }
    wait_exit(milliseconds(0));  // the output up to its end, for the report check
    return status_;
}

void Process::fail_on_sanitizer_reports() {
    std::vector<std::string> err_lines = lines(Stream::kStderr);
    p2p::test::fail_on_sanitizer_reports(program_ + " (pid " + std::to_string(pid_) + ")",
                                         err_lines, dump());
}

std::vector<std::string> sanitizer_reports(const std::vector<std::string>& lines) {
    static const std::regex kReport(
        "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer");
    std::vector<std::string> found;
    for (const auto& line : lines)
        if (std::regex_search(line, kReport)) found.push_back(line);
    return found;
}

void fail_on_sanitizer_reports(const std::string& who, const std::vector<std::string>& lines,
                               const std::string& output) {
    std::vector<std::string> reports = sanitizer_reports(lines);
    if (reports.empty()) return;
    ADD_FAILURE() << who << " reported " << reports.size()
                  << " sanitizer error(s), the first: " << reports.front() << "\n"
                  << output;
}

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char ch : text)
        out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return out + "'";
}

std::string capture_command(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    ::pclose(p);
    return out;
}

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string field;
    long ticks = 0;
    // Fields 14 and 15 (utime, stime); the name in parentheses may hold spaces.
    for (int i = 3; i <= 15 && fields >> field; ++i)
        if (i == 14 || i == 15) ticks += std::stol(field);
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace p2p::test
