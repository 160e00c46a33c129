// A `p2pchat rendezvous` for process-level tests: started on 127.0.0.1 port 0 with the
// given flags, its port read from "listening on", one-request helpers over raw TCP.
#pragma once
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {

class RendezvousProcess {
  public:
    // `flags` come after --listen 127.0.0.1:0 --log-level DEBUG.
    explicit RendezvousProcess(const std::vector<std::string>& flags) {
        using namespace std::chrono_literals;
        std::vector<std::string> args = {"rendezvous", "--listen", "127.0.0.1:0", "--log-level",
                                         "DEBUG"};
        args.insert(args.end(), flags.begin(), flags.end());
        std::string err;
        EXPECT_TRUE(proc.start(P2PCHAT_BIN, args, {}, &err)) << err;
        std::vector<std::string> groups;
        auto line = proc.wait_for_line(R"(^listening on 127\.0\.0\.1:(\d+)$)", 15s, Stream::kStdout,
                                       &groups);
        EXPECT_TRUE(line) << proc.dump();
        if (line) port = static_cast<std::uint16_t>(std::stoi(groups[1]));
    }
    // One request on its own connection: the answer line, or "<no reply>".
    std::string ask(const std::string& line) {
        auto reply = request_line(port, line, std::chrono::seconds(10));
        return reply ? *reply : std::string("<no reply>");
    }
    // Stops with SIGTERM and expects a clean exit.
    void stop() {
        ASSERT_TRUE(proc.send_signal(SIGTERM));
        auto status = proc.wait_exit(std::chrono::seconds(10));
        ASSERT_TRUE(status) << proc.dump();
        EXPECT_TRUE(status->success()) << proc.dump();
    }

    Process proc;
    std::uint16_t port = 0;
};

}  // namespace p2p::test
