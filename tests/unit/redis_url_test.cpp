// `redis://HOST[:PORT][/DB]` (core/redis_url.h), the address the rendezvous server's
// --registry takes, and that option's checks in the rendezvous option table.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/redis_url.h"
#include "shell/app/rendezvous_cli.h"
#include "tests/unit/option_rows_check.h"

namespace p2p {
namespace {

TEST(RedisUrl, HostPortAndDatabase) {
    RedisUrl u;
    std::string err;
    ASSERT_TRUE(parse_redis_url("redis://127.0.0.1:6380/2", u, &err)) << err;
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 6380);
    EXPECT_EQ(u.db, 2);
    ASSERT_TRUE(parse_redis_url("redis://redis.example", u, &err)) << err;
    EXPECT_EQ(u.host, "redis.example");
    EXPECT_EQ(u.port, 6379);
    EXPECT_EQ(u.db, 0);
    ASSERT_TRUE(parse_redis_url("redis://[::1]:7000", u, &err)) << err;
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 7000);
}

TEST(RedisUrl, EveryMalformedPartIsNamed) {
    RedisUrl u;
    std::string err;
    const std::map<std::string, std::string> bad = {
        {"http://h:1", "must start with redis://"},
        {"redis://", "no host"},
        {"redis://:6379", "no host"},
        {"redis://h:", "empty port"},
        {"redis://h:0", "the port must be 1..65535"},
        {"redis://h:65536", "the port must be 1..65535"},
        {"redis://h:12x", "the port must be 1..65535"},
        {"redis://h/x", "the database after / must be a number"},
        {"redis://h/", "the database after / must be a number"},
        {"redis://[::1", "unclosed [ in the host"},
        {"redis://[::1]x", "junk after ]"},
        {"redis://user@h", "bad host"},
    };
    for (const auto& [url, why] : bad) {
        EXPECT_FALSE(parse_redis_url(url, u, &err)) << url;
        EXPECT_EQ(err, why) << url;
    }
}

TEST(RedisUrl, TheRegistryOptionTakesOnlyWhatThisBuildServes) {
    shell::RendezvousOptions o;
    std::string error;
    std::map<std::string, std::string> files;
    shell::FileReader reader = shell::test::map_reader(files);
    ASSERT_EQ(shell::parse_rendezvous_options(
                  {"--registry", "redis://127.0.0.1:6390/1", "--registry-timeout-ms", "250"},
                  reader, o, error),
              shell::ParseStatus::kRun)
        << error;
    EXPECT_EQ(o.server.registry_url, "redis://127.0.0.1:6390/1");
    EXPECT_EQ(o.server.registry_timeout_ms, 250);
    // Every build reads the option alike; one without Redis refuses to serve with it.
    EXPECT_EQ(shell::rendezvous_build_supports(o, error), P2P_HAVE_REDIS != 0);
    if (!P2P_HAVE_REDIS) {
        EXPECT_EQ(error, "--registry: this build has no Redis registry (built without hiredis)");
    }
    shell::RendezvousOptions memory_only;
    EXPECT_TRUE(shell::rendezvous_build_supports(memory_only, error));
    EXPECT_EQ(shell::parse_rendezvous_options({"--registry", "redis:/x"}, reader, o, error),
              shell::ParseStatus::kError);
    EXPECT_NE(error.find("--registry"), std::string::npos) << error;
}

}  // namespace
}  // namespace p2p
