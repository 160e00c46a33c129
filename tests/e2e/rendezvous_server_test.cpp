// The real `p2pchat rendezvous` on an ephemeral loopback port, driven with raw
// TCP over the whole of docs/protocol.md §3.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/rendezvous_process.h"
#include "tests/support/tcp_client.h"
#include "tests/support/tcp_queues.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string error(std::string_view message) {
    return R"({"status":"ERROR","message":")" + std::string(message) + R"("})";
}

// A temp directory removed at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "p2p-rdv-XXXXXX").string();
        path_ = ::mkdtemp(templ.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
    std::vector<std::string> list() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(path_))
            names.push_back(e.path().filename());
        std::sort(names.begin(), names.end());
        return names;
    }

  private:
    std::string path_;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The server with `extra` flags, and --db when given.
class Server : public RendezvousProcess {
  public:
    explicit Server(std::vector<std::string> extra = {}, const std::string& db = "")
        : RendezvousProcess(with_db(std::move(extra), db)) {}

  private:
    static std::vector<std::string> with_db(std::vector<std::string> extra, const std::string& db) {
        if (!db.empty()) extra.insert(extra.begin(), {"--db", db});
        return extra;
    }
};

// The recorded compatibility tests run against both registry backends: this process's
// memory, and a real redis-server of their own (issue 18).
enum class Backend { kMemory, kRedis };

class RendezvousBackends : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        if (GetParam() != Backend::kRedis) return;
        if (!P2P_HAVE_REDIS) GTEST_SKIP() << "built without the Redis registry (no hiredis)";
        std::string err;
        ASSERT_TRUE(redis_.start(&err)) << err;
    }
    // The server's flags for this backend, then `extra`.
    std::vector<std::string> backend(std::vector<std::string> extra = {}) {
        if (GetParam() == Backend::kRedis) {
            extra.push_back("--registry");
            extra.push_back(redis_.url());
        }
        return extra;
    }

    RedisServer redis_;
};

INSTANTIATE_TEST_SUITE_P(Store, RendezvousBackends,
                         ::testing::Values(Backend::kMemory, Backend::kRedis),
                         [](const auto& param_info) {
                             return param_info.param == Backend::kMemory ? "memory" : "redis";
                         });

const std::string kRegisterAlice =
    R"({"type":"REGISTER","namespace":"CIC","name":"alice","port":7070,"ttl":60})";

