// DISCOVER answers are encoded once per change and shared (issue 14, item 5): the
// registry walks its records only when something the answer lists changed (REGISTER,
// UNREGISTER, expiry) or the answer is older than discover_cache_ms, and a buffer a
// connection still holds is never rewritten under it.
#include <gtest/gtest.h>

#include <string>

#include "core/clock.h"
#include "core/registry.h"

namespace p2p {
namespace {

constexpr std::string_view kIp = "203.0.113.7";

class RegistryAnswerCache : public ::testing::Test {
  protected:
    Registry::Reply ask(std::string line, std::string_view ip = kIp) {
        line.push_back('\0');
        scratch = line;
        return registry.answer(scratch.data(), scratch.size() - 1, ip, 1);
    }
    std::string reg(std::string_view ns, std::string_view name, std::string_view ip = kIp) {
        return std::string(ask(R"({"type":"REGISTER","namespace":")" + std::string(ns) +
                                   R"(","name":")" + std::string(name) +
                                   R"(","port":7070,"ttl":60})",
                               ip)
                               .text);
    }
    std::uint64_t encodings() const { return registry.discover_encodings(); }

    ManualClock clock;
    Registry registry{clock};
    std::string scratch;
};

TEST_F(RegistryAnswerCache, RepeatedDiscoverIsEncodedOnceAndShared) {
    for (int i = 0; i < 50; ++i)
        reg("CIC", "peer" + std::to_string(i));
    Registry::Reply first = ask(R"({"type":"DISCOVER"})");
    ASSERT_TRUE(first.shared);
    std::uint64_t after_first = encodings();
    for (int i = 0; i < 100; ++i) {
        Registry::Reply again = ask(R"({"type":"DISCOVER"})");
        EXPECT_EQ(again.shared, first.shared) << "the same buffer, not a copy";
    }
    EXPECT_EQ(encodings(), after_first);
    // A namespace has its own answer, also encoded once.
    Registry::Reply ns = ask(R"({"type":"DISCOVER","namespace":"CIC"})");
    EXPECT_EQ(ns.text, first.text);
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"CIC"})").shared, ns.shared);
    EXPECT_EQ(encodings(), after_first + 1);
}

TEST_F(RegistryAnswerCache, EveryChangeIsListedAtOnceAndHeldAnswersStayIntact) {
    reg("CIC", "alice");
    Registry::Reply held = ask(R"({"type":"DISCOVER"})");
    const std::string before(held.text);
    reg("CIC", "bob");
    Registry::Reply after_register = ask(R"({"type":"DISCOVER"})");
    EXPECT_NE(after_register.text.find("\"bob\""), std::string_view::npos);
    EXPECT_EQ(held.text, before) << "a buffer being written is never rewritten";
    EXPECT_NE(after_register.shared, held.shared);
    EXPECT_NE(ask(R"({"type":"DISCOVER","namespace":"CIC"})").text.find("\"bob\""),
              std::string_view::npos);
    ask(R"({"type":"UNREGISTER","namespace":"CIC","name":"bob"})");
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})").text.find("\"bob\""), std::string_view::npos);
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"CIC"})").text.find("\"bob\""),
              std::string_view::npos);
    // A renewal elsewhere re-encodes "all" but not another namespace's answer.
    reg("UnB", "carol", "198.51.100.9");
    ask(R"({"type":"DISCOVER","namespace":"CIC"})");
    std::uint64_t n = encodings();
    reg("UnB", "carol", "198.51.100.9");
    ask(R"({"type":"DISCOVER","namespace":"CIC"})");
    EXPECT_EQ(encodings(), n);
    ask(R"({"type":"DISCOVER"})");
    EXPECT_EQ(encodings(), n + 1);
}

TEST_F(RegistryAnswerCache, ExpiryAndAgeReEncodeWithCurrentExpiresIn) {
    reg("CIC", "alice");
    clock.advance(30'000);
    reg("CIC", "bob");  // 30 s later: expires 30 s after alice
    EXPECT_NE(ask(R"({"type":"DISCOVER"})")
                  .text.find(R"("name":"alice","namespace":"CIC","ttl":60,"expires_in":30})"),
              std::string_view::npos);
    std::uint64_t n = encodings();
    clock.advance(999);  // younger than discover_cache_ms: the same answer
    ask(R"({"type":"DISCOVER"})");
    EXPECT_EQ(encodings(), n);
    clock.advance(1);  // as old as discover_cache_ms: encoded again, 1 s less left
    EXPECT_NE(ask(R"({"type":"DISCOVER"})")
                  .text.find(R"("name":"alice","namespace":"CIC","ttl":60,"expires_in":29})"),
              std::string_view::npos);
    EXPECT_EQ(encodings(), n + 1);
    clock.advance(29'001);  // alice expired: never listed, even by a fresh answer
    std::string_view listing = ask(R"({"type":"DISCOVER"})").text;
    EXPECT_EQ(listing.find("alice"), std::string_view::npos);
    EXPECT_NE(listing.find("bob"), std::string_view::npos);
}

TEST_F(RegistryAnswerCache, UnknownNamespacesAreNotKept) {
    reg("CIC", "alice");
    for (int i = 0; i < 1000; ++i) {
        Registry::Reply r =
            ask(R"({"type":"DISCOVER","namespace":"none)" + std::to_string(i) + R"("})");
        EXPECT_EQ(r.text, "{\"status\":\"OK\",\"peers\":[]}\n");
    }
    // Nothing kept for them: a known namespace is still cached as such.
    std::uint64_t n = encodings();
    Registry::Reply cic = ask(R"({"type":"DISCOVER","namespace":"CIC"})");
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"CIC"})").shared, cic.shared);
    EXPECT_EQ(encodings(), n + 1);
}

TEST_F(RegistryAnswerCache, ZeroCacheTimeEncodesEveryRequest) {
    RegistryConfig config;
    config.discover_cache_ms = 0;
    Registry exact(clock, config);
    std::string line = R"({"type":"REGISTER","namespace":"C","name":"a","port":1})";
    line.push_back('\0');
    exact.answer(line.data(), line.size() - 1, kIp, 1);
    for (int i = 0; i < 3; ++i) {
        std::string d = R"({"type":"DISCOVER"})";
        d.push_back('\0');
        exact.answer(d.data(), d.size() - 1, kIp, 1);
    }
    EXPECT_EQ(exact.discover_encodings(), 3u);
}

}  // namespace
}  // namespace p2p
