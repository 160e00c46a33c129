#include "tests/support/pty_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

extern char** environ;

namespace p2p::test {

PtyChild::~PtyChild() {
    hang_up();
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
}

bool PtyChild::start(const std::string& program, const std::vector<std::string>& args,
                     const std::vector<std::string>& env, const PtyOptions& options,
                     std::string* err) {
    auto fail = [&](const char* what) {
        if (err) *err = std::string(what) + ": " + std::strerror(errno);
        return false;
    };
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0) return fail("posix_openpt");
    if (::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return fail("grantpt");
    std::string slave = ::ptsname(master_);
    ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);

    // Built before fork: only async-signal-safe calls between fork and exec.
    std::vector<std::string> argv_store{program};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    // getenv takes the first match: the overrides go first.
    std::vector<std::string> env_store(env.begin(), env.end());
    for (char** e = environ; e && *e; ++e)
        env_store.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_store)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) return fail("fork");
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::signal(SIGPIPE, SIG_DFL);
        ::setsid();
        int fd = ::open(slave.c_str(), O_RDWR);  // the session's controlling terminal
        if (fd < 0) ::_exit(127);
        struct termios t {};
        ::tcgetattr(fd, &t);
        ::cfsetispeed(&t, options.speed);
        ::cfsetospeed(&t, options.speed);
        ::tcsetattr(fd, TCSANOW, &t);
        struct winsize ws {};
        ws.ws_row = options.rows;
        ws.ws_col = options.columns;
        ::ioctl(fd, TIOCSWINSZ, &ws);
        ::dup2(fd, 0);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        if (fd > 2) ::close(fd);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    return true;
}

bool PtyChild::type(std::string_view bytes) {
    while (!bytes.empty() && master_ >= 0) {
        ssize_t n = ::write(master_, bytes.data(), bytes.size());
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pump();  // the program echoes: read its output to make room
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
            return false;
        }
    }
    return bytes.empty();
}

void PtyChild::pump() {
    char buf[4096];
    while (master_ >= 0) {
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n <= 0) return;
        output_.append(buf, static_cast<std::size_t>(n));
    }
}

bool PtyChild::wait_output(std::string_view text, std::chrono::milliseconds timeout,
                           std::size_t from) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        pump();
        if (output_.size() > from && output_.find(text, from) != std::string::npos) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        struct pollfd p {
            master_, POLLIN, 0
        };
        ::poll(&p, 1, 20);
    }
}

void PtyChild::hang_up() {
    if (master_ < 0) return;
    ::close(master_);
    master_ = -1;
}

std::optional<int> PtyChild::wait_exit(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    if (pid_ <= 0) return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        pump();
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return status_;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace p2p::test