TEST_P(RendezvousBackends, RegisterDiscoverUnregister) {
    Server s(backend());
    EXPECT_EQ(s.ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
    EXPECT_EQ(s.ask(kRegisterAlice), R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    EXPECT_EQ(s.ask(R"({"type":"register","namespace":"CIC","name":"bob","port":"7071"})"),
              R"({"status":"OK","ttl":7200,"ip":"127.0.0.1","port":7071})");
    std::string all = s.ask(R"({"type":"DISCOVER"})");
    std::regex listing(
        R"(\{"status":"OK","peers":\[\{"ip":"127\.0\.0\.1","port":7070,"name":"alice","namespace":"CIC","ttl":60,"expires_in":(59|60)\},)"
        R"(\{"ip":"127\.0\.0\.1","port":7071,"name":"bob","namespace":"CIC","ttl":7200,"expires_in":(7199|7200)\}\]\})");
    EXPECT_TRUE(std::regex_match(all, listing)) << all;
    EXPECT_EQ(s.ask(R"({"type":"DISCOVER","namespace":"UnB"})"), R"({"status":"OK","peers":[]})");
    EXPECT_EQ(s.ask(R"({"type":"UNREGISTER","namespace":"CIC","name":"bob"})"),
              R"({"status":"OK"})");
    EXPECT_EQ(s.ask(R"({"type":"UNREGISTER","namespace":"CIC","name":"bob"})"),
              error("peer_credentials_do_not_match"));
    EXPECT_EQ(s.ask(R"({"type":"UNREGISTER","namespace":"CIC","port":"abc"})"),
              error("bad_port (abc)"));
    EXPECT_EQ(s.ask(R"({"type":"UNREGISTER"})"), error("namespace_required"));
    EXPECT_EQ(s.ask(R"({"type":"UNREGISTER","namespace":"CIC","port":7070})"),
              R"({"status":"OK"})");
    EXPECT_EQ(s.ask(R"({"type":"UNREGISTER","namespace":"CIC"})"), error("peer_not_registered"));
}

TEST_P(RendezvousBackends, RegisterErrorsInOrder) {
    Server s(backend());
    EXPECT_EQ(s.ask(R"({"type":"REGISTER","namespace":"","port":0,"ttl":"x"})"), error("bad_name"));
    EXPECT_EQ(s.ask(R"({"type":"REGISTER","name":"a","namespace":"","port":0,"ttl":"x"})"),
              error("bad_ttl"));
    EXPECT_EQ(s.ask(R"({"type":"REGISTER","name":"a","namespace":"","port":0})"),
              error("bad_namespace"));
    EXPECT_EQ(s.ask(R"({"type":"REGISTER","name":"a","namespace":"C","port":70000})"),
              error("bad_port"));
    EXPECT_EQ(s.ask(R"({"type":"REGISTER","name":"a","namespace":"C","port":1,"ttl":999999})"),
              R"({"status":"OK","ttl":86400,"ip":"127.0.0.1","port":1})");
}

TEST_P(RendezvousBackends, UnknownCommandVariantsAndEmptyLines) {
    Server s(backend());
    for (const char* line : {"hello", "[1,2]", "{\"name\":\"x\"}", "{\"type\":7}",
                             "{\"type\":\"PING\"}", "{\"type\":\"REGISTER\""}) {
        EXPECT_EQ(s.ask(line), error("Unknown command")) << line;
    }
    EXPECT_EQ(s.ask(""), error("Empty request line"));
    EXPECT_EQ(s.ask("   \t\r"), error("Empty request line"));
    // CRLF framing works like LF.
    TcpClient c;
    ASSERT_TRUE(c.connect(s.port));
    ASSERT_TRUE(c.send(kRegisterAlice + "\r\n"));
    EXPECT_EQ(c.read_line(5s), R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    EXPECT_TRUE(c.wait_closed(5s));
}

TEST_P(RendezvousBackends, OneRequestPerConnectionThenClose) {
    Server s(backend());
    TcpClient c;
    ASSERT_TRUE(c.connect(s.port));
    // Two lines at once: only the first is answered, then the server closes.
    ASSERT_TRUE(c.send(kRegisterAlice + "\n" + R"({"type":"DISCOVER"})" + "\n"));
    EXPECT_EQ(c.read_line(5s), R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    std::string line;
    EXPECT_EQ(c.read_line(&line, 5s), TcpClient::Read::kClosed);
}

TEST_P(RendezvousBackends, RequestSplitAcrossWritesAndRequestEndedByEof) {
    Server s(backend());
    TcpClient c;
    ASSERT_TRUE(c.connect(s.port));
    ASSERT_TRUE(c.send(R"({"type":"REGISTER","namespace":)"));
    ASSERT_TRUE(wait_peer_read_all(c.fd(), 5s));  // the server holds a partial line
    ASSERT_TRUE(c.send(R"("CIC","name":"alice","port":7070})"));
    c.shutdown_write();  // no newline: EOF ends the request, as in the reference
    EXPECT_EQ(c.read_line(5s), R"({"status":"OK","ttl":7200,"ip":"127.0.0.1","port":7070})");

    TcpClient quiet;
    ASSERT_TRUE(quiet.connect(s.port));
    quiet.shutdown_write();  // EOF with nothing sent
    EXPECT_EQ(quiet.read_line(5s), error("Empty request line"));
}

TEST_P(RendezvousBackends, LineTooLongIsAnsweredThenClosed) {
    Server s(backend());
    TcpClient c;
    ASSERT_TRUE(c.connect(s.port));
    std::string huge(40'000, 'x');
    ASSERT_TRUE(c.send(huge + "\n", 10s));
    EXPECT_EQ(c.read_line(5s), R"({"status":"ERROR","message":"line_too_long","limit":32768})");
    EXPECT_TRUE(c.wait_closed(5s));

    // 32769 bytes is one too many; exactly 32768 is still a line (not JSON here).
    TcpClient edge;
    ASSERT_TRUE(edge.connect(s.port));
    ASSERT_TRUE(edge.send(std::string(32768, ' ') + "x\n", 10s));
    EXPECT_EQ(edge.read_line(5s), R"({"status":"ERROR","message":"line_too_long","limit":32768})");
    TcpClient fits;
    ASSERT_TRUE(fits.connect(s.port));
    ASSERT_TRUE(fits.send(std::string(32767, ' ') + "x\n", 10s));
    EXPECT_EQ(fits.read_line(5s), error("Unknown command"));
}

TEST_P(RendezvousBackends, IdleTimeoutAnswersAndCloses) {
    Server s(backend({"--idle-timeout", "1"}));
    TcpClient c;
    ASSERT_TRUE(c.connect(s.port));
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(c.read_line(10s), error("Timeout: no data received, closing connection"));
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 900ms);
    EXPECT_LT(waited, 5s);
    EXPECT_TRUE(c.wait_closed(5s));

    // A partial line followed by silence times out the same way.
    TcpClient partial;
    ASSERT_TRUE(partial.connect(s.port));
    ASSERT_TRUE(partial.send(R"({"type":"DISC)"));
    EXPECT_EQ(partial.read_line(10s), error("Timeout: no data received, closing connection"));
}

TEST_P(RendezvousBackends, RateLimitThenBlockThenRelease) {
    Server s(backend({"--rate-limit", "5", "--rate-window", "60", "--block-seconds", "2"}));
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(s.ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
    // The 6th connection is closed without a reply.
    TcpClient sixth;
    ASSERT_TRUE(sixth.connect(s.port));
    std::string line;
    EXPECT_EQ(sixth.read_line(&line, 5s), TcpClient::Read::kClosed) << line;
    // Then every connection gets the block message.
    TcpClient blocked;
    ASSERT_TRUE(blocked.connect(s.port));
    auto reply = blocked.read_line(5s);
    ASSERT_TRUE(reply);
    std::regex message(
        R"(\{"status":"ERROR","message":"Connection from 127\.0\.0\.1:\d+ has been blocked due to excessive login attempts \(limit: 5\)\. The block will be lifted in [12] seconds\."\})");
    EXPECT_TRUE(std::regex_match(*reply, message)) << *reply;
    EXPECT_TRUE(blocked.wait_closed(5s));
    // After the block the IP is served again.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    std::string answer;
    while (std::chrono::steady_clock::now() < deadline) {
        answer = s.ask(R"({"type":"DISCOVER"})");
        if (answer == error("peer_not_registered")) break;
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(answer, error("peer_not_registered"));
}

TEST(RendezvousServer, RegistrationsSurviveARestart) {
    TempDir dir;
    std::string db = dir.file("peers.json");
    {
        Server s({}, db);
        EXPECT_EQ(s.ask(kRegisterAlice),
                  R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
        // Rewritten on the change itself, not only at exit.
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (read_text(db).find("alice") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(20ms);
        std::string text = read_text(db);
        EXPECT_NE(text.find("\"name\": \"alice\""), std::string::npos) << text;
        EXPECT_NE(text.find("\"timestamp\": \""), std::string::npos) << text;
        s.stop();
    }
    Server again({}, db);
    EXPECT_TRUE(again.proc.wait_for_line("loaded 1 registration", 5s, Stream::kStderr))
        << again.proc.dump();
    std::string all = again.ask(R"({"type":"DISCOVER","namespace":"CIC"})");
    EXPECT_NE(all.find(R"("name":"alice","namespace":"CIC","ttl":60,"expires_in":)"),
              std::string::npos)
        << all;
    EXPECT_EQ(dir.list(), std::vector<std::string>{"peers.json"});
}

TEST(RendezvousServer, CorruptDbIsReportedKeptAsideAndServerStartsEmpty) {
    TempDir dir;
    std::string db = dir.file("peers.json");
    {
        std::ofstream out(db);
        out << "[{\"ip\": \"1.2.3.4\", \"name\": tru";
    }
    Server s({}, db);
    EXPECT_TRUE(s.proc.wait_for_line("corrupt", 5s, Stream::kStderr)) << s.proc.dump();
    EXPECT_TRUE(s.proc.wait_for_line("kept the old db as", 5s, Stream::kStderr)) << s.proc.dump();
    EXPECT_EQ(s.ask(R"({"type":"DISCOVER"})"), error("peer_not_registered"));
    std::vector<std::string> names = dir.list();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0].rfind("peers.json.bad-", 0), 0u) << names[0];
    EXPECT_EQ(read_text(dir.file(names[0])), "[{\"ip\": \"1.2.3.4\", \"name\": tru");
    // The server works and writes a fresh db.
    EXPECT_EQ(s.ask(kRegisterAlice), R"({"status":"OK","ttl":60,"ip":"127.0.0.1","port":7070})");
    s.stop();
    EXPECT_NE(read_text(db).find("alice"), std::string::npos);
}

TEST(RendezvousServer, LargeDiscoverAnswerReachesASlowReader) {
    // 30000 registrations with long fields: a ~7 MB answer, more than the
    // kernel takes in one write while the client does not read (a 4 MB send
    // buffer at most, a 128 KB receive window until the client reads), so the
    // server must queue the rest and resume when the socket drains.
    constexpr int kEntries = 30000;
    const std::string ns(64, 'n');
    TempDir dir;
    std::string db = dir.file("peers.json");
    {
        std::ofstream out(db);
        out << "[";
        for (int i = 0; i < kEntries; ++i) {
            char name[80], ip[80];
            std::snprintf(name, sizeof name, "%064d", i);
            // Only the first entry is ours; the others may come from anywhere.
            std::snprintf(ip, sizeof ip, "2001:db8:ffff:ffff:ffff:ffff:%04x:%04x", i >> 16,
                          i & 0xffff);
            out << (i ? "," : "") << R"({"ip":")" << (i == 0 ? "127.0.0.1" : ip) << R"(","name":")"
                << name << R"(","namespace":")" << ns << R"(","port":)" << (1000 + i % 60000)
                << R"(,"ttl":86400,"timestamp":"2999-01-01T00:00:00+00:00"})";
        }
        out << "]";
    }
    Server s({"--max-registrations", "40000"}, db);
    TcpClient c;
    ASSERT_TRUE(c.connect(s.port));
    ASSERT_TRUE(c.send_line(R"({"type":"DISCOVER","namespace":")" + ns + R"("})"));
    EXPECT_TRUE(s.proc.wait_for_line("bytes wait for the socket", 10s, Stream::kStderr))
        << s.proc.dump();
    std::string answer;
    ASSERT_EQ(c.read_line(&answer, 20s), TcpClient::Read::kLine);
    EXPECT_GT(answer.size(), 7'000'000u);
    EXPECT_EQ(answer.rfind(R"({"status":"OK","peers":[{"ip":"127.0.0.1","port":1000,)", 0), 0u);
    std::size_t entries = 0;
    for (std::size_t pos = 0; (pos = answer.find("\"expires_in\":", pos)) != std::string::npos;
         ++pos)
        ++entries;
    EXPECT_EQ(entries, static_cast<std::size_t>(kEntries));
    EXPECT_EQ(answer.substr(answer.size() - 3), "}]}");
    EXPECT_TRUE(c.wait_closed(5s));
}

TEST(RendezvousServer, ConfigFileSetsOptionsAndFlagsOverrideIt) {
    TempDir dir;
    std::string config = dir.file("rendezvous.json");
    std::ofstream(config) << R"({"default_ttl": 300, "max_ttl": 600, "rate_limit": 0})";
    Server s({"--config", config, "--max-ttl", "900"});
    EXPECT_EQ(s.ask(R"({"type":"REGISTER","namespace":"CIC","name":"bob","port":7071})"),
              R"({"status":"OK","ttl":300,"ip":"127.0.0.1","port":7071})")
        << "default_ttl from the file";
    EXPECT_EQ(
        s.ask(R"({"type":"REGISTER","namespace":"CIC","name":"carol","port":7072,"ttl":5000})"),
        R"({"status":"OK","ttl":900,"ip":"127.0.0.1","port":7072})")
        << "--max-ttl overrides the file's max_ttl";
    s.stop();

    std::ofstream(config) << R"({"max_ttl": "lots"})";
    Process bad;
    ASSERT_TRUE(bad.start(P2PCHAT_BIN, {"rendezvous", "--config", config}));
    auto status = bad.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 78);
    EXPECT_TRUE(bad.wait_for_line("key 'max_ttl': expected an integer", 5s, Stream::kStderr))
        << bad.dump();
}

TEST(RendezvousServer, HelpDocumentsEveryFlagAndBadFlagsAreRefused) {
    Process help;
    ASSERT_TRUE(help.start(P2PCHAT_BIN, {"rendezvous", "--help"}));
    auto status = help.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success());
    for (const char* flag :
         {"--listen", "--db", "--rate-limit", "--rate-window", "--block-seconds", "--idle-timeout",
          "--request-timeout", "--max-connections", "--max-registrations", "--max-tracked-ips",
          "--default-ttl", "--max-ttl", "--db-write-delay-ms", "--log-level", "--config",
          "--help"}) {
        EXPECT_TRUE(help.has_line(std::regex(std::string("^  (-h, )?") + flag + "\\b"))) << flag;
    }
    Process bad;
    ASSERT_TRUE(bad.start(P2PCHAT_BIN, {"rendezvous", "--rate-limit", "lots"}));
    status = bad.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 78);
    // One option table for both programs: a bad value names the flag and
    // what it takes, as the node's errors do (was "bad value for --rate-limit").
    EXPECT_TRUE(bad.wait_for_line("--rate-limit: expected an integer 0\\.\\.1000000, got \"lots\"",
                                  5s, Stream::kStderr))
        << bad.dump();
    // An unknown flag is unknown even as the last word (it once "needed a value").
    Process unknown;
    ASSERT_TRUE(unknown.start(P2PCHAT_BIN, {"rendezvous", "--bogus"}));
    status = unknown.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 78);
    EXPECT_TRUE(unknown.wait_for_line("unknown option --bogus", 5s, Stream::kStderr))
        << unknown.dump();
}

}  // namespace
}  // namespace p2p::test
