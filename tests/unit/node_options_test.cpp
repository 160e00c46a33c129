// Node settings: flags, the JSON config file (the Python client's keys plus
// ours), flags overriding the file, defaults, and errors that name the culprit.
#include "shell/app/node_options.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/node.h"
#include "tests/unit/option_rows_check.h"

namespace p2p::shell {
namespace {

class NodeOptionsTest : public ::testing::Test {
  protected:
    std::map<std::string, std::string> files;

    ParseStatus parse(std::vector<std::string> args, std::string_view env = "") {
        error.clear();
        FileReader reader = test::map_reader(files);
        return parse_node_options(args, env, reader, options, error);
    }
    void expect_error(std::vector<std::string> args, const std::string& fragment) {
        EXPECT_EQ(parse(std::move(args)), ParseStatus::kError);
        EXPECT_NE(error.find(fragment), std::string::npos)
            << "error \"" << error << "\" should mention \"" << fragment << "\"";
    }

    NodeOptions options;
    std::string error;
};

TEST_F(NodeOptionsTest, DefaultsFollowTheProtocol) {
    ASSERT_EQ(parse({"--name", "alice", "--namespace", "CIC"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.name, "alice");
    EXPECT_EQ(options.ns, "CIC");
    EXPECT_EQ(options.listen_port, 0);
    EXPECT_EQ(options.ttl_s, 7200);
    EXPECT_EQ(options.discovery_interval_ms, 15'000);
    EXPECT_EQ(options.ping_interval_ms, 30'000);
    EXPECT_EQ(options.max_reconnect_attempts, 5);
    EXPECT_EQ(options.max_peers, 64u);
    EXPECT_FALSE(options.rendezvous_explicit);
    EXPECT_FALSE(options.serve_rendezvous);
    EXPECT_EQ(options.rendezvous.to_string(), "127.0.0.1:8080");
    EXPECT_EQ(options.serve_at.to_string(), "127.0.0.1:8080");
    EXPECT_EQ(options.log_level, LogLevel::kInfo);
    EXPECT_FALSE(options.json);
    EXPECT_FALSE(options.no_shell);
    EXPECT_TRUE(options.discover_all_namespaces);
}

TEST_F(NodeOptionsTest, EveryFlag) {
    ASSERT_EQ(parse({"--name=bob",
                     "--namespace",
                     "UFAM",
                     "--port",
                     "7070",
                     "--listen-host",
                     "127.0.0.1",
                     "--rendezvous",
                     "rdv.example:9000",
                     "--ttl",
                     "600",
                     "--discovery-interval",
                     "0.5",
                     "--ping-interval",
                     "2",
                     "--discover",
                     "namespace",
                     "--max-reconnect-attempts",
                     "0",
                     "--max-peers",
                     "1000",
                     "--peer",
                     "10.0.0.1:7000",
                     "--peer",
                     "[::1]:7001",
                     "--log-level",
                     "debug",
                     "--log-file",
                     "/tmp/x.log",
                     "--syslog",
                     "--json",
                     "--no-shell",
                     "--rendezvous-db",
                     "/tmp/reg.json"}),
              ParseStatus::kRun)
        << error;
    EXPECT_EQ(options.name, "bob");
    EXPECT_EQ(options.ns, "UFAM");
    EXPECT_EQ(options.listen_port, 7070);
    EXPECT_EQ(options.listen_host, "127.0.0.1");
    EXPECT_TRUE(options.rendezvous_explicit);
    EXPECT_EQ(options.rendezvous.host, "rdv.example");
    EXPECT_EQ(options.rendezvous.port, 9000);
    EXPECT_EQ(options.ttl_s, 600);
    EXPECT_EQ(options.discovery_interval_ms, 500);
    EXPECT_EQ(options.ping_interval_ms, 2000);
    EXPECT_FALSE(options.discover_all_namespaces);
    EXPECT_EQ(options.max_reconnect_attempts, 0);
    EXPECT_EQ(options.max_peers, 1000u);
    ASSERT_EQ(options.static_peers.size(), 2u);
    EXPECT_EQ(options.static_peers[0].to_string(), "10.0.0.1:7000");
    EXPECT_EQ(options.static_peers[1].host, "::1");
    EXPECT_EQ(options.static_peers[1].to_string(), "[::1]:7001");
    EXPECT_EQ(options.log_level, LogLevel::kDebug);
    EXPECT_EQ(options.log_file, "/tmp/x.log");
    EXPECT_TRUE(options.syslog);
    EXPECT_TRUE(options.json);
    EXPECT_TRUE(options.no_shell);
    EXPECT_EQ(options.rendezvous_db, "/tmp/reg.json");
}

TEST_F(NodeOptionsTest, RelayFlagsAndKeys) {
    ASSERT_EQ(parse({"--name", "a", "--namespace", "n"}), ParseStatus::kRun);
    EXPECT_TRUE(options.relay);
    EXPECT_EQ(options.relay_ttl, 1);
    files["c.json"] = R"({"name": "a", "namespace": "n", "relay": false, "relay_ttl": 3,
        "relay_share_percent": 20, "relay_rate_per_origin": 10})";
    ASSERT_EQ(parse({"--config", "c.json"}), ParseStatus::kRun) << error;
    EXPECT_FALSE(options.relay);
    EXPECT_EQ(options.relay_ttl, 3);
    EXPECT_EQ(options.relay_share_percent, 20);
    EXPECT_EQ(options.relay_rate_per_origin, 10);
    ASSERT_EQ(parse({"--config", "c.json", "--relay-ttl", "8", "--relay-share", "100",
                     "--relay-rate", "5"}),
              ParseStatus::kRun)
        << error;
    EXPECT_EQ(options.relay_ttl, 8);
    EXPECT_EQ(options.relay_share_percent, 100);
    EXPECT_EQ(options.relay_rate_per_origin, 5);
    ASSERT_EQ(parse({"--name", "a", "--namespace", "n", "--no-relay"}), ParseStatus::kRun);
    EXPECT_FALSE(options.relay);
    expect_error({"--name", "a", "--namespace", "n", "--relay-ttl", "9"}, "--relay-ttl");
    expect_error({"--name", "a", "--namespace", "n", "--relay-ttl", "0"}, "--relay-ttl");
    expect_error({"--name", "a", "--namespace", "n", "--relay-share", "0"}, "--relay-share");
    files["bad.json"] = R"({"relay_ttl": 0})";
    expect_error({"--config", "bad.json"}, "key 'relay_ttl'");
    files["bad.json"] = R"({"relay": "no"})";
    expect_error({"--config", "bad.json"}, "key 'relay'");
}

TEST_F(NodeOptionsTest, HelpWins) {
    EXPECT_EQ(parse({"--help"}), ParseStatus::kHelp);
    EXPECT_EQ(parse({"--name", "x", "-h"}), ParseStatus::kHelp);
}

TEST_F(NodeOptionsTest, HelpDocumentsEveryFlagAndKey) {
    std::string help = node_help_text();
    for (const char* flag : {"--name",
                             "--namespace",
                             "--port",
                             "--listen-host",
                             "--rendezvous",
                             "--serve-rendezvous",
                             "--rendezvous-db",
                             "--ttl",
                             "--discovery-interval",
                             "--discover",
                             "--peer",
                             "--max-peers",
                             "--ping-interval",
                             "--max-reconnect-attempts",
                             "--json",
                             "--no-shell",
                             "--log-level",
                             "--log-file",
                             "--syslog",
                             "--config",
                             "--help",
                             "P2PCHAT_DEFAULT_RENDEZVOUS",
                             "rendezvous_host",
                             "rendezvous_port",
                             "listen_port",
                             "ttl_seconds",
                             "discovery_interval",
                             "ping_interval",
                             "max_reconnect_attempts"})
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
    test::expect_lines_fit_80_columns(help);
}

TEST_F(NodeOptionsTest, PythonClientConfigFile) {
    files["c.json"] = R"({"name": "alice", "namespace": "CIC",
        "rendezvous_host": "pyp2p.mfcaetano.cc", "rendezvous_port": 8080,
        "listen_port": 6000, "ttl_seconds": 3600, "discovery_interval": 15.0,
        "ping_interval": 30.0, "max_reconnect_attempts": 5})";
    ASSERT_EQ(parse({"--config", "c.json"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.name, "alice");
    EXPECT_EQ(options.ns, "CIC");
    EXPECT_TRUE(options.rendezvous_explicit);
    EXPECT_EQ(options.rendezvous.to_string(), "pyp2p.mfcaetano.cc:8080");
    EXPECT_EQ(options.listen_port, 6000);
    EXPECT_EQ(options.ttl_s, 3600);
    EXPECT_EQ(options.discovery_interval_ms, 15'000);
    EXPECT_EQ(options.ping_interval_ms, 30'000);
    EXPECT_EQ(options.max_reconnect_attempts, 5);
    EXPECT_TRUE(options.warnings.empty());
}

TEST_F(NodeOptionsTest, OurConfigKeys) {
    files["c.json"] = R"({"name": "a", "namespace": "n", "max_peers": 8,
        "peers": ["127.0.0.1:7001", "127.0.0.1:7002"], "log_level": "WARN",
        "json": true, "no_shell": true, "syslog": false, "listen_host": "::",
        "serve_rendezvous": "0.0.0.0:0", "discover": "namespace",
        "rendezvous_port": "9000", "rendezvous_host": "h", "extra": 1})";
    ASSERT_EQ(parse({"--config", "c.json"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.max_peers, 8u);
    ASSERT_EQ(options.static_peers.size(), 2u);
    EXPECT_EQ(options.static_peers[1].port, 7002);
    EXPECT_EQ(options.log_level, LogLevel::kWarn);
    EXPECT_TRUE(options.json);
    EXPECT_TRUE(options.no_shell);
    EXPECT_EQ(options.listen_host, "::");
    EXPECT_TRUE(options.serve_rendezvous);
    EXPECT_EQ(options.serve_at.to_string(), "0.0.0.0:0");
    EXPECT_FALSE(options.discover_all_namespaces);
    EXPECT_EQ(options.rendezvous.to_string(), "h:9000") << "numeric strings accepted";
    ASSERT_EQ(options.warnings.size(), 1u);
    EXPECT_NE(options.warnings[0].find("'extra'"), std::string::npos);
}

TEST_F(NodeOptionsTest, FlagsOverrideTheFileWhereverTheyStand) {
    files["c.json"] = R"({"name": "alice", "namespace": "CIC", "listen_port": 6000,
        "ttl_seconds": 100, "peers": ["1.1.1.1:1"], "rendezvous_host": "file-host"})";
    ASSERT_EQ(parse({"--port", "7000", "--config", "c.json", "--name", "carol", "--peer",
                     "2.2.2.2:2", "--rendezvous", "flag-host:1234"}),
              ParseStatus::kRun)
        << error;
    EXPECT_EQ(options.name, "carol");
    EXPECT_EQ(options.ns, "CIC");
    EXPECT_EQ(options.listen_port, 7000);
    EXPECT_EQ(options.ttl_s, 100);
    ASSERT_EQ(options.static_peers.size(), 1u);
    EXPECT_EQ(options.static_peers[0].to_string(), "2.2.2.2:2");
    EXPECT_EQ(options.rendezvous.to_string(), "flag-host:1234");
}

TEST_F(NodeOptionsTest, RendezvousHostAloneUsesPort8080) {
    files["c.json"] = R"({"name": "a", "namespace": "n", "rendezvous_host": "10.1.1.1"})";
    ASSERT_EQ(parse({"--config", "c.json"}), ParseStatus::kRun) << error;
    EXPECT_EQ(options.rendezvous.to_string(), "10.1.1.1:8080");
}

TEST_F(NodeOptionsTest, BadConfigValuesNameTheKey) {
    struct Case {
        const char* json;
        const char* fragment;
    } cases[] = {
        {R"({"name": "al ice"})", "key 'name'"},
        {R"({"namespace": ""})", "key 'namespace'"},
        {R"({"listen_port": 70000})", "key 'listen_port'"},
        {R"({"listen_port": "abc"})", "key 'listen_port'"},
        {R"({"rendezvous_host": "h", "rendezvous_port": 0})", "key 'rendezvous_port'"},
        {R"({"ttl_seconds": 0})", "key 'ttl_seconds'"},
        {R"({"ttl_seconds": 1.5})", "key 'ttl_seconds'"},
        {R"({"discovery_interval": -1})", "key 'discovery_interval'"},
        {R"({"discovery_interval": "soon"})", "key 'discovery_interval'"},
        {R"({"ping_interval": 0})", "key 'ping_interval'"},
        {R"({"max_reconnect_attempts": -2})", "key 'max_reconnect_attempts'"},
        {R"({"max_peers": 0})", "key 'max_peers'"},
        {R"({"peers": "1.1.1.1:1"})", "key 'peers'"},
        {R"({"peers": ["nohostport"]})", "key 'peers'"},
        {R"({"peers": [7]})", "key 'peers'"},
        {R"({"log_level": "LOUD"})", "key 'log_level'"},
        {R"({"json": "yes"})", "key 'json'"},
        {R"({"name": null})", "key 'name'"},
        {R"({"name": ["a"]})", "key 'name'"},
        {R"({"rendezvous_port": 9000})", "needs 'rendezvous_host'"},
        {R"({"discover": "some"})", "key 'discover'"},
        {R"([1, 2])", "expected a JSON object"},
        {R"({"name": "a",)", "not valid JSON"},
    };
    for (const Case& c : cases) {
        files["bad.json"] = c.json;
        SCOPED_TRACE(c.json);
        expect_error({"--config", "bad.json", "--name", "a", "--namespace", "n"}, c.fragment);
        EXPECT_NE(error.find("bad.json"), std::string::npos) << error;
    }
}

TEST_F(NodeOptionsTest, MissingConfigFile) {
    expect_error({"--config", "nope.json"}, "nope.json: No such file");
}

TEST_F(NodeOptionsTest, BadFlagsAreExplained) {
    std::vector<std::string> base = {"--name", "a", "--namespace", "n"};
    auto with = [&](std::vector<std::string> extra) {
        auto v = base;
        v.insert(v.end(), extra.begin(), extra.end());
        return v;
    };
    expect_error(with({"--port", "65536"}), "--port");
    expect_error(with({"--port", "-1"}), "--port");
    expect_error(with({"--ttl", "86401"}), "--ttl");
    expect_error(with({"--ttl", "x"}), "--ttl");
    expect_error(with({"--discovery-interval", "0"}), "--discovery-interval");
    expect_error(with({"--ping-interval", "nan"}), "--ping-interval");
    expect_error(with({"--rendezvous", "nohost"}), "--rendezvous");
    expect_error(with({"--rendezvous", "h:0"}), "--rendezvous");
    expect_error(with({"--peer", "::1:7000"}), "--peer");
    expect_error(with({"--max-peers", "0"}), "--max-peers");
    expect_error(with({"--log-level", "chatty"}), "--log-level");
    expect_error(with({"--bogus"}), "unknown option --bogus");
    expect_error(with({"stray"}), "unexpected argument");
    expect_error(with({"--port"}), "--port needs a value");
    expect_error(with({"--json=1"}), "--json takes no value");
    expect_error({"--name", "a@b", "--namespace", "n"}, "--name");
    expect_error({"--name", std::string(65, 'a'), "--namespace", "n"}, "--name");
    expect_error({"--name", "a", "--namespace", "C#"}, "--namespace");
    expect_error({"--namespace", "n"}, "missing --name");
    expect_error({"--name", "a"}, "missing --namespace");
}

TEST_F(NodeOptionsTest, ServeRendezvousWithAndWithoutAddress) {
    ASSERT_EQ(parse({"--name", "a", "--namespace", "n", "--serve-rendezvous"}), ParseStatus::kRun);
    EXPECT_TRUE(options.serve_rendezvous);
    EXPECT_EQ(options.serve_at.to_string(), "127.0.0.1:8080");
    EXPECT_EQ(options.rendezvous.to_string(), "127.0.0.1:8080");

    ASSERT_EQ(parse({"--serve-rendezvous", "0.0.0.0:9999", "--name", "a", "--namespace", "n"}),
              ParseStatus::kRun);
    EXPECT_EQ(options.serve_at.to_string(), "0.0.0.0:9999");
    EXPECT_EQ(options.rendezvous.to_string(), "0.0.0.0:9999");

    ASSERT_EQ(parse({"--name", "a", "--namespace", "n", "--serve-rendezvous", "127.0.0.1:0"}),
              ParseStatus::kRun);
    EXPECT_EQ(options.serve_at.port, 0) << "port 0: pick one";

    expect_error({"--name", "a", "--namespace", "n", "--serve-rendezvous", "junk"},
                 "--serve-rendezvous");
}

TEST_F(NodeOptionsTest, EnvironmentReplacesTheDefaultRendezvous) {
    ASSERT_EQ(parse({"--name", "a", "--namespace", "n"}, "127.0.0.1:45678"), ParseStatus::kRun);
    EXPECT_EQ(options.rendezvous.to_string(), "127.0.0.1:45678");
    EXPECT_EQ(options.serve_at.to_string(), "127.0.0.1:45678");
    EXPECT_FALSE(options.rendezvous_explicit);

    ASSERT_EQ(
        parse({"--name", "a", "--namespace", "n", "--rendezvous", "10.0.0.1:1"}, "127.0.0.1:45678"),
        ParseStatus::kRun);
    EXPECT_EQ(options.rendezvous.to_string(), "10.0.0.1:1") << "an explicit flag wins";

    EXPECT_EQ(parse({"--name", "a", "--namespace", "n"}, "garbage"), ParseStatus::kError);
    EXPECT_NE(error.find("P2PCHAT_DEFAULT_RENDEZVOUS"), std::string::npos);
}

TEST_F(NodeOptionsTest, TheTableDrivesTheHelp) {
    test::expect_help_covers_every_row(node_option_rows(), node_help_text());
}

TEST_F(NodeOptionsTest, EveryRowWorksAsAFlagAndUnderEachKey) {
    const NodeOptions defaults;
    test::expect_every_row_works(
        node_option_rows(), &defaults,
        [this](const OptionRow& row, std::vector<std::string> args, std::string member,
               std::string& shown, std::string& why, std::vector<std::string>& warnings) {
            std::vector<std::string> all = {"--name", "a", "--namespace", "n"};
            if (!member.empty()) {
                // rendezvous_port alone names no server.
                bool port = member.rfind("\"rendezvous_port\"", 0) == 0;
                files["row.json"] = std::string(R"({"name": "a", "namespace": "n", )") +
                                    (port ? R"("rendezvous_host": "h", )" : "") + member + "}";
                all = {"--config", "row.json"};
            }
            all.insert(all.end(), args.begin(), args.end());
            ParseStatus status = parse(all);
            why = error;
            warnings = options.warnings;
            shown = row.show ? row.show(&options, row) : "";
            return status;
        });
}

TEST_F(NodeOptionsTest, FlagNamedKeysWorkBesideThePythonClientsKeys) {
    files["c.json"] = R"({"name": "a", "namespace": "n", "port": 7000, "ttl": 60,
        "peer": ["1.1.1.1:1"], "no_relay": true, "relay_share": 20, "relay_rate": 9,
        "queue_bytes": 40000, "queue_msgs": 10, "rendezvous": "h:1", "max_peers": 9})";
    ASSERT_EQ(parse({"--config", "c.json"}), ParseStatus::kRun) << error;
    EXPECT_TRUE(options.warnings.empty());
    EXPECT_EQ(options.listen_port, 7000);
    EXPECT_EQ(options.ttl_s, 60);
    ASSERT_EQ(options.static_peers.size(), 1u);
    EXPECT_FALSE(options.relay);
    EXPECT_EQ(options.relay_share_percent, 20);
    EXPECT_EQ(options.relay_rate_per_origin, 9);
    EXPECT_EQ(options.queue_max_bytes, 40'000u);
    EXPECT_EQ(options.queue_max_msgs, 10u);
    EXPECT_TRUE(options.rendezvous_explicit);
    EXPECT_EQ(options.rendezvous.to_string(), "h:1");
    EXPECT_EQ(options.max_peers, 9u);

    files["c.json"] = R"({"name": "a", "namespace": "n", "no_relay": false})";
    ASSERT_EQ(parse({"--config", "c.json"}), ParseStatus::kRun) << error;
    EXPECT_TRUE(options.relay) << "no_relay: false is relay: true";
    files["c.json"] = R"({"name": "a", "namespace": "n", "ttl": 0})";
    expect_error({"--config", "c.json"}, "key 'ttl': expected an integer 1..86400");
}

TEST_F(NodeOptionsTest, DefaultsAreTheEnginesAndEngineConfigFollowsTheTable) {
    const NodeConfig engine;
    ASSERT_EQ(parse({"--name", "a", "--namespace", "n"}), ParseStatus::kRun) << error;
    NodeConfig c = engine_config(options, 42);
    EXPECT_EQ(c.name, "a");
    EXPECT_EQ(c.ns, "n");
    EXPECT_EQ(c.seed, 42u);
    EXPECT_EQ(c.features, engine.features);
    EXPECT_EQ(c.max_peers, engine.max_peers);
    EXPECT_EQ(c.ping_interval_ms, engine.ping_interval_ms);
    EXPECT_EQ(c.max_reconnect_attempts, engine.max_reconnect_attempts);
    EXPECT_EQ(c.relay_ttl, engine.relay_ttl);
    EXPECT_EQ(c.route_ttl_ms, engine.route_ttl_ms);
    EXPECT_EQ(c.queue_max_bytes, engine.queue_max_bytes);
    const RendezvousClient::Config client;
    EXPECT_EQ(options.ttl_s, client.ttl_s);
    EXPECT_EQ(options.discovery_interval_ms, client.discovery_interval_ms);
    // The help's defaults are read from the same place.
    std::string help = test::collapse_spaces(node_help_text());
    EXPECT_NE(help.find("peer table size (1..65535, default " + std::to_string(engine.max_peers)),
              std::string::npos);
    EXPECT_NE(help.find("default " + std::to_string(engine.queue_max_bytes) + ")"),
              std::string::npos);

    ASSERT_EQ(parse({"--name", "a", "--namespace", "n", "--no-relay", "--max-peers", "9",
                     "--route-age", "2", "--ping-interval", "3", "--queue-msgs", "7"}),
              ParseStatus::kRun)
        << error;
    c = engine_config(options, 1);
    EXPECT_EQ(c.features & kFeatureRelay, 0u);
    EXPECT_EQ(c.features | kFeatureRelay, engine.features);
    EXPECT_EQ(c.max_peers, 9u);
    EXPECT_EQ(c.route_ttl_ms, 2'000);
    EXPECT_EQ(c.ping_interval_ms, 3'000);
    EXPECT_EQ(c.queue_max_msgs, 7u);
}

TEST_F(NodeOptionsTest, UnknownFlagsAreUnknownWhateverFollows) {
    expect_error({"--name", "a", "--namespace", "n", "--bogus"}, "unknown option --bogus");
    expect_error({"--bogus", "1", "--name", "a", "--namespace", "n"}, "unknown option --bogus");
    expect_error({"--bogus=1"}, "unknown option --bogus (see --help)");
    expect_error({"--name", "a", "--namespace"}, "--namespace needs a value (see --help)");
}

}  // namespace
}  // namespace p2p::shell
