// `p2pchat attach`: the shell of a running node through its control socket
// (--control PATH), against the real binary. Attached clients run as processes with
// piped stdin/stdout (non-tty: one command per line in, one event per line out) and,
// for the prompt, Tab completion and history, under tmux like shell_tty_test. A raw
// peer (bob) links to the node so that events happen and messages can be checked on
// the wire.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/tmux_session.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A node with a control socket and bob, a raw peer linked to it.
class AttachTest : public ::testing::Test {
  protected:
    void SetUp() override {
        control_ = dir_.path() + "/control";
        NodeConfig c;
        c.name = "target";
        c.rendezvous_port = dead_.port();
        c.extra_args = {"--control", control_};
        std::string err;
        ASSERT_TRUE(node_.start(c, &err)) << err;
        ASSERT_TRUE(bob_.connect(node_.port()));
        ASSERT_TRUE(bob_.hello("bob@CIC", {"ack"})) << node_.dump();
    }

    // `p2pchat attach ARGS...`; non-tty, NO_COLOR.
    std::unique_ptr<Process> attach(const std::vector<std::string>& args) {
        auto p = std::make_unique<Process>();
        std::vector<std::string> a = {"attach"};
        a.insert(a.end(), args.begin(), args.end());
        std::string err;
        EXPECT_TRUE(p->start(P2PCHAT_BIN, a, {"HOME=" + dir_.path(), "NO_COLOR=1"}, &err)) << err;
        return p;
    }
    // An interactive client, once it has said it is attached.
    std::unique_ptr<Process> attached_shell() {
        auto p = attach({control_});
        EXPECT_TRUE(p->wait_for_line("attached to node target@CIC", kEventTimeout)) << p->dump();
        return p;
    }
    // One `attach -c` run: its exit status and stdout.
    ExitStatus one_shot(const std::vector<std::string>& args, std::vector<std::string>* out) {
        auto p = attach(args);
        auto st = p->wait_exit(kEventTimeout);
        EXPECT_TRUE(st) << "attach -c did not exit";
        if (out) *out = p->lines();
        return st ? *st : ExitStatus{};
    }
    // Waits for a SEND with this payload to reach bob, ACKing each.
    bool bob_receives(const std::string& payload) {
        auto deadline = SteadyClock::now() + 10s;
        while (SteadyClock::now() < deadline) {
            auto send = bob_.read_type("SEND", 10s);
            if (!send) return false;
            // ACK it, as a real peer does: the node sends one message at a time.
            bob_.send_raw("{\"type\":\"ACK\",\"msg_id\":\"" + send->str("msg_id") +
                          "\",\"from\":\"bob@CIC\",\"timestamp\":\"2025-10-27T10:00:01Z\","
                          "\"ttl\":1}\n");
            if (send->str("payload") == payload) return true;
        }
        return false;
    }
    void bob_says(const std::string& id, const std::string& text) {
        ASSERT_TRUE(bob_.send_raw(make_send(id, "bob@CIC", "target@CIC", text)));
    }

    TempDir dir_;
    DeadPort dead_;
    std::string control_;
    NodeProcess node_;
    RawPeer bob_;
};

TEST_F(AttachTest, SocketIsPrivateToItsOwner) {
    struct stat st {};
    ASSERT_EQ(::lstat(control_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AttachTest, TwoShellsAttachedAtOnceShareEventsAndEachRunsCommands) {
    auto one = attached_shell();
    auto two = attached_shell();
    // An event reaches both.
    bob_says("e1", "hello both");
    EXPECT_TRUE(one->wait_for_line("^msg bob@CIC: hello both$", kEventTimeout)) << one->dump();
    EXPECT_TRUE(two->wait_for_line("^msg bob@CIC: hello both$", kEventTimeout)) << two->dump();
    EXPECT_TRUE(node_.expect("^msg bob@CIC: hello both$")) << node_.dump();
    // A command's answer goes to whoever asked.
    ASSERT_TRUE(one->write_line("/peers"));
    EXPECT_TRUE(one->wait_for_line("^bob@CIC .*CONNECTED", kEventTimeout)) << one->dump();
    // A message sent from the second shell leaves the node.
    ASSERT_TRUE(two->write_line("/msg bob@CIC from the second shell"));
    EXPECT_TRUE(bob_receives("from the second shell")) << node_.dump();
    // /reply in one shell answers whoever last wrote.
    ASSERT_TRUE(one->write_line("/reply back to you"));
    EXPECT_TRUE(bob_receives("back to you")) << one->dump();
}

TEST_F(AttachTest, DetachingNeverStopsTheNode) {
    auto one = attached_shell();
    auto two = attached_shell();
    ASSERT_TRUE(one->write_line("/detach"));
    auto st = one->wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success());
    two->close_stdin();  // Ctrl-D on a pipe: the end of input
    st = two->wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success());
    EXPECT_TRUE(node_.proc().running());
    ASSERT_TRUE(bob_.send_raw(make_ping("alive")));
    EXPECT_TRUE(bob_.read_type("PONG", 5s));
    std::vector<std::string> out;
    EXPECT_TRUE(one_shot({"-c", "/peers", control_}, &out).success());
}

