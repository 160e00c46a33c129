// The console's tables (/peers, /conn, /rtt, /routes, /metrics, /help): 80
// columns, hostile cells escaped and cut, JSON rows that say when they were cut.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "shell/ui/console.h"
#include "tests/unit/console_fixture.h"

namespace p2p::shell {
namespace {

// ---- tables --------------------------------------------------------------------

std::vector<PeerView> sample_peers() {
    std::vector<PeerView> peers(4);
    peers[0].peer_id = "alice@CIC";
    peers[0].ns = "CIC";
    peers[0].host = "192.168.100.200";
    peers[0].port = 65535;
    peers[0].state = PeerState::kConnected;
    peers[0].link = 5;
    peers[0].direction = LinkDirection::kOutbound;
    peers[0].rtt_mean_ms = 43.25;
    peers[0].rtt_count = 4;
    peers[0].last_rtt_ms = 41;
    peers[1].peer_id = "a-really-long-peer-name-for-testing@namespace-long";
    peers[1].ns = "namespace-long";
    peers[1].host = "fe80::1234:5678:9abc:def0";
    peers[1].port = 7070;
    peers[1].state = PeerState::kStale;
    peers[1].next_attempt_at = 1'000'000 + 245'000;
    peers[2].peer_id = "bob@lab";
    peers[2].ns = "lab";
    peers[2].host = "10.0.0.2";
    peers[2].port = 7071;
    peers[2].state = PeerState::kDiscovered;
    peers[2].said_bye = true;
    peers[3].host = "pi.local";
    peers[3].port = 7070;
    peers[3].state = PeerState::kConnecting;
    peers[3].is_static = true;
    return peers;
}

TEST_F(ConsoleTest, PeersTableFitsEightyColumns) {
    auto c = make(ConsoleMode::kPlain);
    std::vector<PeerView> peers = sample_peers();
    c->peers(peers, 1'000'000);
    std::string out = sink_.take();
    std::vector<std::string> lines = split_lines(out);
    ASSERT_EQ(lines.size(), 6u) << out;
    EXPECT_EQ(lines[0],
              "PEER                   ADDRESS               STATE      LINK RTT ms  NOTE");
    EXPECT_EQ(lines[1], "alice@CIC              192.168.100.200:65535 CONNECTED  out    43.2");
    EXPECT_EQ(lines[2],
              "a-really-long-peer-na~ fe80::1234:5678:9abc~ STALE      -         -  dial 4m05s");
    EXPECT_EQ(lines[3], "bob@lab                10.0.0.2:7071         DISCOVERED -         -  bye");
    EXPECT_EQ(lines[4],
              "-                      pi.local:7070         CONNECTING -         -  static");
    EXPECT_EQ(lines[5], "4 peers");
    for (const std::string& l : lines)
        EXPECT_LE(l.size(), 79u) << l;
    expect_terminal_safe(out, false);
}

TEST_F(ConsoleTest, PeersTableFiltersByNamespace) {
    auto c = make(ConsoleMode::kPlain);
    std::vector<PeerView> peers = sample_peers();
    c->peers(peers, 1'000'000, "lab");
    std::vector<std::string> lines = split_lines(sink_.take());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1].substr(0, 7), "bob@lab");
    EXPECT_EQ(lines[2], "1 peer");
}

TEST_F(ConsoleTest, PeersTableJson) {
    auto c = make(ConsoleMode::kJson);
    std::vector<PeerView> peers = sample_peers();
    c->peers(peers, 1'000'000);
    std::string out = sink_.take();
    EXPECT_EQ(out.find('\n'), out.size() - 1);
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size() - 1);
    ASSERT_FALSE(d.HasParseError());
    EXPECT_STREQ(d["event"].GetString(), "peers");
    ASSERT_EQ(d["peers"].Size(), 4u);
    EXPECT_STREQ(d["peers"][0]["peer_id"].GetString(), "alice@CIC");
    EXPECT_EQ(d["peers"][0]["port"].GetUint(), 65535u);
    EXPECT_STREQ(d["peers"][0]["state"].GetString(), "CONNECTED");
    EXPECT_DOUBLE_EQ(d["peers"][0]["rtt_ms"].GetDouble(), 43.25);
    EXPECT_TRUE(d["peers"][2]["said_bye"].GetBool());
    EXPECT_TRUE(d["peers"][3]["static"].GetBool());
}

