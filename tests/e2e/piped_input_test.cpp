// Commands piped into the real p2pchat (issue 15.8): `echo "/msg bob@CIC hi" |
// p2pchat ...` must deliver (the peer is not discovered yet when the line is
// read: the message waits for the first discovery round and its handshakes),
// then exit once what was sent is delivered or failed: status 0 when all was
// delivered, 1 otherwise. --stay keeps it running; /dev/null is not a pipe
// (a service's stdin) and keeps it running too.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/node_process.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

class PipedInput : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string err;
        ASSERT_TRUE(rdv_.start(&err)) << err;
        NodeConfig c;
        c.name = "bob";
        c.rendezvous_port = rdv_.port();
        ASSERT_TRUE(bob_.start(c, &err)) << err;
        ASSERT_TRUE(bob_.expect("^rendezvous registered")) << bob_.dump();
    }
    std::vector<std::string> alice_args(const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> a = {"--name",       "alice",
                                      "--namespace",  "CIC",
                                      "--rendezvous", "127.0.0.1:" + std::to_string(rdv_.port())};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    // alice with `lines` on a pipe that then ends.
    void pipe_to_alice(const std::string& lines, const std::vector<std::string>& extra = {}) {
        std::string err;
        ASSERT_TRUE(alice_.start(P2PCHAT_BIN, alice_args(extra),
                                 {"HOME=" + home_.path(), "NO_COLOR=1", "TERM=dumb"}, &err))
            << err;
        ASSERT_TRUE(alice_.write_stdin(lines));
        alice_.close_stdin();
    }

    RendezvousProcess rdv_;
    NodeProcess bob_;
    TempDir home_;
    Process alice_;
};

TEST_F(PipedInput, WaitsForDiscoveryDeliversAndExitsZero) {
    pipe_to_alice("/msg bob@CIC hi from a pipe\nand the next line\n");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: hi from a pipe$")) << bob_.dump() << alice_.dump();
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: and the next line$")) << bob_.dump();
    auto st = alice_.wait_exit(kEventTimeout);
    ASSERT_TRUE(st) << "the node did not exit at the end of its input\n" << alice_.dump();
    EXPECT_TRUE(st->success()) << alice_.dump();
    EXPECT_FALSE(alice_.has_line(std::regex("no_route"))) << alice_.dump();
    // It said goodbye on the way out.
    EXPECT_TRUE(bob_.expect("^link alice@CIC down")) << bob_.dump();
}

TEST_F(PipedInput, ExitsOneWhenSomethingWasNotDelivered) {
    pipe_to_alice("/msg nobody@CIC lost\n/msg bob@CIC found\n");
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: found$")) << bob_.dump() << alice_.dump();
    auto st = alice_.wait_exit(kEventTimeout);
    ASSERT_TRUE(st) << alice_.dump();
    EXPECT_TRUE(st->exited);
    EXPECT_EQ(st->code, 1) << alice_.dump();
    EXPECT_TRUE(alice_.has_line(std::regex("unknown peer nobody@CIC|to nobody@CIC: no_route")))
        << alice_.dump();
}

TEST_F(PipedInput, StayKeepsTheNodeRunning) {
    pipe_to_alice("/msg bob@CIC still here\n", {"--stay"});
    ASSERT_TRUE(alice_.wait_for_line("^delivered \\S+ to bob@CIC", kEventTimeout)) << alice_.dump();
    EXPECT_FALSE(alice_.wait_exit(1500ms)) << alice_.dump();
    EXPECT_TRUE(alice_.running());
}

// A service's stdin: /dev/null ends at once and is not a pipe: the node runs on.
TEST_F(PipedInput, DevNullIsNotAnEndOfCommands) {
    std::string cmd = "timeout 2 " + std::string(P2PCHAT_BIN);
    for (const std::string& a : alice_args())
        cmd += " '" + a + "'";
    cmd += " </dev/null >/dev/null 2>&1";
    int rc = std::system(("HOME='" + home_.path() + "' " + cmd).c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 124) << "the node left when /dev/null ended";
}

}  // namespace
}  // namespace p2p::test
