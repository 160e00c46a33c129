// Every rule of docs/protocol.md §3 on the sans-I/O registry, with simulated time.
#include "core/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/clock.h"
#include "tests/support/alloc_counter.h"

namespace p2p {
namespace {

constexpr std::string_view kIp = "203.0.113.7";
constexpr std::string_view kOtherIp = "198.51.100.9";

class RegistryTest : public ::testing::Test {
  protected:
    std::string ask(std::string line, std::string_view ip = kIp, std::uint16_t port = 45678) {
        line.push_back('\0');  // room for the in-situ terminator
        std::string_view reply = registry.handle(line.data(), line.size() - 1, ip, port);
        EXPECT_FALSE(reply.empty());
        EXPECT_EQ(reply.back(), '\n');
        return std::string(reply.substr(0, reply.size() - 1));
    }
    static std::string error(std::string_view message) {
        return R"({"status":"ERROR","message":")" + std::string(message) + R"("})";
    }
    std::string reg(std::string_view ns, std::string_view name, int port, std::string_view ip = kIp,
                    std::string extra = "") {
        return ask(R"({"type":"REGISTER","namespace":")" + std::string(ns) + R"(","name":")" +
                       std::string(name) + R"(","port":)" + std::to_string(port) + extra + "}",
                   ip);
    }
    static std::string ok_register(std::int64_t ttl, std::string_view ip, int port) {
        return R"({"status":"OK","ttl":)" + std::to_string(ttl) + R"(,"ip":")" + std::string(ip) +
               R"(","port":)" + std::to_string(port) + "}";
    }
    static std::string entry(std::string_view ip, int port, std::string_view name,
                             std::string_view ns, int ttl, int expires_in) {
        return R"({"ip":")" + std::string(ip) + R"(","port":)" + std::to_string(port) +
               R"(,"name":")" + std::string(name) + R"(","namespace":")" + std::string(ns) +
               R"(","ttl":)" + std::to_string(ttl) + R"(,"expires_in":)" +
               std::to_string(expires_in) + "}";
    }
    static std::string peers(const std::vector<std::string>& entries) {
        std::string out = R"({"status":"OK","peers":[)";
        for (std::size_t i = 0; i < entries.size(); ++i)
            out += (i ? "," : "") + entries[i];
        return out + "]}";
    }
    Registry::Admission admit(std::string_view ip, std::uint16_t port = 40046,
                              std::string* reply = nullptr) {
        std::string_view r;
        Registry::Admission a = registry.admit(ip, port, &r);
        if (reply) *reply = std::string(r);
        return a;
    }

    ManualClock clock;
    Registry registry{clock};
    char scratch[4096];
};

// ---- REGISTER -------------------------------------------------------------------

TEST_F(RegistryTest, RegisterAnswersTtlAndObservedAddress) {
    EXPECT_EQ(reg("CIC", "alice", 7070, kIp, R"(,"ttl":3600)"), ok_register(3600, kIp, 7070));
    EXPECT_EQ(reg("CIC", "bob", 7071), ok_register(7200, kIp, 7071));  // default ttl
    EXPECT_EQ(registry.size(), 2u);
    EXPECT_TRUE(registry.dirty());
}

TEST_F(RegistryTest, RegisterErrorsComeInTheReferenceOrder) {
    // Everything wrong: name is reported first, then ttl, namespace, port.
    EXPECT_EQ(ask(R"({"type":"REGISTER","name":"","namespace":"","port":0,"ttl":"x"})"),
              error("bad_name"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","name":"a","namespace":"","port":0,"ttl":"x"})"),
              error("bad_ttl"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","name":"a","namespace":"","port":0,"ttl":5})"),
              error("bad_namespace"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","name":"a","namespace":"n","port":0,"ttl":5})"),
              error("bad_port"));
    EXPECT_EQ(registry.size(), 0u);
    EXPECT_FALSE(registry.dirty());
}

