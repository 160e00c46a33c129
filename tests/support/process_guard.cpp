#include "tests/support/process_guard.h"
#include "tests/support/poll_until.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace p2p::test {

namespace {

// /proc/<pid>/<file> whole; empty if the process is gone (or a zombie,
// whose environ and cmdline read as empty).
std::string read_proc_file(const std::string& pid, const char* file) {
    std::ifstream in("/proc/" + pid + "/" + file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string owner_entry(pid_t owner) {
    return std::string(kTestOwnerVar) + "=" + std::to_string(owner);
}

}  // namespace

void mark_test_owner() {
    ::setenv(kTestOwnerVar, std::to_string(::getpid()).c_str(), 1);
}

std::vector<LeftoverProcess> processes_marked_by(pid_t owner) {
    const std::string wanted = owner_entry(owner);
    const std::string self = std::to_string(::getpid());
    std::vector<LeftoverProcess> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos || pid == self) continue;
        // NUL-separated KEY=VALUE entries; a match is a whole entry.
        const std::string environ = read_proc_file(pid, "environ");
        std::size_t at = 0;
        bool marked = false;
        while (!marked && at < environ.size()) {
            std::size_t end = environ.find('\0', at);
            if (end == std::string::npos) end = environ.size();
            marked = environ.compare(at, end - at, wanted) == 0;
            at = end + 1;
        }
        if (!marked) continue;
        std::string command = read_proc_file(pid, "cmdline");
        for (char& c : command)
            if (c == '\0') c = ' ';
        found.push_back({static_cast<pid_t>(std::atol(pid.c_str())), command});
    }
    return found;
}

void fail_on_leftover_processes(std::chrono::milliseconds grace) {
    std::vector<LeftoverProcess> left;
    poll_until(
        [&] {
            left = processes_marked_by(::getpid());
            return left.empty();
        },
        grace, std::chrono::milliseconds(50));
    for (const LeftoverProcess& p : left) {
        ADD_FAILURE() << "process " << p.pid << " outlived its test by " << grace.count()
                      << " ms (killed now): " << p.command;
        ::kill(p.pid, SIGKILL);
    }
}

}  // namespace p2p::test
