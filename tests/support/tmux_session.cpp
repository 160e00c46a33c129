#include "tests/support/tmux_session.h"
#include "tests/support/poll_until.h"
#include "tests/support/process.h"
#include "tests/support/temp_path.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace p2p::test {

TmuxSession::TmuxSession(int width, int height) : width_(width), height_(height) {
    static int counter = 0;
    std::string dir = temp_template("p2p_tmux");
    if (::mkdtemp(dir.data())) dir_ = dir;
    socket_ = "p2ptest-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

TmuxSession::~TmuxSession() {
    stop_program();
    std::vector<std::string> lines;
    std::istringstream raw(raw_output());
    for (std::string line; std::getline(raw, line);)
        lines.push_back(line);
    fail_on_sanitizer_reports("the program in the tmux pane", lines, screen());
    tmux("kill-server");
    if (!dir_.empty()) std::system(("rm -rf " + quote(dir_)).c_str());
}

bool TmuxSession::available() {
    return std::system("tmux -V >/dev/null 2>&1") == 0;
}

std::string TmuxSession::quote(const std::string& s) {
    return shell_quote(s);
}

void TmuxSession::start(const std::string& command) {
    // Started detached on a shell that waits, so remain-on-exit and
    // pipe-pane are in place before the program writes its first byte.
    std::string go = dir_ + "/go";
    std::string wrapped = "while [ ! -e " + quote(go) + " ]; do sleep 0.02; done; " + command;
    tmux("new-session -d -s t -x " + std::to_string(width_) + " -y " + std::to_string(height_) +
         " " + quote(wrapped));
    tmux("set-option -t t remain-on-exit on");
    tmux("pipe-pane -t t -o " + quote("cat >> " + quote(raw_output_path())));
    std::ofstream(go.c_str()).put('\n');
}

std::string TmuxSession::raw_output() const {
    std::ifstream f(raw_output_path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string TmuxSession::tmux(const std::string& args) {
    return capture_command("tmux -u -L " + socket_ + " -f /dev/null " + args + " 2>&1");
}

void TmuxSession::type(const std::string& text) {
    tmux("send-keys -t t -l " + quote(text));
}

void TmuxSession::key(const std::string& name) {
    tmux("send-keys -t t " + name);
}

std::string TmuxSession::screen() {
    return tmux("capture-pane -p -t t");
}

bool TmuxSession::wait_screen(const std::string& re, std::chrono::milliseconds timeout,
                              std::vector<std::string>* groups) {
    std::regex pattern(re);
    return poll_until(
        [&] {
            std::string text = screen();
            std::smatch m;
            if (!std::regex_search(text, m, pattern)) return false;
            if (groups) groups->assign(m.begin(), m.end());
            return true;
        },
        timeout);
}

bool TmuxSession::wait_raw(const std::string& bytes, std::chrono::milliseconds timeout) {
    return poll_until([&] { return raw_output().find(bytes) != std::string::npos; }, timeout);
}

pid_t TmuxSession::pane_pid() {
    return static_cast<pid_t>(std::atol(tmux("display -p -t t '#{pane_pid}'").c_str()));
}

// As Process::stop(): SIGTERM, again after a second, SIGKILL (a failure) after
// 20 s, to the pane's process group (the pane's program leads it).
void TmuxSession::stop_program() {
    const pid_t pid = pane_pid();
    if (pid <= 1) return;  // never started (kill(-1) or kill(-0) would hit far more)
    for (auto wait : {std::chrono::milliseconds(1000), std::chrono::milliseconds(19000)}) {
        if (wait_exit(std::chrono::milliseconds(0))) return;
        ::kill(-pid, SIGTERM);
        if (wait_exit(wait)) return;
    }
    ADD_FAILURE() << "the program in the tmux pane (pid " << pid
                  << ") ignored SIGTERM for 20 s and was killed:\n"
                  << screen();
    ::kill(-pid, SIGKILL);
}

std::optional<int> TmuxSession::wait_exit(std::chrono::milliseconds timeout) {
    if (!poll_until([&] { return tmux("display -p -t t '#{pane_dead}'").find('1') == 0; }, timeout))
        return std::nullopt;
    return std::atoi(tmux("display -p -t t '#{pane_dead_status}'").c_str());
}

int count_on_screen(const std::string& screen, const std::string& text) {
    int n = 0;
    for (std::size_t at = 0; (at = screen.find(text, at)) != std::string::npos; at += text.size())
        ++n;
    return n;
}

}  // namespace p2p::test