TEST_F(ConsoleTest, HostileCellsAreEscapedAndCut) {
    auto c = make(ConsoleMode::kPlain);
    std::vector<PeerView> peers(1);
    peers[0].peer_id = "\x1b[2Jx@y";
    peers[0].host = "\x1b]0;t\x07";
    peers[0].port = 1;
    c->peers(peers, 0);
    std::string out = sink_.take();
    expect_terminal_safe(out, false);
    EXPECT_EQ(split_lines(out)[1].substr(0, 22), "\\x1b[2Jx@y            ");
}

TEST_F(ConsoleTest, ConnTable) {
    auto c = make(ConsoleMode::kPlain);
    std::vector<LinkView> links(2);
    links[0].id = 3;
    links[0].peer_id = "alice@CIC";
    links[0].remote = "127.0.0.1:40000";
    links[0].direction = LinkDirection::kInbound;
    links[0].state = LinkState::kEstablished;
    links[0].active = true;
    links[0].features = kFeatureAck | kFeatureRelay;
    links[0].queued_bytes = 1234;
    links[0].established_at = 1'000'000 - 3'725'000;
    links[1].id = 4;
    links[1].remote = "10.1.2.3:7070";
    links[1].state = LinkState::kDialing;
    c->links(links, 1'000'000);
    std::string out = sink_.take();
    std::vector<std::string> lines = split_lines(out);
    ASSERT_EQ(lines.size(), 4u) << out;
    EXPECT_EQ(lines[0],
              "PEER                    REMOTE                DIR STATE   FEAT  QUEUED  UP");
    EXPECT_EQ(lines[1],
              "alice@CIC               127.0.0.1:40000       in  up      a-r-    1234  1h02m");
    EXPECT_EQ(lines[2],
              "-                       10.1.2.3:7070         out dialing ----       0  -");
    EXPECT_EQ(lines[3], "2 links (FEAT: a=ack m=metrics r=relay w=who_has)");
    for (const std::string& l : lines)
        EXPECT_LE(l.size(), 79u) << l;
}

TEST_F(ConsoleTest, ConnTableMarksStandbyDuplicate) {
    auto c = make(ConsoleMode::kPlain);
    std::vector<LinkView> links(1);
    links[0].peer_id = "a@b";
    links[0].state = LinkState::kEstablished;
    links[0].active = false;
    c->links(links, 0);
    EXPECT_NE(sink_.take().find(" standby "), std::string::npos);
}

TEST_F(ConsoleTest, RttTable) {
    auto c = make(ConsoleMode::kPlain);
    std::vector<PeerView> peers = sample_peers();
    peers.resize(2);
    c->rtt(peers);
    std::vector<std::string> lines = split_lines(sink_.take());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0],
              "PEER                                            MEAN ms    LAST ms  SAMPLES");
    EXPECT_EQ(lines[1],
              "alice@CIC                                          43.2       41.0        4");
    EXPECT_EQ(lines[2],
              "a-really-long-peer-name-for-testing@namespa~          -          -        0");
    c->rtt({});
    EXPECT_EQ(sink_.take(),
              "PEER                                            MEAN ms    LAST ms  SAMPLES\n"
              "no RTT samples yet (PING every ping interval on each link)\n");
}

