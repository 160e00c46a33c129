// The shell through a real terminal: tmux runs the program in a pane, the
// test types with send-keys, makes an event arrive, and reads the screen
// with capture-pane. The point: an event printed while a line is half typed
// goes above the prompt, and the typed line (and the cursor in it) survive.
//
// Two programs are driven: shell_demo (line editor + console on a real
// EventLoop; events come from a fifo), for precise checks of the editor, and
// the real p2pchat: two nodes and a rendezvous over loopback, where one node
// /msg's the other while that one has a half-typed line. A private tmux
// server (-L) is used so the user's tmux is never touched. Skipped when tmux
// is not installed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_path.h"
#include "tests/support/tmux_session.h"

namespace {

using Clock = std::chrono::steady_clock;

using p2p::test::shell_quote;

std::string capture(const std::string& cmd) {
    return p2p::test::capture_command(cmd);
}

bool have_tmux() {
    return std::system("tmux -V >/dev/null 2>&1") == 0;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

constexpr auto kTimeout = std::chrono::milliseconds(10000);

// One private tmux server with one session running the demo.
class TmuxDemo {
  public:
    TmuxDemo(int width, int height) {
        static int counter = 0;
        std::string dir = p2p::test::temp_template("p2p_shell_tty");
        dir_ = ::mkdtemp(dir.data()) ? dir : "";
        socket_ = "p2pshell-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
        fifo_ = dir_ + "/events";
        record_ = dir_ + "/typed";
        history_ = dir_ + "/history";
        width_ = width;
        height_ = height;
        ::mkfifo(fifo_.c_str(), 0600);
    }
    // Stops the pane's program gracefully and fails the test on a sanitizer report in
    // anything the pane showed (leak checks run at exit: killing the server would hang
    // the terminal up before they print).
    ~TmuxDemo() {
        if (fifo_fd_ >= 0) ::close(fifo_fd_);
        if (started_) {
            stop_foreground();
            std::vector<std::string> lines;
            std::istringstream raw(read_file(dir_ + "/pane.raw"));
            for (std::string line; std::getline(raw, line);)
                lines.push_back(line);
            p2p::test::fail_on_sanitizer_reports("the program in the tmux pane", lines, screen());
        }
        tmux("kill-server");
        std::system(("rm -rf " + shell_quote(dir_)).c_str());
    }

    // Starts (or restarts) the demo in the session and waits for its prompt.
    // The demo's command line. HOME points at the temp dir so that no
    // ~/.editrc of the user applies.
    std::string demo_command() const {
        return "env HOME=" + shell_quote(dir_) + " " + shell_quote(SHELL_DEMO_BIN) + " --fifo " +
               shell_quote(fifo_) + " --record " + shell_quote(record_) + " --history " +
               shell_quote(history_);
    }

    // Starts the demo from an interactive shell with job control, so that
    // Ctrl-Z and fg work as for a person.
    bool start_under_shell() {
        start_command("env PS1='$ ' bash --norc --noprofile");
        if (!last_line_is("$")) return false;
        type(demo_command());
        key("Enter");
        return attach_fifo();
    }

    bool start() {
        std::string cmd = demo_command();
        if (!started_) {
            tmux("new-session -d -s demo -x " + std::to_string(width_) + " -y " +
                 std::to_string(height_) + " " + shell_quote(cmd));
            tmux("set-option -t demo remain-on-exit on");
            started_ = true;
        } else {
            tmux("respawn-pane -k -t demo " + shell_quote(cmd));
        }
        copy_output();
        return attach_fifo();
    }

    bool attach_fifo() {
        if (!wait_until([&] { return screen().find("demo ready (libedit)") != std::string::npos; },
                        kTimeout))
            return false;
        if (fifo_fd_ >= 0) ::close(fifo_fd_);
        fifo_fd_ = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        return fifo_fd_ >= 0;
    }

    // Runs `cmd` (a shell command line) in the session.
    void start_command(const std::string& cmd) {
        tmux("new-session -d -s demo -x " + std::to_string(width_) + " -y " +
             std::to_string(height_) + " " + shell_quote(cmd));
        tmux("set-option -t demo remain-on-exit on");
        copy_output();
        started_ = true;
    }
    // Copies what the pane's programs write to pane.raw, for the sanitizer check at the
    // end (the screen keeps only its last lines). Set up just after the program starts:
    // its first bytes may be missed, not a report, which comes later.
    void copy_output() {
        tmux("pipe-pane -t demo -o " + shell_quote("cat >> " + shell_quote(dir_ + "/pane.raw")));
    }
    // SIGTERM to the terminal's foreground process group (the program, or the program
    // a shell in the pane runs), then waits for it to be gone; kill-server does the rest.
    void stop_foreground() {
        if (dead()) return;
        const long pane = std::atol(tmux("display -p -t demo '#{pane_pid}'").c_str());
        std::ifstream stat("/proc/" + std::to_string(pane) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        long pgrp = 0;  // /proc/PID/stat after "(comm)": state ppid pgrp session tty tpgid
        const auto paren = text.rfind(')');
        if (paren == std::string::npos ||
            std::sscanf(text.c_str() + paren + 1, " %*c %*d %*d %*d %*d %ld", &pgrp) != 1 ||
            pgrp <= 1)
            return;
        ::kill(static_cast<pid_t>(-pgrp), SIGTERM);
        wait_until([&] { return ::kill(static_cast<pid_t>(-pgrp), 0) != 0 || dead(); },
                   std::chrono::milliseconds(10000));
        if (static_cast<long>(pane) == pgrp) wait_until([&] { return dead(); }, kTimeout);
    }
    const std::string& dir() const { return dir_; }

    std::string tmux(const std::string& args) {
        return capture("tmux -L " + socket_ + " -f /dev/null " + args + " 2>&1");
    }
    void type(const std::string& text) { tmux("send-keys -t demo -l " + shell_quote(text)); }
    void key(const std::string& name) { tmux("send-keys -t demo " + name); }

    std::string screen() { return tmux("capture-pane -p -t demo"); }
    // Screen lines, trailing blank lines dropped.
    std::vector<std::string> lines() {
        std::vector<std::string> out;
        std::stringstream ss(screen());
        std::string line;
        while (std::getline(ss, line))
            out.push_back(line);
        while (!out.empty() && out.back().find_first_not_of(' ') == std::string::npos)
            out.pop_back();
        return out;
    }
    std::string last_line() {
        auto l = lines();
        return l.empty() ? "" : l.back();
    }
    std::pair<int, int> cursor() {
        std::string xy = tmux("display -p -t demo '#{cursor_x} #{cursor_y}'");
        int x = -1;
        int y = -1;
        std::sscanf(xy.c_str(), "%d %d", &x, &y);
        return {x, y};
    }
    bool dead() { return tmux("display -p -t demo '#{pane_dead}'").find('1') == 0; }

    void event(const std::string& text) {
        std::string line = text + "\n";
        ASSERT_EQ(::write(fifo_fd_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    }
    bool screen_has(const std::string& text) {
        return wait_until([&] { return screen().find(text) != std::string::npos; }, kTimeout);
    }
    bool last_line_is(const std::string& text) {
        return wait_until([&] { return last_line() == text; }, kTimeout);
    }
    bool typed_has(const std::string& line) {
        return wait_until([&] { return read_file(record_).find(line + "\n") != std::string::npos; },
                          kTimeout);
    }
    const std::string& history_path() const { return history_; }

  private:
    std::string dir_;
    std::string socket_;
    std::string fifo_;
    std::string record_;
    std::string history_;
    int width_;
    int height_;
    int fifo_fd_ = -1;
    bool started_ = false;
};

class ShellTty : public ::testing::Test {
  protected:
    void SetUp() override {
#ifndef P2P_HAVE_LIBEDIT
        GTEST_SKIP() << "built without libedit: the shell has no line editor to test";
#endif
        if (!have_tmux())
            GTEST_SKIP() << "tmux is not installed: the interactive shell test needs it";
    }
};

TEST_F(ShellTty, HalfTypedLineSurvivesAnIncomingMessage) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("hello half");
    ASSERT_TRUE(t.last_line_is("> hello half")) << t.screen();
    auto before = t.cursor();
    EXPECT_EQ(before.first, 12);

    t.event("incoming one");
    ASSERT_TRUE(t.screen_has("bob@CIC: incoming one")) << t.screen();
    std::vector<std::string> lines;
    ASSERT_TRUE(wait_until(
        [&] {
            lines = t.lines();
            return lines.size() >= 2 && lines.back() == "> hello half" &&
                   lines[lines.size() - 2].find("bob@CIC: incoming one") != std::string::npos;
        },
        kTimeout))
        << t.screen();
    // The event took the prompt's row; the prompt moved down by one, the
    // cursor is where it was in the line.
    auto after = t.cursor();
    EXPECT_EQ(after.first, 12);
    EXPECT_EQ(after.second, before.second + 1);
    // The prompt text itself appears once: it was erased, not left behind.
    std::size_t prompts = 0;
    for (const auto& l : lines)
        prompts += l.rfind("> hello half", 0) == 0;
    EXPECT_EQ(prompts, 1u) << t.screen();

    t.type(" done");
    t.key("Enter");
    EXPECT_TRUE(t.typed_has("hello half done")) << t.screen();
    EXPECT_TRUE(t.screen_has("got: hello half done")) << t.screen();
}

TEST_F(ShellTty, CursorInsideTheLineStaysPut) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("hello half");
    ASSERT_TRUE(t.last_line_is("> hello half"));
    t.key("Left Left Left");
    ASSERT_TRUE(wait_until([&] { return t.cursor().first == 9; }, kTimeout));
    t.event("while editing");
    ASSERT_TRUE(t.screen_has("bob@CIC: while editing")) << t.screen();
    ASSERT_TRUE(t.last_line_is("> hello half")) << t.screen();
    EXPECT_EQ(t.cursor().first, 9);
    // Typing goes where the cursor was.
    t.type("XY");
    ASSERT_TRUE(t.last_line_is("> hello hXYalf")) << t.screen();
    t.key("Enter");
    EXPECT_TRUE(t.typed_has("hello hXYalf"));
}

TEST_F(ShellTty, LineLongerThanTheScreenWidthSurvives) {
    TmuxDemo t(60, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    std::string typed = "/msg bob@CIC " + std::string(90, 'w');  // wraps onto a 2nd row
    t.type(typed);
    std::string full = "> " + typed;
    ASSERT_TRUE(t.last_line_is(full.substr(60))) << t.screen();
    auto before = t.cursor();
    t.event("across rows");
    ASSERT_TRUE(t.screen_has("bob@CIC: across rows")) << t.screen();
    std::vector<std::string> lines;
    ASSERT_TRUE(wait_until(
        [&] {
            lines = t.lines();
            return lines.size() >= 3 && lines.back() == full.substr(60) &&
                   lines[lines.size() - 2] == full.substr(0, 60) &&
                   lines[lines.size() - 3].find("bob@CIC: across rows") != std::string::npos;
        },
        kTimeout))
        << t.screen();
    EXPECT_EQ(t.cursor().first, before.first);
    t.key("Enter");
    EXPECT_TRUE(t.typed_has(typed));
}

TEST_F(ShellTty, BurstOfEventsKeepsTheLine) {
    TmuxDemo t(80, 24);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("/pub #CIC still typing");
    ASSERT_TRUE(t.last_line_is("> /pub #CIC still typing"));
    for (int i = 0; i < 40; ++i)
        t.event("burst " + std::to_string(i));
    ASSERT_TRUE(t.screen_has("bob@CIC: burst 39")) << t.screen();
    ASSERT_TRUE(t.last_line_is("> /pub #CIC still typing")) << t.screen();
    std::vector<std::string> lines = t.lines();
    // Events in order, each on its own line, none overwritten by the prompt.
    ASSERT_GE(lines.size(), 3u);
    EXPECT_NE(lines[lines.size() - 2].find("burst 39"), std::string::npos);
    EXPECT_NE(lines[lines.size() - 3].find("burst 38"), std::string::npos);
    EXPECT_EQ(t.cursor().first, 24);
}

TEST_F(ShellTty, LogLinesOnStderrGoAboveThePromptToo) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("/msg bob@CIC typing");
    ASSERT_TRUE(t.last_line_is("> /msg bob@CIC typing"));
    t.event("log:link to carol@CIC dead after 3 PINGs");
    ASSERT_TRUE(t.screen_has("WARN [Demo] link to carol@CIC dead after 3 PINGs")) << t.screen();
    ASSERT_TRUE(t.last_line_is("> /msg bob@CIC typing")) << t.screen();
    EXPECT_EQ(t.cursor().first, 21);
}

TEST_F(ShellTty, CtrlZAndFgRestoreTheTerminalAndTheLine) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start_under_shell()) << t.screen();
    t.type("abc");
    ASSERT_TRUE(t.last_line_is("> abc")) << t.screen();
    t.key("C-z");
    ASSERT_TRUE(t.screen_has("Stopped")) << t.screen();
    ASSERT_TRUE(t.last_line_is("$")) << t.screen();
    // The shell got its terminal back in its own (cooked) state: it echoes.
    t.type("fg");
    ASSERT_TRUE(t.last_line_is("$ fg")) << t.screen();
    t.key("Enter");
    ASSERT_TRUE(t.last_line_is("> abc")) << t.screen();
    EXPECT_EQ(t.cursor().first, 5);
    t.event("after resume");
    ASSERT_TRUE(t.screen_has("bob@CIC: after resume")) << t.screen();
    t.type("def");
    ASSERT_TRUE(t.last_line_is("> abcdef")) << t.screen();
    t.key("Enter");
    EXPECT_TRUE(t.typed_has("abcdef")) << t.screen();
}

TEST_F(ShellTty, LoneEscapeDoesNotStallTheNode) {
    // libedit waits for the key after ESC; that wait must not hold up the
    // event loop (and with it every link) until the person types again. (No
    // key follows here: one typed within the wait would rightly be Meta-key.)
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("abc");
    ASSERT_TRUE(t.last_line_is("> abc"));
    t.key("Escape");
    t.event("while ESC is pending");
    ASSERT_TRUE(t.screen_has("bob@CIC: while ESC is pending")) << t.screen();
    t.event("and after it");
    ASSERT_TRUE(t.screen_has("bob@CIC: and after it")) << t.screen();
    EXPECT_TRUE(t.last_line_is("> abc")) << t.screen();
}

TEST_F(ShellTty, HostileMessageCannotDriveTheTerminal) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("safe");
    ASSERT_TRUE(t.last_line_is("> safe"));
    // Clear screen + home + a fake prompt, as raw bytes in the text.
    t.event("x\x1b[2J\x1b[H> pwned");
    ASSERT_TRUE(t.screen_has("bob@CIC: x\\x1b[2J\\x1b[H> pwned")) << t.screen();
    EXPECT_NE(t.screen().find("demo ready"), std::string::npos) << "screen was cleared";
    EXPECT_TRUE(t.last_line_is("> safe"));
}

