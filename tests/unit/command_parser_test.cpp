// The command grammar: every command, every refusal, and the promise that a
// refusal is one short line that never echoes control characters.
#include "shell/ui/command_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/hostile_names.h"

namespace p2p::shell {
namespace {

class CommandParserTest : public ::testing::Test {
  protected:
    const ParseResult& parse(std::string_view line) {
        parser_.parse(line, result_);
        return result_;
    }
    const Command& ok(std::string_view line) {
        const ParseResult& r = parse(line);
        EXPECT_TRUE(r.ok()) << "line: " << line << " error: " << r.error();
        return r.command();
    }
    std::string err(std::string_view line) {
        const ParseResult& r = parse(line);
        EXPECT_FALSE(r.ok()) << "line should be refused: " << line;
        std::string e(r.error());
        // One line that fits an 80-column console after the "error " prefix.
        EXPECT_LE(e.size(), 73u) << e;
        EXPECT_EQ(e.find('\n'), std::string::npos) << e;
        for (unsigned char c : e)
            EXPECT_GE(c, 0x20) << "control byte in: " << e;
        return e;
    }

    CommandParser parser_;
    ParseResult result_;
};

TEST_F(CommandParserTest, BlankLinesAreEmpty) {
    EXPECT_EQ(ok("").kind, CommandKind::kEmpty);
    EXPECT_EQ(ok("   \t ").kind, CommandKind::kEmpty);
    EXPECT_EQ(ok("\r").kind, CommandKind::kEmpty);
}

TEST_F(CommandParserTest, PlainTextGoesToTheLastTarget) {
    const Command& c = ok("  hello there  ");
    EXPECT_EQ(c.kind, CommandKind::kText);
    EXPECT_EQ(c.text, "hello there");
    EXPECT_EQ(ok("olá mundo\r").text, "olá mundo");
}

TEST_F(CommandParserTest, DoubleSlashSendsTextStartingWithSlash) {
    const Command& c = ok("//etc/passwd is a file");
    EXPECT_EQ(c.kind, CommandKind::kText);
    EXPECT_EQ(c.text, "/etc/passwd is a file");
}

TEST_F(CommandParserTest, MsgToPeer) {
    const Command& c = ok("/msg bob@CIC hi   there ");
    EXPECT_EQ(c.kind, CommandKind::kMsg);
    EXPECT_EQ(c.target_kind, TargetKind::kPeer);
    EXPECT_EQ(c.target, "bob@CIC");
    EXPECT_EQ(c.ns, "CIC");
    EXPECT_EQ(c.text, "hi   there");
}

TEST_F(CommandParserTest, MsgToAtPeer) {
    const Command& c = ok("/msg @bob@CIC hi");
    EXPECT_EQ(c.kind, CommandKind::kMsg);
    EXPECT_EQ(c.target, "bob@CIC");
    EXPECT_EQ(c.text, "hi");
}

TEST_F(CommandParserTest, MsgAcceptsRemoteNamesWithUnusualCharacters) {
    // Remote names may be anything the rendezvous accepted except @ # * space.
    const Command& c = ok("/msg jo\xc3\xa3o+1@lab:2 oi");
    EXPECT_EQ(c.target, "jo\xc3\xa3o+1@lab:2");
}

TEST_F(CommandParserTest, MsgToScopeIsAPublish) {
    const Command& ns = ok("/msg #CIC hello all");
    EXPECT_EQ(ns.kind, CommandKind::kPub);
    EXPECT_EQ(ns.target_kind, TargetKind::kNamespace);
    EXPECT_EQ(ns.target, "#CIC");
    EXPECT_EQ(ns.ns, "CIC");
    EXPECT_EQ(ns.text, "hello all");

    const Command& all = ok("/msg * everyone");
    EXPECT_EQ(all.kind, CommandKind::kPub);
    EXPECT_EQ(all.target_kind, TargetKind::kAll);
    EXPECT_EQ(all.text, "everyone");
}

TEST_F(CommandParserTest, MsgBareNameUsesDefaultNamespace) {
    parser_.set_default_namespace("CIC");
    const Command& c = ok("/msg bob hi");
    EXPECT_EQ(c.target, "bob@CIC");
    EXPECT_EQ(c.ns, "CIC");
    EXPECT_EQ(c.text, "hi");
}

TEST_F(CommandParserTest, MsgRefusesAPeerIdWithASpace) {
    parser_.set_default_namespace("CIC");
    // Not "name@CIC x" sent to bad@CIC (issue 15.3): there is no such id.
    EXPECT_EQ(err("/msg bad name@CIC x"),
              "'bad name@CIC' is not a peer id: a peer id has no spaces");
    EXPECT_EQ(err("/msg @bad name@CIC x"),
              "'bad name@CIC' is not a peer id: a peer id has no spaces");
    // An address later in the text is only text.
    EXPECT_EQ(ok("/msg bob mail me at bob@example.org").text, "mail me at bob@example.org");
    EXPECT_EQ(ok("/msg bob@CIC alice@CIC said hi").text, "alice@CIC said hi");
}

TEST_F(CommandParserTest, MsgBadArguments) {
    EXPECT_EQ(err("/msg"), "usage: /msg <peer_id|#namespace|*> <text>");
    EXPECT_EQ(err("/msg bob@CIC"), "usage: /msg <peer_id|#namespace|*> <text>");
    EXPECT_EQ(err("/msg bob@CIC   "), "usage: /msg <peer_id|#namespace|*> <text>");
    EXPECT_EQ(err("/msg bob hi"), "'bob' needs a namespace: name@namespace");
    EXPECT_EQ(err("/msg bob@ hi"), "'bob@' is not a valid peer id (name@namespace)");
    EXPECT_EQ(err("/msg @CIC hi"), "'CIC' needs a namespace: name@namespace");
    EXPECT_EQ(err("/msg a@b@c hi"), "'a@b@c' is not a valid peer id (name@namespace)");
    EXPECT_EQ(err("/msg b*b@CIC hi"), "'b*b@CIC' is not a valid peer id (name@namespace)");
    EXPECT_EQ(err("/msg b#b@CIC hi"), "'b#b@CIC' is not a valid peer id (name@namespace)");
    EXPECT_EQ(err("/msg # hi"), "'#' is not a valid namespace");
    EXPECT_EQ(err("/msg #a@b hi"), "'#a@b' is not a valid namespace");
    std::string long_name(65, 'n');
    EXPECT_NE(err("/msg " + long_name + "@CIC hi").find("is not a valid peer id"),
              std::string::npos);
    std::string max_name(64, 'n');
    EXPECT_EQ(ok("/msg " + max_name + "@" + max_name + " hi").target, max_name + "@" + max_name);
}

TEST_F(CommandParserTest, PubToNamespaceAndAll) {
    const Command& ns = ok("/pub #CIC hello");
    EXPECT_EQ(ns.kind, CommandKind::kPub);
    EXPECT_EQ(ns.target_kind, TargetKind::kNamespace);
    EXPECT_EQ(ns.ns, "CIC");
    EXPECT_EQ(ns.text, "hello");
    const Command& all = ok("/pub * hello world");
    EXPECT_EQ(all.target_kind, TargetKind::kAll);
    EXPECT_EQ(all.target, "*");
    EXPECT_EQ(all.text, "hello world");
}

TEST_F(CommandParserTest, PubBadArguments) {
    EXPECT_EQ(err("/pub"), "usage: /pub <*|#namespace> <text>");
    EXPECT_EQ(err("/pub #CIC"), "usage: /pub <*|#namespace> <text>");
    EXPECT_EQ(err("/pub CIC hello"), "scope must be * or #namespace (did you mean #CIC?)");
    EXPECT_EQ(err("/pub bob@CIC hello"), "scope must be * or #namespace, not 'bob@CIC'");
    EXPECT_EQ(err("/pub #a*b hello"), "'#a*b' is not a valid namespace");
    EXPECT_EQ(err("/pub ** hello"), "scope must be * or #namespace, not '**'");
}

TEST_F(CommandParserTest, Reply) {
    const Command& c = ok("/reply  sure, 5 pm");
    EXPECT_EQ(c.kind, CommandKind::kReply);
    EXPECT_EQ(c.text, "sure, 5 pm");
    EXPECT_EQ(err("/reply"), "usage: /reply <text>");
    EXPECT_EQ(err("/reply   "), "usage: /reply <text>");
}

TEST_F(CommandParserTest, MeIsAnAction) {
    const Command& c = ok("/me waves at everyone");
    EXPECT_EQ(c.kind, CommandKind::kMe);
    EXPECT_EQ(c.text, "waves at everyone");
    EXPECT_EQ(err("/me"), "usage: /me <action>");
}

TEST_F(CommandParserTest, Peers) {
    const Command& all = ok("/peers");
    EXPECT_EQ(all.kind, CommandKind::kPeers);
    EXPECT_EQ(all.target_kind, TargetKind::kNone);
    EXPECT_EQ(ok("/peers *").target_kind, TargetKind::kAll);
    const Command& ns = ok("/peers #lab");
    EXPECT_EQ(ns.target_kind, TargetKind::kNamespace);
    EXPECT_EQ(ns.ns, "lab");
    EXPECT_EQ(err("/peers lab"), "scope must be * or #namespace (did you mean #lab?)");
    EXPECT_EQ(err("/peers #a #b"), "usage: /peers [*|#namespace]");
}

TEST_F(CommandParserTest, ConnectToPeerId) {
    const Command& c = ok("/connect bob@CIC");
    EXPECT_EQ(c.kind, CommandKind::kConnect);
    EXPECT_EQ(c.target_kind, TargetKind::kPeer);
    EXPECT_EQ(c.target, "bob@CIC");
}

TEST_F(CommandParserTest, ConnectToHostPort) {
    const Command& v4 = ok("/connect 127.0.0.1:7070");
    EXPECT_EQ(v4.target_kind, TargetKind::kHostPort);
    EXPECT_EQ(v4.host, "127.0.0.1");
    EXPECT_EQ(v4.port, 7070);
    const Command& name = ok("/connect pi-4.local:65535");
    EXPECT_EQ(name.host, "pi-4.local");
    EXPECT_EQ(name.port, 65535);
    const Command& v6 = ok("/connect [::1]:1");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 1);
    EXPECT_EQ(v6.target, "[::1]:1");
}

TEST_F(CommandParserTest, ConnectBadArguments) {
    EXPECT_EQ(err("/connect"), "usage: /connect <peer_id|host:port>");
    EXPECT_EQ(err("/connect a:1 b:2"), "usage: /connect <peer_id|host:port>");
    EXPECT_EQ(err("/connect localhost"),
              "'localhost' is neither a peer id (name@ns) nor host:port");
    EXPECT_EQ(err("/connect host:0"), "'host:0': port must be a number from 1 to 65535");
    EXPECT_EQ(err("/connect host:65536"), "'host:65536': port must be a number from 1 to 65535");
    EXPECT_EQ(err("/connect host:7o7o"), "'host:7o7o': port must be a number from 1 to 65535");
    EXPECT_EQ(err("/connect host:"), "'host:': port must be a number from 1 to 65535");
    EXPECT_EQ(err("/connect :7070"), "':7070': empty host");
    EXPECT_EQ(err("/connect ::1:7070"), "'::1:7070': bad host name (IPv6 needs [addr]:port)");
    EXPECT_EQ(err("/connect [::1]7070"), "'[::1]7070': write an IPv6 address as [addr]:port");
    EXPECT_EQ(err("/connect []:7070"), "'[]:7070': empty host");
    EXPECT_EQ(err("/connect [zz]:7070"), "'[zz]:7070': bad IPv6 address");
    EXPECT_EQ(err("/connect a@b@c"), "'a@b@c' is not a valid peer id (name@namespace)");
}

TEST_F(CommandParserTest, CommandsWithoutArguments) {
    struct Case {
        const char* line;
        CommandKind kind;
    };
    const Case cases[] = {
        {"/conn", CommandKind::kConn},           {"/rtt", CommandKind::kRtt},
        {"/routes", CommandKind::kRoutes},       {"/watch", CommandKind::kWatch},
        {"/reconnect", CommandKind::kReconnect}, {"/quit", CommandKind::kQuit},
        {"/help", CommandKind::kHelp},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(ok(c.line).kind, c.kind) << c.line;
        EXPECT_EQ(ok(std::string(c.line) + "  ").kind, c.kind) << c.line;
        if (c.kind != CommandKind::kHelp) {
            EXPECT_EQ(err(std::string(c.line) + " extra"),
                      std::string(c.line) + " takes no arguments");
        }
    }
}

TEST_F(CommandParserTest, CommandNamesAreCaseInsensitive) {
    EXPECT_EQ(ok("/QUIT").kind, CommandKind::kQuit);
    EXPECT_EQ(ok("/Msg bob@CIC hi").kind, CommandKind::kMsg);
}

TEST_F(CommandParserTest, ConnIsNotAPrefixOfConnect) {
    EXPECT_EQ(ok("/conn").kind, CommandKind::kConn);
    EXPECT_EQ(ok("/connect a:1").kind, CommandKind::kConnect);
    EXPECT_EQ(err("/con"), "unknown command '/con' (type /help for the list)");
}

TEST_F(CommandParserTest, Log) {
    EXPECT_EQ(ok("/log debug").level, LogLevel::kDebug);
    EXPECT_EQ(ok("/log INFO").level, LogLevel::kInfo);
    EXPECT_EQ(ok("/log Warning").level, LogLevel::kWarn);
    EXPECT_EQ(ok("/log ERROR").level, LogLevel::kError);
    EXPECT_EQ(ok("/log off").level, LogLevel::kOff);
    EXPECT_EQ(ok("/log off").kind, CommandKind::kLog);
    EXPECT_EQ(err("/log"), "usage: /log DEBUG|INFO|WARN|ERROR|OFF");
    EXPECT_EQ(err("/log info extra"), "usage: /log DEBUG|INFO|WARN|ERROR|OFF");
    EXPECT_EQ(err("/log loud"), "unknown log level 'loud' (DEBUG|INFO|WARN|ERROR|OFF)");
}

TEST_F(CommandParserTest, Metrics) {
    const Command& c = ok("/metrics bob@CIC");
    EXPECT_EQ(c.kind, CommandKind::kMetrics);
    EXPECT_EQ(c.target, "bob@CIC");
    EXPECT_EQ(err("/metrics"), "usage: /metrics <peer_id>");
    EXPECT_EQ(err("/metrics a@b c"), "usage: /metrics <peer_id>");
    EXPECT_EQ(err("/metrics #CIC"), "'#CIC' is not a peer id (expected name@namespace)");
}

TEST_F(CommandParserTest, HelpWithTopic) {
    EXPECT_EQ(ok("/help msg").help_topic, CommandKind::kMsg);
    EXPECT_EQ(ok("/help /connect").help_topic, CommandKind::kConnect);
    EXPECT_EQ(ok("/help").help_topic, CommandKind::kEmpty);
    EXPECT_EQ(err("/help frob"), "no such command 'frob' (type /help for the list)");
    EXPECT_EQ(err("/help msg pub"), "usage: /help [command]");
}

TEST_F(CommandParserTest, UnknownCommand) {
    EXPECT_EQ(err("/frobnicate now"), "unknown command '/frobnicate' (type /help for the list)");
    EXPECT_EQ(err("/"), "unknown command '/' (type /help for the list)");
}

TEST_F(CommandParserTest, ErrorsNeverEchoControlCharactersAndStayShort) {
    EXPECT_EQ(err("/\x1b[2Jevil"), "unknown command '/?[2Jevil' (type /help for the list)");
    std::string huge = "/" + std::string(5000, 'x');
    EXPECT_EQ(err(huge), "unknown command '/xxxxxxxxxxxxxxxxxxx...' (type /help for the list)");
    EXPECT_EQ(err("/msg \x07\x07@CIC hi"), "'??@CIC' is not a valid peer id (name@namespace)");
}

TEST_F(CommandParserTest, ParseResultIsReusable) {
    EXPECT_FALSE(parse("/nope").ok());
    EXPECT_TRUE(parse("/quit").ok());
    EXPECT_EQ(result_.error(), "");
    parser_.set_default_namespace("CIC");
    EXPECT_EQ(ok("/msg bob hi").target, "bob@CIC");
    EXPECT_EQ(ok("/msg carol@X yo").target, "carol@X");
}

TEST_F(CommandParserTest, CommandNameTableCoversEveryCommand) {
    std::size_t n = 0;
    const CommandName* names = command_names(&n);
    EXPECT_EQ(n, 16u);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(command_name(names[i].kind), names[i].name);
        EXPECT_TRUE(parse(names[i].name).ok() || !result_.error().starts_with("unknown"))
            << names[i].name;
    }
    EXPECT_EQ(command_name(CommandKind::kText), "");
}

// The name rule (core/text.h) at the command line: a peer id's name, its
// namespace, a bare name in our namespace and a #namespace scope alike.
TEST_F(CommandParserTest, RefusesEveryNameTheNameRuleRefuses) {
    parser_.set_default_namespace("CIC");
    for (std::string_view bad : test::kHostileNames) {
        std::string name(bad);
        EXPECT_NE(err("/msg " + name + "@CIC hi").find("not a valid peer id"), std::string::npos);
        EXPECT_NE(err("/msg bob@" + name + " hi").find("not a valid peer id"), std::string::npos);
        EXPECT_NE(err("/msg " + name + " hi").find("not a peer id"), std::string::npos);
        EXPECT_NE(err("/connect @" + name + "@CIC").find("peer id"), std::string::npos);
        EXPECT_NE(err("/pub #" + name + " hi").find("not a valid namespace"), std::string::npos);
    }
    EXPECT_TRUE(parse("/msg bob@CIC hi").ok());
}

}  // namespace
}  // namespace p2p::shell
