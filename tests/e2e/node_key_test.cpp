// The node key (issue 16 part 1, docs/protocol.md §8): `--key FILE --fingerprint` makes
// the key once (0600) and prints its fingerprint, which an independent implementation
// (tests/support/noise_oracle.py: PyNaCl and hashlib) computes the same from the file;
// a key others may read, or a damaged one, is refused; /whoami shows it grouped.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <string>

#include "tests/support/node_process.h"
#include "tests/support/program_run.h"

namespace p2p::test {
namespace {

constexpr const char* kOracle = P2P_SOURCE_DIR "/tests/support/noise_oracle.py";
const std::regex kFingerprintLine("^[A-Z2-7]{52}$");

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

// What the oracle says the key file's fingerprint is.
std::string oracle_fingerprint(const std::string& key_file) {
    Process p;
    EXPECT_TRUE(p.start(P2P_PYTHON3, {kOracle, "fingerprint", key_file}, {}));
    auto st = p.wait_exit(kEventTimeout);
    EXPECT_TRUE(st && st->success()) << p.dump();
    auto lines = p.lines(Stream::kStdout);
    return lines.empty() ? "" : lines.front();
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
}

TEST(NodeKey, FingerprintMakesTheKeyOnceAndMatchesAnIndependentComputation) {
    TempDir dir;
    std::string key = dir.path() + "/state/p2pchat/node.key";
    Ran made = run({"--key", key, "--fingerprint"});
    ASSERT_TRUE(made.status.success()) << made.err;
    std::string fp = first_line(made.out);
    EXPECT_TRUE(std::regex_match(fp, kFingerprintLine)) << made.out;
    EXPECT_NE(made.out.find("key made: " + key), std::string::npos) << made.out;
    EXPECT_EQ(mode_of(key), 0600u);
    EXPECT_EQ(mode_of(dir.path() + "/state/p2pchat"), 0700u);
    EXPECT_EQ(fp, oracle_fingerprint(key));

    Ran again = run({"--key", key, "--fingerprint"});
    ASSERT_TRUE(again.status.success()) << again.err;
    EXPECT_EQ(first_line(again.out), fp);  // read, not made anew
    EXPECT_NE(again.out.find("key: " + key), std::string::npos) << again.out;
}

TEST(NodeKey, WithoutKeyTheStateDirectoryHoldsIt) {
    TempDir dir;
    Ran r = run({"--fingerprint"}, {"XDG_STATE_HOME=" + dir.path(), "STATE_DIRECTORY="});
    ASSERT_TRUE(r.status.success()) << r.err;
    EXPECT_EQ(first_line(r.out), oracle_fingerprint(dir.path() + "/p2pchat/node.key"));
    // A service's StateDirectory comes first.
    TempDir service;
    Ran s = run({"--fingerprint"},
                {"XDG_STATE_HOME=" + dir.path(), "STATE_DIRECTORY=" + service.path()});
    ASSERT_TRUE(s.status.success()) << s.err;
    EXPECT_EQ(first_line(s.out), oracle_fingerprint(service.path() + "/node.key"));
    EXPECT_NE(first_line(s.out), first_line(r.out));
}

TEST(NodeKey, AKeyOthersMayReadOrADamagedOneIsRefused) {
    TempDir dir;
    std::string key = dir.path() + "/node.key";
    ASSERT_TRUE(run({"--key", key, "--fingerprint"}).status.success());
    ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
    Ran open = run({"--key", key, "--fingerprint"});
    EXPECT_EQ(open.status.code, 1);
    EXPECT_NE(open.err.find("others may read or write it (mode 644)"), std::string::npos)
        << open.err;
    // A node does not start on it either.
    Ran node = run({"--name", "a", "--namespace", "CIC", "--key", key});
    EXPECT_EQ(node.status.code, 1);
    EXPECT_NE(node.err.find("--key: " + key + ": others may read"), std::string::npos) << node.err;

    std::string bad = dir.path() + "/bad.key";
    std::ofstream(bad) << "ed25519-seed: c2hvcnQ=\n";
    ASSERT_EQ(::chmod(bad.c_str(), 0600), 0);
    Ran damaged = run({"--key", bad, "--fingerprint"});
    EXPECT_EQ(damaged.status.code, 1);
    EXPECT_NE(damaged.err.find("not base64 of 32 bytes"), std::string::npos) << damaged.err;
}

TEST(NodeKey, WhoamiShowsTheFingerprintGrouped) {
    TempDir dir;
    std::string key = dir.path() + "/node.key";
    Ran made = run({"--key", key, "--fingerprint"});
    ASSERT_TRUE(made.status.success()) << made.err;
    std::string grouped;
    std::string fp = first_line(made.out);
    for (std::size_t i = 0; i < fp.size(); i += 4)
        grouped += (i ? "-" : "") + fp.substr(i, 4);
    DeadPort no_rendezvous;
    NodeProcess node;
    NodeConfig c;
    c.name = "alice";
    c.rendezvous_port = no_rendezvous.port();
    c.extra_args = {"--key", key};
    ASSERT_TRUE(node.start(c)) << node.dump();
    node.command("/whoami");
    EXPECT_TRUE(node.expect("alice@CIC  fingerprint " + grouped + "$")) << node.dump();
    node.quit();
}

}  // namespace
}  // namespace p2p::test