TEST_F(ShellTty, TabCompletesCommandsAndPeerIds) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("/he");
    t.key("Tab");
    ASSERT_TRUE(t.last_line_is("> /help")) << t.screen();
    t.key("C-u");
    t.type("/msg car");
    t.key("Tab");
    ASSERT_TRUE(t.last_line_is("> /msg carol@CIC")) << t.screen();
    t.type("hi");
    t.key("Enter");
    EXPECT_TRUE(t.typed_has("/msg carol@CIC hi")) << t.screen();
}

TEST_F(ShellTty, HistoryIsKeptInAPrivateFile) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.type("/peers #CIC");
    t.key("Enter");
    ASSERT_TRUE(t.typed_has("/peers #CIC"));
    t.type("/quit");
    t.key("Enter");
    ASSERT_TRUE(wait_until([&] { return t.dead(); }, kTimeout)) << t.screen();
    std::string hist = read_file(t.history_path());
    EXPECT_NE(hist.find("/peers"), std::string::npos) << hist;
    struct stat st {};
    ASSERT_EQ(::stat(t.history_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // A new run recalls it with Up.
    ASSERT_TRUE(t.start()) << t.screen();
    t.key("Up");
    ASSERT_TRUE(t.last_line_is("> /quit")) << t.screen();
    t.key("Up");
    ASSERT_TRUE(t.last_line_is("> /peers #CIC")) << t.screen();
}

TEST_F(ShellTty, CtrlDOnEmptyLineEndsInputAndRestoresTheTerminal) {
    TmuxDemo t(100, 20);
    ASSERT_TRUE(t.start()) << t.screen();
    t.key("C-d");
    ASSERT_TRUE(wait_until([&] { return t.dead(); }, kTimeout)) << t.screen();
}

// ---- the real node ---------------------------------------------------------------

// Starts a rendezvous and, at the tmux terminal, the node bob (plus
// `bob_args`); returns bob's listen port and the rendezvous address.
static void start_rendezvous_and_bob(TmuxDemo& t, p2p::test::Process& rdv,
                                     const std::string& bob_args, std::string& rdv_addr,
                                     std::string& bob_port) {
    using p2p::test::Stream;
    using std::chrono::milliseconds;
    ASSERT_TRUE(rdv.start(P2PCHAT_BIN, {"rendezvous", "--listen", "127.0.0.1:0"}));
    std::vector<std::string> groups;
    ASSERT_TRUE(rdv.wait_for_line(R"(listening on 127\.0\.0\.1:(\d+))", milliseconds(10000),
                                  Stream::kStdout, &groups))
        << rdv.dump();
    rdv_addr = "127.0.0.1:" + groups[1];
    std::string bob_cmd = "env HOME=" + shell_quote(t.dir()) + " " + shell_quote(P2PCHAT_BIN) +
                          " --name bob --namespace CIC --port 0 --listen-host 127.0.0.1" +
                          " --rendezvous " + rdv_addr + " --discovery-interval 0.5 " + bob_args;
    t.start_command(bob_cmd);
    std::smatch m;
    std::string screen;
    ASSERT_TRUE(wait_until(
        [&] {
            screen = t.screen();
            return std::regex_search(screen, m,
                                     std::regex(R"(listening on [0-9.]+:(\d+) as bob@CIC)"));
        },
        kTimeout))
        << screen;
    bob_port = m[1];
}

// Ctrl-D at the prompt of a real node is the end of the session: the node says BYE,
// unregisters and exits, as with /quit (it used to keep running headless).
TEST_F(ShellTty, RealNodeCtrlDAtThePromptStopsTheNode) {
    TmuxDemo t(100, 30);
    p2p::test::Process rdv;
    std::string rdv_addr, bob_port;
    start_rendezvous_and_bob(t, rdv, "--log-file " + shell_quote(t.dir() + "/bob.log"), rdv_addr,
                             bob_port);
    if (HasFatalFailure()) return;
    ASSERT_TRUE(wait_until([&] { return t.screen_has("registered bob@CIC"); }, kTimeout))
        << t.screen();
    t.key("C-d");
    EXPECT_TRUE(wait_until([&] { return t.dead(); }, kTimeout)) << t.screen();
}

TEST_F(ShellTty, RealNodeMessageArrivesWhileALineIsHalfTyped) {
    using p2p::test::Process;
    using std::chrono::milliseconds;
    TmuxDemo t(100, 30);

    // bob: the person at the terminal. Logs go to a file, not the screen.
    Process rdv;
    std::string rdv_addr, bob_port;
    start_rendezvous_and_bob(t, rdv, "--log-file " + shell_quote(t.dir() + "/bob.log"), rdv_addr,
                             bob_port);
    if (HasFatalFailure()) return;

    // alice: a node driven through a pipe (plain mode), dialing bob.
    Process alice;
    ASSERT_TRUE(alice.start(P2PCHAT_BIN,
                            {"--name", "alice", "--namespace", "CIC", "--port", "0",
                             "--listen-host", "127.0.0.1", "--rendezvous", rdv_addr,
                             "--discovery-interval", "0.5", "--peer", "127.0.0.1:" + bob_port},
                            {"HOME=" + t.dir()}));
    ASSERT_TRUE(alice.wait_for_line(R"(^peer bob@CIC CONNECTED)", milliseconds(15000)))
        << alice.dump();
    ASSERT_TRUE(t.screen_has("alice@CIC CONNECTED")) << t.screen();

    const std::string half = "/msg alice@CIC half typed";
    t.type(half);
    ASSERT_TRUE(t.last_line_is("> " + half)) << t.screen();

    ASSERT_TRUE(alice.write_line("/msg bob@CIC hello from alice"));
    ASSERT_TRUE(alice.wait_for_line(R"(^delivered \S+ to bob@CIC \(\d+ ms\))", milliseconds(15000)))
        << alice.dump();
    ASSERT_TRUE(t.screen_has("alice@CIC: hello from alice")) << t.screen();
    // The message is above the prompt; the half-typed line and the cursor at
    // its end are intact, behind a prompt that now names where text goes.
    const std::string prompt = "(to: alice@CIC) > ";
    ASSERT_TRUE(t.last_line_is(prompt + half)) << t.screen();
    std::vector<std::string> lines = t.lines();
    std::size_t msg_row = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].find("alice@CIC: hello from alice") != std::string::npos) msg_row = i;
    EXPECT_LT(msg_row, lines.size() - 1) << t.screen();
    EXPECT_EQ(t.cursor().first, static_cast<int>(prompt.size() + half.size()));

    // Finishing the line sends it, whole.
    t.type(" line");
    t.key("Enter");
    ASSERT_TRUE(alice.wait_for_line(R"(^msg bob@CIC: half typed line$)", milliseconds(15000)))
        << alice.dump() << t.screen();
    // One line for what was sent, its ACK appended ("[delivered N ms]" on
    // this pane's non-UTF-8 locale, a check mark on a UTF-8 one).
    ASSERT_TRUE(wait_until(
        [&] {
            return std::regex_search(
                t.screen(), std::regex("<bob> @alice@CIC half typed line "
                                       "(\\[delivered [0-9]+ ms\\]|\xE2\x9C\x93 [0-9]+ ms)"));
        },
        kTimeout))
        << t.screen();

    t.type("/quit");
    t.key("Enter");
    EXPECT_TRUE(wait_until([&] { return t.dead(); }, kTimeout)) << t.screen();
    alice.write_line("/quit");
    EXPECT_TRUE(alice.wait_exit(milliseconds(10000)));
}

