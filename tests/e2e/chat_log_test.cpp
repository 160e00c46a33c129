// --chat-log FILE against the real binary (issue 15, "what people expect"): two nodes
// chat and the file holds every conversation line, stamped; logrotate's rename + SIGHUP
// moves the next lines to a new file; text with terminal escapes from a peer reaches
// the file escaped; a disk that is full is said once and the chat goes on.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/node_process.h"
#include "tests/support/poll_until.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool file_has(const std::string& path, const std::string& re) {
    return poll_until([&] { return std::regex_search(file_text(path), std::regex(re)); }, 10s);
}

// A node's chat log stamp, as its log lines: local time with the offset, or Z.
const std::string kStamp =
    "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) ";

class ChatLogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        log_ = dir_.path() + "/chat.log";
        NodeConfig a;
        a.name = "alice";
        a.rendezvous_port = dead_.port();
        control_ = dir_.path() + "/control";
        a.extra_args = {"--chat-log", log_, "--control", control_};
        std::string err;
        ASSERT_TRUE(alice_.start(a, &err)) << err;
        NodeConfig b;
        b.name = "bob";
        b.rendezvous_port = dead_.port();
        b.peers = {alice_.address()};
        ASSERT_TRUE(bob_.start(b, &err)) << err;
        ASSERT_TRUE(alice_.wait_link_up("bob@CIC")) << alice_.dump();
        ASSERT_TRUE(bob_.wait_link_up("alice@CIC")) << bob_.dump();
    }

    TempDir dir_;
    DeadPort dead_;
    std::string log_;
    std::string control_;
    NodeProcess alice_, bob_;
};

