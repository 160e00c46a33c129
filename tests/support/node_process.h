// Real p2pchat processes for black-box tests: a chat node driven through its
// stdin/stdout console (the contract in docs/shell.md "Output": one command per
// line in, one event per line out) and a rendezvous server, both on
// ephemeral loopback ports. Built on Process (tests/support/process.h).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.h"

namespace p2p::test {

using std::chrono::milliseconds;

// Generous defaults: a loaded 2-core machine runs several nodes at once.
inline constexpr milliseconds kEventTimeout{15000};

// A private directory removed (recursively) on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// A 127.0.0.1 port that refuses every connection for as long as this lives
// (bound, never listening): a rendezvous address that is certainly dead,
// which no parallel test can take over.
class DeadPort {
  public:
    // `shareable`: bound with SO_REUSEADDR, so a server (a node, whose listener sets
    // it too) can later listen on this very port while it is still held: the dead
    // address comes alive with no moment in which another process could take it.
    explicit DeadPort(bool shareable = false);
    ~DeadPort();
    DeadPort(const DeadPort&) = delete;
    DeadPort& operator=(const DeadPort&) = delete;
    std::uint16_t port() const { return port_; }
    // Gives up the bound socket (the caller closes it), still holding the
    // port: a server can then listen on it (FakeRendezvous), so the dead
    // address comes alive without another test taking it meanwhile.
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// Escapes regex metacharacters so a peer_id or text can sit in a pattern.
std::string regex_escape(std::string_view text);

struct NodeConfig {
    std::string name;
    std::string ns = "CIC";
    std::uint16_t port = 0;             // 0: the node picks one and prints it
    std::uint16_t rendezvous_port = 0;  // required: a live server or a DeadPort
    std::vector<std::string> peers;     // --peer HOST:PORT (static peers)
    int ping_interval_s = 0;            // --ping-interval when > 0
    int discovery_interval_s = 1;       // --discovery-interval (fast meshing in tests)
    std::vector<std::string> extra_args;
    std::vector<std::string> extra_env;  // "KEY=VALUE", after the defaults
};

class NodeProcess {
  public:
    NodeProcess() = default;
    NodeProcess(const NodeProcess&) = delete;
    NodeProcess& operator=(const NodeProcess&) = delete;

    // Starts the node and waits for the line announcing its listen port.
    bool start(const NodeConfig& config, std::string* err = nullptr);
    // Starts it again with the same config (and, if it had picked one, the
    // same port): a node returning after a crash.
    bool restart(std::string* err = nullptr);

    std::string peer_id() const { return config_.name + "@" + config_.ns; }
    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    // The current incarnation (a new one after restart()).
    Process& proc() { return *proc_; }

    bool command(std::string_view line) { return proc_->write_line(line); }
    // Next stdout line (after the previous match) matching `re`.
    std::optional<std::string> expect(const std::string& re, milliseconds timeout = kEventTimeout,
                                      std::vector<std::string>* groups = nullptr);
    // True if any stdout line so far matches (the cursor is ignored).
    bool saw(const std::string& re) { return proc_->has_line(std::regex(re)); }
    // Waits for `link <peer_id> up ...`.
    bool wait_link_up(const std::string& peer_id, milliseconds timeout = kEventTimeout);
    // Sends /quit and waits for the process to exit.
    std::optional<ExitStatus> quit(milliseconds timeout = kEventTimeout);
    std::string dump() { return proc_->dump(); }

  private:
    std::vector<std::string> args() const;
    bool launch(std::string* err);

    NodeConfig config_;
    std::uint16_t port_ = 0;
    TempDir home_;  // HOME for history files and such, private to this node
    std::unique_ptr<Process> proc_ = std::make_unique<Process>();
};

class RendezvousProcess {
  public:
    // `p2pchat rendezvous --listen 127.0.0.1:0 --db <tmp>/registry.json` (or `db_path`);
    // waits for the line that names the chosen port.
    bool start(std::string* err = nullptr, const std::string& db_path = "");
    std::uint16_t port() const { return port_; }
    const std::string& db_path() const { return db_path_; }
    Process& proc() { return proc_; }
    std::string dump() { return proc_.dump(); }

  private:
    std::uint16_t port_ = 0;
    TempDir dir_;
    std::string db_path_;
    Process proc_;
};

// Waits for a line matching `re` on stdout or stderr (whichever shows it
// first); a process may report its listen address in either.
std::optional<std::string> wait_either_stream(Process& proc, const std::regex& re,
                                              milliseconds timeout,
                                              std::vector<std::string>* groups);

}  // namespace p2p::test
