// Attack 7 of the hostile-input review: the rendezvous server's db file.
//
// The server rewrites its db through a temp file beside it. That temp file used to
// have a predictable name (NAME.tmp.<pid>) opened with O_CREAT|O_TRUNC, so anyone who
// could write to the directory planted a symlink there and the server overwrote the
// symlink's target with its db. These tests replay the attack against the real binary
// and check the directory rules that keep others from swapping the file itself.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/node_process.h"
#include "tests/support/tcp_client.h"

namespace p2p::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool wait_file_contains(const std::string& path, const std::string& needle,
                        std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (read_text(path).find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// Runs `p2pchat rendezvous --db db_path` expecting it to refuse to start: exits non-zero
// within seconds, saying why on stderr.
std::string expect_refused(const std::string& db_path) {
    Process proc;
    EXPECT_TRUE(
        proc.start(P2PCHAT_BIN, {"rendezvous", "--listen", "127.0.0.1:0", "--db", db_path}));
    auto status = proc.wait_exit(10s);
    EXPECT_TRUE(status) << proc.dump();
    if (status) {
        EXPECT_FALSE(status->success()) << proc.dump();
    }
    return proc.dump();
}

const std::string kRegister =
    R"({"type":"REGISTER","namespace":"CIC","name":"alice","port":7070,"ttl":60})";

TEST(Attack07_DbFile, SymlinkPlantedAtTheTempNameIsNeverFollowed) {
    TempDir db_dir, victim_dir;
    const std::string victim = victim_dir.path() + "/precious.txt";
    { std::ofstream(victim) << "precious\n"; }
    const std::string db = db_dir.path() + "/registry.json";

    RendezvousProcess rdv;
    std::string err;
    ASSERT_TRUE(rdv.start(&err, db)) << err;
    // The names the old code would have used, for this pid and its neighbours.
    const pid_t pid = rdv.proc().pid();
    for (pid_t p = pid - 2; p <= pid + 2; ++p) {
        std::string planted = db + ".tmp." + std::to_string(p);
        ASSERT_EQ(::symlink(victim.c_str(), planted.c_str()), 0) << planted;
    }

    auto reply = request_line(rdv.port(), kRegister, 5s);
    ASSERT_TRUE(reply) << rdv.dump();
    EXPECT_NE(reply->find(R"("status":"OK")"), std::string::npos) << *reply;
    ASSERT_TRUE(wait_file_contains(db, "alice", 5s)) << rdv.dump();

    EXPECT_EQ(read_text(victim), "precious\n") << "the planted symlink was followed";
    struct stat st {};
    ASSERT_EQ(::lstat(db.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the db holds addresses: private to its owner";
    // Only the db and the five planted links: no temp file left behind.
    std::size_t entries = 0;
    for (const auto& e : fs::directory_iterator(db_dir.path())) {
        (void)e;
        ++entries;
    }
    EXPECT_EQ(entries, 6u);
}

TEST(Attack07_DbFile, DirectoryWritableByOthersIsRefused) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    std::string out = expect_refused(dir.path() + "/registry.json");
    EXPECT_NE(out.find("writable by others and not sticky"), std::string::npos) << out;
}

TEST(Attack07_DbFile, StickySharedDirectoryAcceptsOnlyOurOwnRegularFile) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 01777), 0);
    const std::string db = dir.path() + "/registry.json";

    // No file yet: the server creates it (a rename, which never follows a link).
    {
        RendezvousProcess rdv;
        std::string err;
        ASSERT_TRUE(rdv.start(&err, db)) << err;
        ASSERT_TRUE(request_line(rdv.port(), kRegister, 5s));
        ASSERT_TRUE(wait_file_contains(db, "alice", 5s)) << rdv.dump();
    }
    // Our own regular file: loaded again.
    {
        RendezvousProcess rdv;
        std::string err;
        ASSERT_TRUE(rdv.start(&err, db)) << err;
    }
    // A symlink someone planted under the db's name is refused, not read or replaced.
    const std::string other = dir.path() + "/other.json";
    fs::rename(db, other);
    ASSERT_EQ(::symlink(other.c_str(), db.c_str()), 0);
    std::string out = expect_refused(db);
    EXPECT_NE(out.find("not a regular file of ours"), std::string::npos) << out;
    EXPECT_NE(read_text(other).find("alice"), std::string::npos);

    // Someone else's file (needs root to make one).
    if (::geteuid() != 0) GTEST_SKIP() << "not root: cannot make a file owned by another user";
    ASSERT_EQ(::unlink(db.c_str()), 0);
    fs::rename(other, db);
    ASSERT_EQ(::chown(db.c_str(), 65534, 65534), 0);
    out = expect_refused(db);
    EXPECT_NE(out.find("not a regular file of ours"), std::string::npos) << out;
}

}  // namespace
}  // namespace p2p::test