TEST_F(RegistryTest, RegisterNameAndNamespaceAreStringsOfOneTo64Bytes) {
    std::string n64(64, 'n'), n65(65, 'n');
    EXPECT_EQ(reg("CIC", n64, 1), ok_register(7200, kIp, 1));
    EXPECT_EQ(reg("CIC", n65, 1), error("bad_name"));
    EXPECT_EQ(reg(n64, "a", 1), ok_register(7200, kIp, 1));
    EXPECT_EQ(reg(n65, "a", 1), error("bad_namespace"));
    // 64 bytes, not characters: 33 two-byte characters are 66 bytes.
    std::string wide;
    for (int i = 0; i < 33; ++i)
        wide += "\xC3\xA9";
    EXPECT_EQ(reg("CIC", wide, 1), error("bad_name"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"CIC","port":1})"), error("bad_name"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"CIC","name":5,"port":1})"), error("bad_name"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":null,"name":"a","port":1})"),
              error("bad_namespace"));
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":["CIC"],"name":"a","port":1})"),
              error("bad_namespace"));
}

TEST_F(RegistryTest, PortAndTtlAcceptNumericStringsWithPythonIntRules) {
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"C","name":"a","port":"7070","ttl":"60"})"),
              ok_register(60, kIp, 7070));
    EXPECT_EQ(
        ask(R"({"type":"REGISTER","namespace":"C","name":"b","port":" +7_070 ","ttl":"\t6_0\n"})"),
        ok_register(60, kIp, 7070));
    // Floats truncate toward zero, bools are 0/1.
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"C","name":"c","port":7070.9,"ttl":60.9})"),
              ok_register(60, kIp, 7070));
    EXPECT_EQ(ask(R"({"type":"REGISTER","namespace":"C","name":"d","port":true,"ttl":true})"),
              ok_register(1, kIp, 1));
    // Unicode digits and whitespace count, as in Python's int().
    EXPECT_EQ(ask("{\"type\":\"REGISTER\",\"namespace\":\"C\",\"name\":\"e\",\"port\":"
                  "\"\xD9\xA7\xD9\xA0\",\"ttl\":\"\xE3\x80\x80"
                  "90\"}"),
              ok_register(90, kIp, 70));
    for (const char* bad : {R"("7070.0")", R"("0x10")", R"("1e3")", R"("")", R"("7_")", R"("7__0")",
                            R"(null)", R"([7070])", R"({})", R"(false)", R"("\u001c7")"}) {
        EXPECT_EQ(ask(std::string(R"({"type":"REGISTER","namespace":"C","name":"z","port":)") +
                      bad + "}"),
                  error("bad_port"))
            << bad;
        EXPECT_EQ(
            ask(std::string(R"({"type":"REGISTER","namespace":"C","name":"z","port":1,"ttl":)") +
                bad + "}"),
            std::string(bad) == "false" ? ok_register(1, kIp, 1) : error("bad_ttl"))
            << bad;
    }
    EXPECT_EQ(reg("C", "z", 65536), error("bad_port"));
    EXPECT_EQ(reg("C", "z", -1), error("bad_port"));
    EXPECT_EQ(reg("C", "z", 65535), ok_register(7200, kIp, 65535));
}

TEST_F(RegistryTest, TtlIsClampedIntoOneTo86400) {
    EXPECT_EQ(reg("C", "a", 1, kIp, R"(,"ttl":0)"), ok_register(1, kIp, 1));
    EXPECT_EQ(reg("C", "a", 1, kIp, R"(,"ttl":-50)"), ok_register(1, kIp, 1));
    EXPECT_EQ(reg("C", "a", 1, kIp, R"(,"ttl":86401)"), ok_register(86400, kIp, 1));
    EXPECT_EQ(reg("C", "a", 1, kIp, R"(,"ttl":"99999999999999999999999")"),
              ok_register(86400, kIp, 1));
    EXPECT_EQ(reg("C", "a", 1, kIp, R"(,"ttl":1e300)"), ok_register(86400, kIp, 1));
}

