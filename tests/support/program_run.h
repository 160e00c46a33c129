// Runs the p2pchat binary to its end for tests of what it prints and how it
// exits (--help, --version, --check-config, a refused config file).
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/node_process.h"

namespace p2p::test {

struct Ran {
    ExitStatus status;
    std::string out;  // stdout, one "\n" after each line
    std::string err;  // stderr, likewise
};

// `args` after the program name; `env` as Process::start takes it.
inline Ran run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    Process p;
    Ran r;
    EXPECT_TRUE(p.start(P2PCHAT_BIN, args, env));
    auto st = p.wait_exit(kEventTimeout);
    EXPECT_TRUE(st.has_value());
    if (st) r.status = *st;
    for (const std::string& l : p.lines(Stream::kStdout))
        r.out += l + "\n";
    for (const std::string& l : p.lines(Stream::kStderr))
        r.err += l + "\n";
    return r;
}

}  // namespace p2p::test