// A peer known only by its address (a static peer before its HELLO) has no
// id: JSON says null (not "", issue 15.4) and gives the address; the table
// shows the address.
TEST_F(ConsoleTest, RttOfAPeerWithoutAnIdNamesItsAddress) {
    std::vector<PeerView> peers = sample_peers();
    auto j = make(ConsoleMode::kJson);
    j->rtt(peers);
    std::string out = sink_.take();
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size() - 1);
    ASSERT_FALSE(d.HasParseError()) << out;
    ASSERT_EQ(d["peers"].Size(), 4u);
    EXPECT_STREQ(d["peers"][0]["peer_id"].GetString(), "alice@CIC");
    EXPECT_TRUE(d["peers"][3]["peer_id"].IsNull()) << out;
    EXPECT_STREQ(d["peers"][3]["host"].GetString(), "pi.local");
    EXPECT_EQ(d["peers"][3]["port"].GetUint(), 7070u);
    j->peers(peers, 1'000'000);
    out = sink_.take();
    EXPECT_EQ(out.find("\"peer_id\":\"\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"peer_id\":null"), std::string::npos) << out;

    auto t = make(ConsoleMode::kPlain);
    t->rtt(peers);
    std::vector<std::string> lines = split_lines(sink_.take());
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[4].rfind("pi.local:7070 ", 0), 0u) << lines[4];
}

TEST_F(ConsoleTest, RoutesTable) {
    auto c = make(ConsoleMode::kPlain);
    RouteRow rows[2];
    rows[0].dst = "alice@CIC";
    rows[0].rtt_ms = 3.5;
    rows[1].dst = "carol@CIC";
    rows[1].via = "relay@CIC";
    rows[1].rtt_ms = -1;
    rows[1].age_ms = 95'000;
    c->routes(rows);
    std::vector<std::string> lines = split_lines(sink_.take());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0],
              "DESTINATION                    VIA                              RTT ms AGE");
    EXPECT_EQ(lines[1], "alice@CIC                      direct                              3.5 -");
    EXPECT_EQ(lines[2],
              "carol@CIC                      relay@CIC                             - 1m35s");
    c->routes({});
    EXPECT_NE(sink_.take().find("no routes"), std::string::npos);
}

// More rows than one JSON line holds: every table is cut on a row boundary,
// stays one valid JSON object and says "truncated": true.
TEST_F(ConsoleTest, JsonTablesCutToFitSayTruncated) {
    auto c = make(ConsoleMode::kJson);
    std::vector<PeerView> peers(20000, sample_peers()[0]);
    std::vector<LinkView> links(20000);
    for (LinkView& l : links)
        l.peer_id = "alice@CIC";
    std::vector<RouteRow> routes(20000);
    for (RouteRow& r : routes) {
        r.dst = "carol@CIC";
        r.via = "relay@CIC";
    }
    auto check = [&](const char* event, const char* array) {
        std::string out = sink_.take();
        rapidjson::Document d;
        d.Parse(out.c_str(), out.size() - 1);
        ASSERT_FALSE(d.HasParseError()) << event;
        EXPECT_STREQ(d["event"].GetString(), event);
        EXPECT_GT(d[array].Size(), 0u) << event;
        EXPECT_LT(d[array].Size(), 20000u) << event;
        ASSERT_TRUE(d.HasMember("truncated")) << event;
        EXPECT_TRUE(d["truncated"].GetBool()) << event;
    };
    c->peers(peers, 1'000'000);
    check("peers", "peers");
    c->links(links, 1'000'000);
    check("conn", "links");
    c->rtt(peers);
    check("rtt", "peers");
    c->routes(routes);
    check("routes", "routes");
    // A table that fits says nothing of the kind.
    c->routes(std::span<const RouteRow>(routes.data(), 2));
    std::string out = sink_.take();
    EXPECT_EQ(out.find("truncated"), std::string::npos) << out;
}

TEST_F(ConsoleTest, MetricsLine) {
    auto c = make(ConsoleMode::kPlain);
    MetricsView m;
    m.peer_id = "bob@CIC";
    m.rtt_ms = 42;
    m.sent_count = 120;
    m.recv_count = 115;
    m.last_seen = "2025-09-21T11:45:00Z";
    c->metrics(m);
    EXPECT_EQ(sink_.take(),
              "metrics bob@CIC: rtt 42.0 ms, sent 120, received 115, last seen "
              "2025-09-21T11:45:00Z\n");
    auto j = make(ConsoleMode::kJson);
    j->metrics(m);
    EXPECT_EQ(
        sink_.take(),
        R"({"event":"metrics","peer_id":"bob@CIC","rtt_ms":42.0,"sent_count":120,"recv_count":115,"last_seen":"2025-09-21T11:45:00Z"})"
        "\n");
}