TEST_F(RegistryTest, RegisterUpsertsByIpNamespaceAndName) {
    reg("CIC", "alice", 7070);
    clock.advance(10'000);
    EXPECT_EQ(reg("CIC", "alice", 7071, kIp, R"(,"ttl":100)"), ok_register(100, kIp, 7071));
    reg("CIC", "alice", 7072, kOtherIp);  // another IP: another registration
    reg("UnB", "alice", 7073);            // another namespace: another registration
    EXPECT_EQ(registry.size(), 3u);
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"CIC"})"),
              peers({entry(kIp, 7071, "alice", "CIC", 100, 100),
                     entry(kOtherIp, 7072, "alice", "CIC", 7200, 7200)}));
}

TEST_F(RegistryTest, ReRegisterMovesTheEntryToTheEndLikeTheReference) {
    reg("C", "a", 1);
    reg("C", "b", 2);
    reg("C", "a", 3);
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"),
              peers({entry(kIp, 2, "b", "C", 7200, 7200), entry(kIp, 3, "a", "C", 7200, 7200)}));
}

// ---- DISCOVER ---------------------------------------------------------------

TEST_F(RegistryTest, DiscoverListsOneNamespaceOrAll) {
    reg("CIC", "alice", 7070);
    reg("UnB", "bob", 4000, kOtherIp, R"(,"ttl":3600)");
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"UnB"})"),
              peers({entry(kOtherIp, 4000, "bob", "UnB", 3600, 3600)}));
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"),
              peers({entry(kIp, 7070, "alice", "CIC", 7200, 7200),
                     entry(kOtherIp, 4000, "bob", "UnB", 3600, 3600)}));
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":null})"), ask(R"({"type":"DISCOVER"})"));
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":"nobody-here"})"), peers({}));
}

TEST_F(RegistryTest, DiscoverRequiresALiveRegistrationFromTheSameIp) {
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
    reg("CIC", "alice", 7070, kOtherIp);
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})", kOtherIp),
              peers({entry(kOtherIp, 7070, "alice", "CIC", 7200, 7200)}));
    // Registration checked first, then the namespace.
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":""})"), error("peer_not_registered"));
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":""})", kOtherIp), error("bad_namespace"));
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":")" + std::string(65, 'x') + R"("})", kOtherIp),
              error("bad_namespace"));
    EXPECT_EQ(ask(R"({"type":"DISCOVER","namespace":7})", kOtherIp), error("bad_namespace"));
}

TEST_F(RegistryTest, ExpiresInCountsDownAndExpiredEntriesAreNeverListed) {
    reg("C", "short", 1, kIp, R"(,"ttl":10)");
    reg("C", "long", 2, kIp, R"(,"ttl":100)");
    clock.advance(3'500);
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"),
              peers({entry(kIp, 1, "short", "C", 10, 6), entry(kIp, 2, "long", "C", 100, 96)}));
    clock.advance(6'500);  // exactly at expiry: still listed, with 0 left
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"),
              peers({entry(kIp, 1, "short", "C", 10, 0), entry(kIp, 2, "long", "C", 100, 90)}));
    clock.advance(1);
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"), peers({entry(kIp, 2, "long", "C", 100, 89)}));
    EXPECT_EQ(registry.size(), 1u);
    clock.advance(90'000);
    EXPECT_EQ(registry.size(), 0u);
    // With its last registration expired the IP is no longer registered.
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
}

TEST_F(RegistryTest, RenewingARegistrationRestartsItsTtl) {
    reg("C", "a", 1, kIp, R"(,"ttl":10)");
    clock.advance(9'000);
    reg("C", "a", 1, kIp, R"(,"ttl":10)");
    clock.advance(9'000);
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"), peers({entry(kIp, 1, "a", "C", 10, 1)}));
}

// ---- UNREGISTER --------------------------------------------------------------

TEST_F(RegistryTest, UnregisterRemovesMatchingEntriesOfTheSourceIpOnly) {
    reg("C", "a", 1);
    reg("C", "b", 2);
    reg("D", "a", 1);
    reg("C", "a", 1, kOtherIp);
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","name":"a","port":1})"),
              R"({"status":"OK"})");
    EXPECT_EQ(registry.size(), 3u);
    EXPECT_EQ(
        ask(R"({"type":"DISCOVER","namespace":"C"})"),
        peers({entry(kIp, 2, "b", "C", 7200, 7200), entry(kOtherIp, 1, "a", "C", 7200, 7200)}));
}

TEST_F(RegistryTest, UnregisterWithoutNameOrPortRemovesTheWholeNamespace) {
    reg("C", "a", 1);
    reg("C", "b", 2);
    reg("D", "c", 3);
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C"})"), R"({"status":"OK"})");
    EXPECT_EQ(registry.size(), 1u);
}

