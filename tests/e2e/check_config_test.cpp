// `--check-config` (issue 15, as `dnsmasq --test`): both programs parse their
// options and config file as at start, then exit without binding anything:
// 0 and "configuration OK", or 78 with the first problem.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/program_run.h"

namespace p2p::test {
namespace {

std::string write_config(const TempDir& dir, const std::string& name, const std::string& text) {
    std::string path = dir.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

TEST(CheckConfig, TheNodeSaysOkForAGoodFileAndStartsNothing) {
    TempDir dir;
    std::string conf = write_config(dir, "node.json",
                                    R"({"name": "a", "namespace": "CIC", "max_peers": 10,
                                        "peers": ["127.0.0.1:9"], "colour_wheel": 1})");
    Ran r = run({"--check-config", "--config", conf});
    EXPECT_TRUE(r.status.success()) << r.err;
    EXPECT_EQ(r.out, "p2pchat: configuration OK (" + conf + ")\n");
    // An unknown key is a warning at start; here too, and not a failure.
    EXPECT_NE(r.err.find("warning: config file " + conf + ": unknown key 'colour_wheel' ignored"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("listening on"), std::string::npos);
}

TEST(CheckConfig, TheNodeGivesTheFirstProblemAndExConfig) {
    TempDir dir;
    std::string conf = write_config(dir, "bad.json", R"({"name": "a", "namespace": "CIC",
                                                      "max_peers": "lots", "ttl_seconds": 0})");
    Ran r = run({"--config", conf, "--check-config"});
    EXPECT_TRUE(r.status.exited);
    EXPECT_EQ(r.status.code, 78) << r.err;
    EXPECT_EQ(r.err, "p2pchat: config file " + conf +
                         ": key 'max_peers': expected an integer 1..65535, got \"lots\"\n");
    EXPECT_EQ(r.out, "");

    // Flags are checked as at start, the ones checked after parsing too.
    Ran host = run(
        {"--check-config", "--name", "a", "--namespace", "CIC", "--listen-host", "example.com"});
    EXPECT_EQ(host.status.code, 78) << host.err;
    EXPECT_NE(host.err.find("--listen-host: expected a numeric address, got \"example.com\""),
              std::string::npos)
        << host.err;
    Ran missing = run({"--check-config"});
    EXPECT_EQ(missing.status.code, 78) << missing.err;
    EXPECT_NE(missing.err.find("missing --name"), std::string::npos) << missing.err;
}

TEST(CheckConfig, TheRendezvousChecksItsOwnFile) {
    TempDir dir;
    std::string good = write_config(dir, "good.json", R"({"rate_limit": 100, "db": "/x/r.json"})");
    Ran ok = run({"rendezvous", "--check-config", "--config", good});
    EXPECT_TRUE(ok.status.success()) << ok.err;
    EXPECT_EQ(ok.out, "p2pchat rendezvous: configuration OK (" + good + ")\n");

    std::string bad = write_config(dir, "bad.json", R"({"default_ttl": 100, "max_ttl": 10})");
    Ran no = run({"rendezvous", "--check-config", "--config", bad});
    EXPECT_EQ(no.status.code, 78) << no.err;
    EXPECT_EQ(no.err, "p2pchat rendezvous: --default-ttl must not exceed --max-ttl\n");

    Ran none = run({"rendezvous", "--check-config"});
    EXPECT_TRUE(none.status.success()) << none.err;
    EXPECT_EQ(none.out, "p2pchat rendezvous: configuration OK (no config file)\n");
}

}  // namespace
}  // namespace p2p::test
