// Waiting on a real EventLoop without fixed sleeps, and counting what a test
// must show it did not leak (fds, threads). Shared by the platform unit tests
// that drive real sockets, pipes and worker threads.
#pragma once

#include <dirent.h>

#include <functional>

#include "core/clock.h"
#include "platform/event_loop.h"

namespace p2p::test {

// Runs loop iterations until `done` holds or the (generous) deadline passes;
// false on timeout, so a test fails instead of hanging.
inline bool run_until(platform::EventLoop& loop, const std::function<bool()>& done, int ms = 5000) {
    MonoMs end = loop.now() + ms;
    while (!done()) {
        if (loop.now() > end) return false;
        loop.run_once(20);
    }
    return true;
}

// Entries of a /proc directory such as /proc/self/fd or /proc/self/task;
// -1 if it cannot be read.
inline int count_dir_entries(const char* dir) {
    int n = 0;
    DIR* d = opendir(dir);
    if (!d) return -1;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    return n;
}

inline int open_fds() {
    return count_dir_entries("/proc/self/fd");
}
inline int thread_count() {
    return count_dir_entries("/proc/self/task");
}

}  // namespace p2p::test