TEST_F(RegistryTest, UnregisterMatchesByNameOrByPort) {
    reg("C", "a", 1);
    reg("C", "b", 2);
    reg("C", "c", 2);
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":"2"})"), R"({"status":"OK"})");
    EXPECT_EQ(registry.size(), 1u);
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","name":"a","port":2})"),
              error("peer_credentials_do_not_match"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","name":1})"),
              error("peer_credentials_do_not_match"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","name":"a","port":null})"),
              R"({"status":"OK"})");
    EXPECT_EQ(registry.size(), 0u);
}

TEST_F(RegistryTest, UnregisterErrorsInOrder) {
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C"})"), error("peer_not_registered"));
    reg("C", "a", 1);
    EXPECT_EQ(ask(R"({"type":"UNREGISTER"})"), error("namespace_required"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":null,"port":"abc"})"),
              error("namespace_required"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"","port":"abc"})"), error("bad_namespace"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":5})"), error("bad_namespace"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":"abc"})"),
              error("bad_port (abc)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":0})"), error("bad_port (0)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":65536})"),
              error("bad_port (65536)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":0.5})"), error("bad_port (0.5)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":1e20})"),
              error("bad_port (1e+20)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":false})"),
              error("bad_port (False)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":"7.5"})"),
              error("bad_port (7.5)"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C","port":[1]})"),
              error("bad_port ([...])"));
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"X"})"),
              error("peer_credentials_do_not_match"));
    EXPECT_EQ(registry.size(), 1u);
}

TEST_F(RegistryTest, UnregisteringTheLastEntryEndsTheIpsRegistration) {
    reg("C", "a", 1);
    registry.clear_dirty();
    EXPECT_EQ(ask(R"({"type":"UNREGISTER","namespace":"C"})"), R"({"status":"OK"})");
    EXPECT_TRUE(registry.dirty());
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
}

// ---- any request ----------------------------------------------------------

TEST_F(RegistryTest, EmptyAndBlankLines) {
    EXPECT_EQ(ask(""), error("Empty request line"));
    EXPECT_EQ(ask(" \t\r\x0b\x0c "), error("Empty request line"));
}

TEST_F(RegistryTest, UnknownCommandVariants) {
    for (const char* line :
         {"hello", "{", "[]", "42", "\"REGISTER\"", "null", R"({"name":"a"})", R"({"type":5})",
          R"({"type":null})", R"({"type":"PING"})", R"({"type":""})", R"({"type":"REGISTERX"})",
          R"({"type":"REGISTER"} x)", "\xEF\xBB\xBF{\"type\":\"DISCOVER\"}"}) {
        EXPECT_EQ(ask(line), error("Unknown command")) << line;
    }
}

TEST_F(RegistryTest, TypeIsMatchedCaseInsensitivelyAsPythonUpperDoes) {
    EXPECT_EQ(ask(R"({"type":"register","namespace":"C","name":"a","port":1})"),
              ok_register(7200, kIp, 1));
    EXPECT_EQ(ask(R"({"type":"DiScOvEr"})"), peers({entry(kIp, 1, "a", "C", 7200, 7200)}));
    // "ſ".upper() == "S" and "ﬅ".upper() == "ST" in Python.
    EXPECT_EQ(ask("{\"type\":\"di\xC5\xBF"
                  "cover\"}"),
              peers({entry(kIp, 1, "a", "C", 7200, 7200)}));
    EXPECT_EQ(ask("{\"type\":\"unregi\xEF\xAC\x85"
                  "er\",\"namespace\":\"C\"}"),
              R"({"status":"OK"})");
}