TEST_F(AttachTest, OneShotPrintsTheWholeAnswerAndExitsWithItsStatus) {
    std::vector<std::string> out;
    ExitStatus st = one_shot({"-c", "/peers", control_}, &out);
    EXPECT_TRUE(st.success());
    ASSERT_GE(out.size(), 3u);
    EXPECT_EQ(out.front().rfind("PEER", 0), 0u);
    EXPECT_TRUE(std::regex_search(out.back(), std::regex("^[0-9]+ peers?$"))) << out.back();
    // Several commands, in order; JSON when asked.
    st = one_shot({"--json", "-c", "/peers", "-c", "/conn", control_}, &out);
    EXPECT_TRUE(st.success());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(JsonLine(out[0]).is_object());
    EXPECT_NE(out[0].find("bob@CIC"), std::string::npos);
    // A command that fails: its error, exit 1.
    st = one_shot({"-c", "/msg nobody@CIC hi", control_}, &out);
    EXPECT_TRUE(st.exited);
    EXPECT_EQ(st.code, 1);
    ASSERT_FALSE(out.empty());
    EXPECT_NE(out.back().find("unknown peer nobody@CIC"), std::string::npos);
    // No socket: exit 3 and a reason.
    auto p = attach({"-c", "/peers", dir_.path() + "/missing"});
    auto gone = p->wait_exit(kEventTimeout);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->code, 3);
    EXPECT_TRUE(p->has_line(std::regex("No such file"), Stream::kStderr));
}

// Everything a raw control connection reads until the line `until` (or 10 s).
std::string control_session(const std::string& path, const std::string& requests,
                            const std::string& until) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket failed";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    std::string got;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(requests.size())) {
        timeval tv{.tv_sec = 1, .tv_usec = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        auto deadline = SteadyClock::now() + 10s;
        char buf[4096];
        while (got.find("\n" + until + "\n") == std::string::npos &&
               SteadyClock::now() < deadline) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n == 0) break;
            if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return got;
}

// A read-only client (issue 15, "what people expect"): the node refuses it every
// command that changes something, whatever the client does after claiming it. A
// hostile client speaks the protocol itself, so this one is a raw socket.
TEST_F(AttachTest, ReadOnlyIsEnforcedByTheNodeNotTheClient) {
    std::string got = control_session(control_,
                                      "mode plain\nevents off\nreadonly\n"
                                      "run 1 /quit\nrun 2 /quit\n"
                                      "mode tty 80\nevents on\nrun 3 /msg bob@CIC sneaky\n"
                                      "run 4 /log DEBUG\nrun 5 /connect 127.0.0.1:9\n"
                                      "run 6 /peers\nrun 7 /rtt\n",
                                      "ok 7");
    for (const char* refused : {"\nerr 1\n", "\nerr 2\n", "\nerr 3\n", "\nerr 4\n", "\nerr 5\n"})
        EXPECT_NE(got.find(refused), std::string::npos) << refused << " missing in:\n" << got;
    EXPECT_NE(got.find("read-only attach: /quit is refused"), std::string::npos) << got;
    EXPECT_NE(got.find("read-only attach: /msg is refused"), std::string::npos) << got;
    EXPECT_NE(got.find("\nok 6\n"), std::string::npos) << got;
    EXPECT_NE(got.find("bob@CIC"), std::string::npos) << "/peers did not answer:\n" << got;
    EXPECT_TRUE(node_.proc().running()) << node_.dump();
    // Nothing left the node: the next SEND bob sees is one from a full client.
    std::vector<std::string> out;
    EXPECT_TRUE(one_shot({"-c", "/msg bob@CIC from a full client", control_}, &out).success());
    auto send = bob_.read_type("SEND", 10s);
    ASSERT_TRUE(send) << node_.dump();
    EXPECT_EQ(send->str("payload"), "from a full client");
    // `attach --read-only`: tables answer (exit 0), /quit is refused with the reason (exit 1).
    EXPECT_TRUE(one_shot({"--read-only", "-c", "/peers", control_}, &out).success());
    EXPECT_TRUE(std::regex_search(out.back(), std::regex("^[0-9]+ peers?$"))) << out.back();
    ExitStatus st = one_shot({"--read-only", "-c", "/quit", "-c", "/quit", control_}, &out);
    EXPECT_EQ(st.code, 1);
    ASSERT_FALSE(out.empty());
    EXPECT_NE(out.back().find("read-only attach: /quit is refused"), std::string::npos)
        << out.back();
    EXPECT_TRUE(node_.proc().running()) << node_.dump();
}