TEST_F(ChatLogTest, HoldsBothSidesAndFollowsARotation) {
    ASSERT_TRUE(alice_.command("/msg bob@CIC hello bob"));
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: hello bob$")) << bob_.dump();
    ASSERT_TRUE(bob_.command("/msg alice@CIC olá alice, ação 世界"));
    ASSERT_TRUE(bob_.command("/pub #CIC to everyone"));
    EXPECT_TRUE(file_has(
        log_, "(^|\\n)" + kStamp + "msg alice@CIC -> bob@CIC: hello bob \\(([0-9a-f-]+)\\)\\n"))
        << file_text(log_);
    EXPECT_TRUE(
        file_has(log_, "\\n" + kStamp + "delivered [0-9a-f-]+ to bob@CIC \\([0-9]+ ms\\)\\n"))
        << file_text(log_);
    EXPECT_TRUE(
        file_has(log_, "\\n" + kStamp + "msg bob@CIC -> alice@CIC: olá alice, ação 世界\\n"))
        << file_text(log_);
    EXPECT_TRUE(file_has(log_, "\\n" + kStamp + "pub bob@CIC -> #CIC: to everyone\\n"))
        << file_text(log_);
    struct stat st {};
    ASSERT_EQ(::stat(log_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "a chat log is private";

    // logrotate: rename, then SIGHUP (the node is headless: a reload).
    std::string rotated = log_ + ".1";
    ASSERT_EQ(std::rename(log_.c_str(), rotated.c_str()), 0);
    ASSERT_TRUE(alice_.proc().send_signal(SIGHUP));
    ASSERT_TRUE(
        alice_.proc().wait_for_line("reopened the chat log", kEventTimeout, Stream::kStderr))
        << alice_.dump();
    ASSERT_TRUE(bob_.command("/msg alice@CIC after the rotation"));
    EXPECT_TRUE(file_has(log_, "^" + kStamp + "msg bob@CIC -> alice@CIC: after the rotation\\n"))
        << file_text(log_);
    EXPECT_EQ(file_text(rotated).find("after the rotation"), std::string::npos);
    EXPECT_NE(file_text(rotated).find("hello bob"), std::string::npos);
    ASSERT_EQ(::stat(log_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_TRUE(alice_.proc().running());
}

// What an attached client sends is the node's conversation too; a chat log deleted
// while in use is said once and made anew (the lines would vanish otherwise).
TEST_F(ChatLogTest, AttachedSendsAreLoggedAndARemovedFileIsMadeAgain) {
    ASSERT_EQ(::unlink(log_.c_str()), 0);
    Process attach;
    std::string err;
    ASSERT_TRUE(attach.start(P2PCHAT_BIN, {"attach", "-c", "/msg bob@CIC via attach", control_},
                             {"HOME=" + dir_.path()}, &err))
        << err;
    auto st = attach.wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->success()) << attach.dump();
    ASSERT_TRUE(bob_.expect("^msg alice@CIC: via attach$")) << bob_.dump();
    EXPECT_TRUE(file_has(log_, "^" + kStamp + "msg alice@CIC -> bob@CIC: via attach \\("))
        << file_text(log_) << alice_.dump();
    EXPECT_TRUE(alice_.proc().wait_for_line("the chat log .* was removed: writing a new one",
                                            kEventTimeout, Stream::kStderr))
        << alice_.dump();
    struct stat st_file {};
    ASSERT_EQ(::stat(log_.c_str(), &st_file), 0);
    EXPECT_EQ(st_file.st_mode & 0777, 0600u);
}

// A peer's text with terminal escapes (a clear-screen, a title change, a bell, a bidi
// override) is written escaped, exactly as the console shows it.
TEST_F(ChatLogTest, HostileTextIsNeutralised) {
    RawPeer mallory;
    ASSERT_TRUE(mallory.connect(alice_.port()));
    ASSERT_TRUE(mallory.hello("mallory@CIC", {"ack"})) << alice_.dump();
    ASSERT_TRUE(mallory.send_raw(make_send("h1", "mallory@CIC", "alice@CIC",
                                           "a\x1b[2J\x1b]0;owned\x07 b\r\nforged line \xe2\x80\xae"
                                           "evil")));
    auto shown = alice_.expect("^msg mallory@CIC: ");
    ASSERT_TRUE(shown) << alice_.dump();
    ASSERT_TRUE(file_has(log_, "msg mallory@CIC -> alice@CIC: ")) << file_text(log_);
    std::string text = file_text(log_);
    std::size_t at = text.find("msg mallory@CIC -> alice@CIC: ");
    std::string line = text.substr(at, text.find('\n', at) - at);
    // What the console printed after "msg mallory@CIC: " is what the file holds.
    EXPECT_EQ(line.substr(line.find(": ") + 2), shown->substr(shown->find(": ") + 2));
    for (char c : text)
        EXPECT_FALSE((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f)
            << "raw control byte " << int(c) << " in the chat log:\n"
            << text;
    EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos) << "a raw bidi override";
    EXPECT_NE(line.find("\\x1b[2J"), std::string::npos) << line;
    EXPECT_EQ(text.find("\nforged line"), std::string::npos) << text;
}

// /dev/full: every write fails with ENOSPC. Said once, and the node chats on.
TEST(ChatLogFull, ADiskThatIsFullIsSaidOnceAndTheChatGoesOn) {
    DeadPort dead;
    NodeConfig a;
    a.name = "alice";
    a.rendezvous_port = dead.port();
    a.extra_args = {"--chat-log", "/dev/full"};
    NodeProcess alice;
    std::string err;
    ASSERT_TRUE(alice.start(a, &err)) << err;
    RawPeer bob;
    ASSERT_TRUE(bob.connect(alice.port()));
    ASSERT_TRUE(bob.hello("bob@CIC", {"ack"})) << alice.dump();
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(bob.send_raw(make_send("f" + std::to_string(i), "bob@CIC", "alice@CIC",
                                           "message " + std::to_string(i))));
        ASSERT_TRUE(alice.expect("^msg bob@CIC: message " + std::to_string(i) + "$"))
            << alice.dump();
    }
    ASSERT_TRUE(alice.proc().wait_for_line("cannot write the chat log /dev/full: No space left",
                                           kEventTimeout, Stream::kStderr))
        << alice.dump();
    ASSERT_TRUE(bob.send_raw(make_ping("alive")));
    EXPECT_TRUE(bob.read_type("PONG", 5s)) << alice.dump();
    int said = 0;
    for (const std::string& l : alice.proc().lines(Stream::kStderr))
        if (l.find("cannot write the chat log") != std::string::npos) ++said;
    EXPECT_EQ(said, 1) << alice.dump();
}

TEST(ChatLogOpen, AFileThatCannotBeMadeStopsTheStartWithTheReason) {
    DeadPort dead;
    Process node;
    std::string err;
    ASSERT_TRUE(node.start(
        P2PCHAT_BIN,
        {"--name", "alice", "--namespace", "CIC", "--port", "0", "--rendezvous",
         "127.0.0.1:" + std::to_string(dead.port()), "--chat-log", "/nonexistent-dir/chat.log"},
        {}, &err))
        << err;
    auto st = node.wait_exit(kEventTimeout);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->code, 1);
    EXPECT_TRUE(node.has_line(std::regex("--chat-log /nonexistent-dir/chat.log: No such file"),
                              Stream::kStderr))
        << node.dump();
}

}  // namespace
}  // namespace p2p::test