TEST_F(RegistryTest, ToleratesExtraFieldsAndDuplicateKeysLastWins) {
    EXPECT_EQ(
        ask(R"({"type":"PING","extra":[1,{"a":2}],"type":"REGISTER","namespace":"C","name":"a","port":1,"port":2})"),
        ok_register(7200, kIp, 2));
}

TEST_F(RegistryTest, InvalidUtf8IsReplacedLikePythonDecodeReplace) {
    // The reference decodes with errors="replace": the name gets U+FFFD.
    std::string line = "{\"type\":\"REGISTER\",\"namespace\":\"C\",\"name\":\"a\xFF\",\"port\":1}";
    EXPECT_EQ(ask(line), ok_register(7200, kIp, 1));
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})"),
              peers({entry(kIp, 1, "a\xEF\xBF\xBD", "C", 7200, 7200)}));
}

TEST_F(RegistryTest, FullRegistryRefusesNewKeysButRenewsExistingOnes) {
    RegistryConfig config;
    config.max_registrations = 2;
    Registry small(clock, config);
    auto ask_small = [&](std::string line) {
        line.push_back('\0');
        return std::string(small.handle(line.data(), line.size() - 1, kIp, 1));
    };
    EXPECT_NE(
        ask_small(R"({"type":"REGISTER","namespace":"C","name":"a","port":1,"ttl":5})").find("OK"),
        std::string::npos);
    EXPECT_NE(ask_small(R"({"type":"REGISTER","namespace":"C","name":"b","port":1})").find("OK"),
              std::string::npos);
    EXPECT_EQ(ask_small(R"({"type":"REGISTER","namespace":"C","name":"c","port":1})"),
              error("registry_full") + "\n");
    EXPECT_NE(ask_small(R"({"type":"REGISTER","namespace":"C","name":"b","port":2})").find("OK"),
              std::string::npos);
    clock.advance(6'000);  // "a" expires and frees its slot
    EXPECT_NE(ask_small(R"({"type":"REGISTER","namespace":"C","name":"c","port":1})").find("OK"),
              std::string::npos);
}

TEST_F(RegistryTest, SteadyStateRequestsDoNotAllocate) {
    for (int i = 0; i < 20; ++i)
        reg("CIC", "peer" + std::to_string(i), 7000 + i);
    std::vector<std::string> lines = {
        R"({"type":"REGISTER","namespace":"CIC","name":"peer3","port":"7100","ttl":60})",
        R"({"type":"DISCOVER","namespace":"CIC"})",
        R"({"type":"DISCOVER"})",
        R"({"type":"UNREGISTER","namespace":"CIC","name":"nobody"})",
        R"({"type":"UNREGISTER","namespace":"CIC","port":"abc"})",
        R"({"type":"REGISTER","namespace":"CIC","name":"peer4","port":0})",
        "not json",
        ""};
    for (auto& l : lines)
        l.push_back('\0');
    std::string_view reply;
    auto round = [&] {
        for (auto& l : lines) {
            std::memcpy(scratch, l.data(), l.size());
            reply = registry.handle(scratch, l.size() - 1, kIp, 1);
            ASSERT_FALSE(reply.empty());
            registry.admit(kOtherIp, 1, &reply);
        }
    };
    round();  // warm-up: answer buffers reach their working size
    long before = p2p::test::allocations();
    for (int i = 0; i < 100; ++i) {
        for (auto& l : lines) {
            std::memcpy(scratch, l.data(), l.size());
            reply = registry.handle(scratch, l.size() - 1, kIp, 1);
        }
        registry.admit(kOtherIp, 1, &reply);
        clock.advance(10);
    }
    EXPECT_EQ(p2p::test::allocations() - before, 0);
    auto counted = std::make_unique<int>(1);  // the counter does see allocations
    EXPECT_EQ(p2p::test::allocations() - before, 1);
}

// ---- rate limit -----------------------------------------------------------------

TEST_F(RegistryTest, FiftyConnectionsPerMinuteThenSilentCloseThenBlock) {
    for (int i = 0; i < 50; ++i) {
        ASSERT_EQ(admit(kIp), Registry::Admission::kAdmit) << i;
        clock.advance(100);
    }
    EXPECT_EQ(admit(kOtherIp), Registry::Admission::kAdmit);     // limits are per IP
    EXPECT_EQ(admit(kIp), Registry::Admission::kCloseSilently);  // the 51st
    std::string reply;
    EXPECT_EQ(admit(kIp, 40046, &reply), Registry::Admission::kBlocked);
    EXPECT_EQ(reply, error("Connection from 203.0.113.7:40046 has been blocked due to excessive "
                           "login attempts (limit: 50). The block will be lifted in 60 seconds.") +
                         "\n");
    clock.advance(30'500);
    EXPECT_EQ(admit(kIp, 1234, &reply), Registry::Admission::kBlocked);
    EXPECT_NE(reply.find("203.0.113.7:1234 has been blocked"), std::string::npos);
    EXPECT_NE(reply.find("lifted in 29 seconds."), std::string::npos) << reply;
    clock.advance(29'499);
    EXPECT_EQ(admit(kIp), Registry::Admission::kBlocked);
    clock.advance(1);  // 60 s after the block began
    for (int i = 0; i < 50; ++i)
        ASSERT_EQ(admit(kIp), Registry::Admission::kAdmit) << i;
    EXPECT_EQ(admit(kIp), Registry::Admission::kCloseSilently);
}

TEST_F(RegistryTest, RateWindowSlides) {
    for (int i = 0; i < 50; ++i) {
        ASSERT_EQ(admit(kIp), Registry::Admission::kAdmit);
        clock.advance(1'000);  // 50 connections spread over 50 s
    }
    clock.advance(10'000);  // the first left the window exactly now
    EXPECT_EQ(admit(kIp), Registry::Admission::kAdmit);
    EXPECT_EQ(admit(kIp), Registry::Admission::kCloseSilently);
}

TEST_F(RegistryTest, RateLimitIsConfigurableAndCanBeDisabled) {
    RegistryConfig config;
    config.rate_limit = 3;
    config.rate_window_ms = 1'000;
    config.block_ms = 5'000;
    Registry r(clock, config);
    std::string_view reply;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(r.admit(kIp, 1, &reply), Registry::Admission::kAdmit);
    EXPECT_EQ(r.admit(kIp, 1, &reply), Registry::Admission::kCloseSilently);
    EXPECT_EQ(r.admit(kIp, 1, &reply), Registry::Admission::kBlocked);
    EXPECT_NE(reply.find("(limit: 3). The block will be lifted in 5 seconds."), std::string::npos);
    clock.advance(5'000);
    EXPECT_EQ(r.admit(kIp, 1, &reply), Registry::Admission::kAdmit);

    config.rate_limit = 0;
    Registry unlimited(clock, config);
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(unlimited.admit(kIp, 1, &reply), Registry::Admission::kAdmit);
}

TEST_F(RegistryTest, TrackedIpsAreBoundedAndIdleOnesForgotten) {
    RegistryConfig config;
    config.max_tracked_ips = 4;
    config.rate_limit = 2;
    Registry r(clock, config);
    std::string_view reply;
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(r.admit("10.0.0." + std::to_string(i), 1, &reply), Registry::Admission::kAdmit);
    // Table full, nobody idle: the fifth IP is served, untracked.
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(r.admit("10.0.0.9", 1, &reply), Registry::Admission::kAdmit);
    clock.advance(60'000);  // everybody's history is now outside the window
    EXPECT_EQ(r.admit("10.0.0.9", 1, &reply), Registry::Admission::kAdmit);
    EXPECT_EQ(r.admit("10.0.0.9", 1, &reply), Registry::Admission::kAdmit);
    EXPECT_EQ(r.admit("10.0.0.9", 1, &reply), Registry::Admission::kCloseSilently);
}

// ---- persistence ----------------------------------------------------------------

TEST_F(RegistryTest, PersistenceRoundTripKeepsRemainingTtl) {
    reg("CIC", "alice", 7070, kIp, R"(,"ttl":100)");
    reg("UnB",
        R"(b\"\\)"
        "\u00e9",
        4000, kOtherIp);
    std::string text;
    registry.serialize(text);
    EXPECT_NE(text.find("\"timestamp\": \"2025-10-09T"), std::string::npos) << text;

    ManualClock later(5'000'000, clock.wall_ms() + 40'000);  // restarted 40 s later
    Registry reloaded(later);
    Registry::LoadResult r = reloaded.load(text);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.loaded, 2u);
    EXPECT_EQ(r.expired, 0u);
    EXPECT_FALSE(reloaded.dirty());
    std::string line = R"({"type":"DISCOVER"})";
    line.push_back('\0');
    EXPECT_EQ(std::string(reloaded.handle(line.data(), line.size() - 1, kIp, 1)),
              peers({entry(kIp, 7070, "alice", "CIC", 100, 60),
                     entry(kOtherIp, 4000, "b\\\"\\\\\u00e9", "UnB", 7200, 7160)}) +
                  "\n");
}

TEST_F(RegistryTest, LoadDropsExpiredAndMalformedEntries) {
    reg("C", "old", 1, kIp, R"(,"ttl":10)");
    reg("C", "new", 2, kIp, R"(,"ttl":1000)");
    std::string text;
    registry.serialize(text);
    ManualClock later(0, clock.wall_ms() + 11'000);
    Registry reloaded(later);
    Registry::LoadResult r = reloaded.load(text);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.loaded, 1u);
    EXPECT_EQ(r.expired, 1u);

    r = reloaded.load(
        R"([{"ip":"1.2.3.4"}, 5, {"ip":"1.2.3.4","name":"a","namespace":"C","port":70000,"ttl":5,"timestamp":"2025-10-09T08:26:40+00:00"}])");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.skipped, 3u);
    EXPECT_EQ(reloaded.size(), 0u);
}

TEST_F(RegistryTest, LoadsTheReferenceServersFileFormat) {
    // ManualClock's wall clock starts at 1760000000000 ms = 2025-10-09T08:53:20Z.
    const char* reference = R"([
  {
    "ip": "45.171.101.167",
    "name": "vm_giga",
    "namespace": "CIC",
    "observed_ip": "45.171.101.167",
    "observed_port": 35466,
    "port": 8081,
    "timestamp": "2025-10-09T08:53:00.250000+00:00",
    "ttl": 7200
  },
  {"ip": "186.235.84.225", "name": "alice", "namespace": "UnB", "port": 4000,
   "timestamp": "2025-10-09T05:53:20Z", "ttl": 3600},
  {"ip": "10.0.0.1", "name": "epoch", "namespace": "UnB", "port": 4001,
   "timestamp": 1759999990.5, "ttl": 60}
])";
    Registry::LoadResult r = registry.load(reference);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.loaded, 2u);
    EXPECT_EQ(r.expired, 1u);  // alice registered 3 h ago for 1 h
    EXPECT_EQ(ask(R"({"type":"DISCOVER"})", "10.0.0.1"),
              peers({entry("45.171.101.167", 8081, "vm_giga", "CIC", 7200, 7180),
                     entry("10.0.0.1", 4001, "epoch", "UnB", 60, 50)}));
}

TEST_F(RegistryTest, CorruptTextLeavesTheRegistryEmptyAndSaysWhy) {
    reg("C", "a", 1);
    Registry::LoadResult r = registry.load("{\"not\": \"an array\"}");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "not a JSON array");
    EXPECT_EQ(registry.size(), 0u);
    r = registry.load("[{\"ip\": \"1.2.3.4\", trunc");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "not valid JSON");
    r = registry.load("");
    EXPECT_FALSE(r.ok);
    r = registry.load("[]");
    EXPECT_TRUE(r.ok);
}

TEST_F(RegistryTest, SerializeSkipsExpiredEntries) {
    reg("C", "a", 1, kIp, R"(,"ttl":1)");
    clock.advance(1'001);
    std::string text;
    registry.serialize(text);
    EXPECT_EQ(text, "[]\n");
}

}  // namespace
}  // namespace p2p