// A /msg to a peer the node does not know, with a neighbour that can look for
// it (WHO_HAS): said at once, not echoed as sent, and `attach -c` exits 1
// (issue 15.4: it exited 0), as docs/deployment.md says.
TEST_F(AttachTest, OneShotToAnUnknownPeerFailsEvenWhenRelaysLookForIt) {
    RawPeer carol;
    ASSERT_TRUE(carol.connect(node_.port()));
    ASSERT_TRUE(carol.hello("carol@CIC", {"ack", "relay", "who_has"})) << node_.dump();
    std::vector<std::string> out;
    ExitStatus st = one_shot({"-c", "/msg nobody@CIC hi", control_}, &out);
    EXPECT_TRUE(st.exited);
    EXPECT_EQ(st.code, 1);
    ASSERT_FALSE(out.empty());
    EXPECT_NE(out.back().find("nobody@CIC is not known here yet: looking for a route"),
              std::string::npos)
        << out.back();
    // The relays were asked.
    EXPECT_TRUE(carol.read_type("WHO_HAS", 10s)) << node_.dump();
}

TEST_F(AttachTest, QuitFromAnAttachedShellAsksFirst) {
    auto shell = attached_shell();
    ASSERT_TRUE(shell->write_line("/quit"));
    EXPECT_TRUE(shell->wait_for_line("type /quit again to confirm", kEventTimeout));
    // Anything else in between: the next /quit asks again.
    ASSERT_TRUE(shell->write_line("/peers"));
    ASSERT_TRUE(shell->write_line("/quit"));
    EXPECT_TRUE(shell->wait_for_line("type /quit again to confirm", kEventTimeout));
    EXPECT_TRUE(node_.proc().running());
    ASSERT_TRUE(shell->write_line("/quit"));
    auto st = node_.proc().wait_exit(kEventTimeout);
    ASSERT_TRUE(st) << node_.dump();
    EXPECT_TRUE(st->success());
    EXPECT_TRUE(bob_.read_type("BYE", 5s)) << "the node stopped without its goodbyes";
    auto client = shell->wait_exit(kEventTimeout);
    ASSERT_TRUE(client);
    EXPECT_TRUE(client->success());
}

// A client that connects and never reads while events flood is dropped; the node
// never waits for it.
TEST_F(AttachTest, AStuckClientIsDroppedWithoutBlockingTheNode) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", control_.c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    auto healthy = attached_shell();

    ASSERT_TRUE(flood_sends(bob_, "f", "bob@CIC", "target@CIC", std::string(400, 'y'), 3000));
    EXPECT_TRUE(node_.proc().wait_for_line("attached client dropped: it stopped reading", 10s,
                                           Stream::kStderr))
        << node_.dump();
    auto start = SteadyClock::now();
    ASSERT_TRUE(bob_.send_raw(make_ping("through")));
    auto pong = bob_.read_type("PONG", 2s);
    EXPECT_TRUE(pong);
    EXPECT_LT(SteadyClock::now() - start, 2s);
    // The stuck client finds its connection closed once it reads what was sent.
    char buf[65536];
    ssize_t n;
    auto deadline = SteadyClock::now() + 10s;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0 && SteadyClock::now() < deadline) {
    }
    EXPECT_EQ(n, 0) << "the dropped client's socket is still open";
    ::close(fd);
    // The healthy shell kept up and still works.
    ASSERT_TRUE(healthy->write_line("/peers"));
    EXPECT_TRUE(healthy->wait_for_line("^bob@CIC .*CONNECTED", kEventTimeout));
}

TEST(AttachRendezvous, StatsFromTheServersControlSocket) {
    TempDir dir;
    std::string control = dir.path() + "/rdv";
    Process rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(
        P2PCHAT_BIN, {"rendezvous", "--listen", "127.0.0.1:0", "--control", control}, {}, &err))
        << err;
    std::vector<std::string> g;
    ASSERT_TRUE(wait_either_stream(rdv, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)"),
                                   kEventTimeout, &g));
    NodeConfig c;
    c.name = "registered";
    c.rendezvous_port = static_cast<std::uint16_t>(std::stoi(g[1]));
    NodeProcess node;
    ASSERT_TRUE(node.start(c, &err)) << err;
    ASSERT_TRUE(node.expect("registered registered@CIC")) << node.dump();

    Process stats;
    ASSERT_TRUE(stats.start(P2PCHAT_BIN, {"attach", "-c", "stats", control}, {}, &err));
    auto st = stats.wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << stats.dump();
    EXPECT_TRUE(stats.has_line(
        std::regex("^registrations 1, connections [0-9]+ open \\([1-9][0-9]* since start\\), "
                   "requests [1-9][0-9]*, blocked IPs 0, RSS [1-9][0-9]* KiB$")))
        << stats.dump();
}

