// Linked into every gtest program of the suite (tests/CMakeLists.txt, as an
// object so the registration is not dropped by the linker): marks this test
// process's descendants before the first test and fails the run when one of
// them is still alive after the last (tests/support/process_guard.h). ctest
// runs one test per process, so the failure names the test that left it.
#include <gtest/gtest.h>

#include "tests/support/process_guard.h"

namespace p2p::test {
namespace {

// Room for what a test starts and rightly stops only as it returns: a tmux
// server told to quit, a node finishing its goodbyes after its terminal closed.
constexpr std::chrono::milliseconds kExitGrace{10000};

class LeftoverProcessCheck : public ::testing::Environment {
  public:
    void SetUp() override { mark_test_owner(); }
    void TearDown() override { fail_on_leftover_processes(kExitGrace); }
};

[[maybe_unused]] ::testing::Environment* const kLeftoverProcessCheck =
    ::testing::AddGlobalTestEnvironment(new LeftoverProcessCheck);

}  // namespace
}  // namespace p2p::test