// Logs written to stderr on the terminal the editor draws on go above the
// prompt too: keep-alive DEBUG lines every second must not break into the
// half-typed line.
TEST_F(ShellTty, RealNodeLogLinesPrintAboveAHalfTypedLine) {
    using p2p::test::Process;
    using std::chrono::milliseconds;
    TmuxDemo t(100, 30);
    Process rdv;
    std::string rdv_addr, bob_port;
    start_rendezvous_and_bob(t, rdv, "--log-level DEBUG --ping-interval 1", rdv_addr, bob_port);
    if (HasFatalFailure()) return;

    Process alice;
    ASSERT_TRUE(
        alice.start(P2PCHAT_BIN,
                    {"--name", "alice", "--namespace", "CIC", "--port", "0", "--listen-host",
                     "127.0.0.1", "--rendezvous", rdv_addr, "--discovery-interval", "0.5",
                     "--ping-interval", "1", "--peer", "127.0.0.1:" + bob_port},
                    {"HOME=" + t.dir()}));
    ASSERT_TRUE(alice.wait_for_line(R"(^peer bob@CIC CONNECTED)", milliseconds(15000)))
        << alice.dump();

    const std::string half = "/msg alice@CIC still typing";
    t.type(half);
    ASSERT_TRUE(t.last_line_is("> " + half)) << t.screen();
    // Two keep-alive rounds print DEBUG lines while the line is half typed.
    std::size_t pongs_before = 0;
    for (const std::string& l : t.lines())
        if (l.find("[KeepAlive]") != std::string::npos) ++pongs_before;
    ASSERT_TRUE(wait_until(
        [&] {
            std::size_t n = 0;
            for (const std::string& l : t.lines())
                if (l.find("[KeepAlive]") != std::string::npos) ++n;
            return n >= pongs_before + 2;
        },
        kTimeout))
        << t.screen();
    EXPECT_TRUE(t.last_line_is("> " + half)) << t.screen();
    EXPECT_EQ(t.cursor().first, static_cast<int>(2 + half.size())) << t.screen();

    t.type(" done");
    t.key("Enter");
    ASSERT_TRUE(alice.wait_for_line(R"(^msg bob@CIC: still typing done$)", milliseconds(15000)))
        << alice.dump() << t.screen();
    t.type("/quit");
    t.key("Enter");
    EXPECT_TRUE(wait_until([&] { return t.dead(); }, kTimeout)) << t.screen();
    alice.write_line("/quit");
    EXPECT_TRUE(alice.wait_exit(milliseconds(10000)));
}

}  // namespace