TEST_F(ConsoleTest, ForwardingCountsPerKindAndVerdict) {
    ForwardCounts counts;
    counts.n[static_cast<std::size_t>(Forward::kPub)][0] = 50;
    counts.n[static_cast<std::size_t>(Forward::kPub)][3] = 7950;
    counts.n[static_cast<std::size_t>(Forward::kWhoHas)][2] = 8000;
    auto c = make(ConsoleMode::kPlain);
    c->forwarding(counts);
    std::vector<std::string> lines = split_lines(sink_.take());
    ASSERT_EQ(lines.size(), 1u + kForwardKinds);
    EXPECT_EQ(lines[0], "FORWARDED        ADMITTED   NOT AGREED    TTL SPENT   OVER QUOTA");
    EXPECT_EQ(lines[2], "PUB                    50            0            0         7950");
    EXPECT_EQ(lines[3], "WHO_HAS                 0            0         8000            0");
    auto j = make(ConsoleMode::kJson);
    j->forwarding(counts);
    std::string json = sink_.take();
    EXPECT_NE(json.find(R"({"event":"forwarding","forwarding":[{"kind":"SEND","admitted":0,)"),
              std::string::npos)
        << json;
    EXPECT_NE(
        json.find(
            R"({"kind":"PUB","admitted":50,"not_negotiated":0,"ttl_expired":0,"over_quota":7950})"),
        std::string::npos)
        << json;
}

TEST_F(ConsoleTest, MetricsEventRendersAsTheMetricsAnswer) {
    NodeEvent ev;
    ev.kind = EventKind::kMetrics;
    ev.peer_id = "bob@CIC";
    ev.metrics_rtt_ms = 42;
    ev.metrics_sent = 120;
    ev.metrics_recv = 115;
    ev.metrics_last_seen = "2025-09-21T11:45:00Z";
    auto c = make(ConsoleMode::kPlain);
    EXPECT_EQ(render(*c, ev),
              "metrics bob@CIC: rtt 42.0 ms, sent 120, received 115, last seen "
              "2025-09-21T11:45:00Z\n");
    auto j = make(ConsoleMode::kJson);
    EXPECT_EQ(
        render(*j, ev),
        R"({"event":"metrics","peer_id":"bob@CIC","rtt_ms":42.0,"sent_count":120,"recv_count":115,"last_seen":"2025-09-21T11:45:00Z"})"
        "\n");
}

TEST_F(ConsoleTest, HelpFitsEightyColumns) {
    auto c = make(ConsoleMode::kPlain);
    c->help();
    std::string out = sink_.take();
    std::vector<std::string> lines = split_lines(out);
    EXPECT_GE(lines.size(), 15u);
    for (const std::string& l : lines)
        EXPECT_LE(l.size(), 79u) << l;
    std::size_t count = 0;
    const CommandName* names = command_names(&count);
    for (std::size_t i = 0; i < count; ++i)
        EXPECT_NE(out.find(std::string("  ") + std::string(names[i].name)), std::string::npos)
            << names[i].name << " missing from /help";
    for (std::size_t i = 0; i < count; ++i) {
        c->help(names[i].kind);
        std::string one = sink_.take();
        EXPECT_EQ(one.substr(0, names[i].name.size()), names[i].name);
        for (const std::string& l : split_lines(one))
            EXPECT_LE(l.size(), 79u) << l;
    }
}

TEST_F(ConsoleTest, HelpJson) {
    auto c = make(ConsoleMode::kJson);
    c->help(CommandKind::kQuit);
    std::string out = sink_.take();
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size() - 1);
    ASSERT_FALSE(d.HasParseError());
    EXPECT_STREQ(d["event"].GetString(), "help");
    EXPECT_STREQ(d["lines"][0].GetString(), "/quit");
}

}  // namespace
}  // namespace p2p::shell
