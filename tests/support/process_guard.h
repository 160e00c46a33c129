// Processes a test leaves behind. Every gtest program of the suite marks
// itself at start (P2P_TEST_OWNER=<its pid> in its environment, which every
// descendant inherits: Process children, tmux servers and the programs in
// their panes, `ip netns exec` children) and, when its tests are done, fails
// if a marked process is still alive (tests/support/process_guard_env.cpp).
// A process that outlives its test holds ports and CPU for the tests after
// it, and hides an exit path (SIGTERM, SIGHUP) that never completes.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace p2p::test {

inline constexpr char kTestOwnerVar[] = "P2P_TEST_OWNER";

struct LeftoverProcess {
    pid_t pid = 0;
    std::string command;  // its command line, for the failure message
};

// Puts P2P_TEST_OWNER=<this pid> into this process's environment.
void mark_test_owner();
// Live processes (not zombies, not this one) whose environment holds
// P2P_TEST_OWNER=<owner>.
std::vector<LeftoverProcess> processes_marked_by(pid_t owner);
// Waits up to `grace` for this process's marked descendants to go (a tmux
// server and its panes exit after the test returns); fails the current test
// (ADD_FAILURE) naming those still alive after that, and SIGKILLs them.
void fail_on_leftover_processes(std::chrono::milliseconds grace);

}  // namespace p2p::test