// ---- the interactive shell on a terminal ----------------------------------------------

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

// Waits for `text` on the terminal's screen.
bool shows(p2p::test::TmuxSession& term, const std::string& text) {
    return wait_until([&] { return term.screen().find(text) != std::string::npos; }, 10s);
}

TEST_F(AttachTest, OnATerminalPromptTabCompletionAndHistory) {
#ifndef P2P_HAVE_LIBEDIT
    GTEST_SKIP() << "built without libedit: no line editor to test";
#endif
    if (std::system("tmux -V >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed";
    // The session stops the client gracefully at the end and fails the test on a sanitizer
    // report in anything it wrote (its exit-time leak check included).
    p2p::test::TmuxSession term;
    term.start("exec env HOME=" + shell_quote(dir_.path()) + " NO_COLOR=1 " +
               shell_quote(P2PCHAT_BIN) + " attach " + shell_quote(control_));
    ASSERT_TRUE(shows(term, "attached>")) << term.screen();
    // Tab completes bob's id, learnt from the live node.
    term.type("/msg bo");
    term.key("Tab");
    ASSERT_TRUE(shows(term, "attached> /msg bob@CIC")) << term.screen();
    term.type("typed on a terminal");  // after the space the completion added
    term.key("Enter");
    EXPECT_TRUE(bob_receives("typed on a terminal")) << term.screen();
    // The echo names the node as the sender (issue 15.4: it said "<>").
    EXPECT_TRUE(shows(term, "<target> @bob@CIC typed on a terminal")) << term.screen();
    // An event arrives above the prompt while a line is half typed.
    term.type("half");
    bob_says("t1", "while you type");
    ASSERT_TRUE(shows(term, "bob@CIC: while you type")) << term.screen();
    ASSERT_TRUE(shows(term, "attached> half")) << term.screen();
    term.key("C-u");
    // History: Up brings back the command sent before.
    term.key("Up");
    ASSERT_TRUE(shows(term, "attached> /msg bob@CIC typed on a terminal")) << term.screen();
    term.key("C-u");
    // The shell keeps its state across lines: /reply answers bob, /quit only warns.
    term.type("/reply from the terminal");
    term.key("Enter");
    EXPECT_TRUE(bob_receives("from the terminal")) << term.screen();
    term.type("/quit");
    term.key("Enter");
    ASSERT_TRUE(shows(term, "type /quit again to confirm")) << term.screen();
    term.key("C-d");  // detach
    ASSERT_TRUE(term.wait_exit(10s).has_value()) << term.screen();
    EXPECT_TRUE(node_.proc().running());
}

// A message sent from attach takes one row, as on the node's own terminal (issue
// 15.5): the echo is written over the typed line and the delivery mark added to it.
TEST_F(AttachTest, OnATerminalASentMessageTakesOneRow) {
#ifndef P2P_HAVE_LIBEDIT
    GTEST_SKIP() << "built without libedit: no line editor to test";
#endif
    if (std::system("tmux -V >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed";
    p2p::test::TmuxSession term;
    term.start("exec env HOME=" + shell_quote(dir_.path()) + " LC_ALL=C.UTF-8 NO_COLOR=1 " +
               shell_quote(P2PCHAT_BIN) + " attach " + shell_quote(control_));
    ASSERT_TRUE(shows(term, "attached>")) << term.screen();
    term.type("/msg bob@CIC just one row");
    term.key("Enter");
    EXPECT_TRUE(bob_receives("just one row")) << term.screen();  // and ACKed
    ASSERT_TRUE(wait_until(
        [&] {
            return std::regex_search(term.screen(),
                                     std::regex("\n[0-9:]{8} <target> @bob@CIC just one row "
                                                "\xE2\x9C\x93 [0-9]+ ms *\n"));
        },
        10s))
        << term.screen();
    std::string screen = term.screen();
    EXPECT_EQ(count_on_screen(screen, "just one row"), 1) << screen;
    EXPECT_EQ(screen.find("attached> /msg bob@CIC just one row"), std::string::npos) << screen;
    EXPECT_EQ(screen.find("delivered"), std::string::npos) << screen;
    // The prompt is back on the row below it.
    EXPECT_TRUE(std::regex_search(screen, std::regex("just one row .* ms *\nattached> *\n")))
        << screen;
}

}  // namespace
}  // namespace p2p::test
