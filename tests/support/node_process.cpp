#include "tests/support/node_process.h"
#include "tests/support/temp_path.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;

// How the programs name the port they bound when given port 0. Both the
// node and the rendezvous server say "listening on <host>:<port>" (on
// stdout as an `info` event, or in a log line on stderr).
const std::regex kListenRe("[Ll]istening on [^ ]*:([0-9]+)");

}  // namespace

TempDir::TempDir() {
    std::string templ = temp_template("p2pchat-e2e");
    if (::mkdtemp(templ.data())) path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

DeadPort::DeadPort(bool shareable) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    int one = 1;
    if (shareable) ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (shareable) {
        // A port held with SO_REUSEADDR and not listening does not keep another
        // SO_REUSEADDR socket's bind to port 0 off it: any node of a test running beside
        // this one (they all listen on --port 0) could be given it, and the server meant
        // for it then finds it taken. The kernel picks port 0 only from the ephemeral
        // range (32768 and up here), so a shareable port is chosen below it.
        std::uint32_t seed = static_cast<std::uint32_t>(::getpid()) * 2654435761u ^
                             static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(this));
        for (int attempt = 0; attempt < 200 && port_ == 0; ++attempt) {
            seed = seed * 1664525u + 1013904223u;
            std::uint16_t candidate = static_cast<std::uint16_t>(20000 + (seed >> 8) % 12000);
            sa.sin_port = htons(candidate);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) port_ = candidate;
        }
        return;
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
        port_ = ntohs(sa.sin_port);
}

DeadPort::~DeadPort() {
    if (fd_ >= 0) ::close(fd_);
}

std::string regex_escape(std::string_view text) {
    static const std::string_view kSpecial = R"(\^$.|?*+()[]{})";
    std::string out;
    for (char c : text) {
        if (kSpecial.find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::optional<std::string> wait_either_stream(Process& proc, const std::regex& re,
                                              milliseconds timeout,
                                              std::vector<std::string>* groups) {
    // Process waits on one stream at a time; alternate in short slices.
    auto deadline = Clock::now() + timeout;
    for (;;) {
        for (Stream s : {Stream::kStdout, Stream::kStderr})
            if (auto line = proc.wait_for_line(re, milliseconds(50), s, groups)) return line;
        if (Clock::now() >= deadline || !proc.running()) {
            // One last look: the line may have come just before the exit.
            for (Stream s : {Stream::kStdout, Stream::kStderr})
                if (auto line = proc.wait_for_line(re, milliseconds(0), s, groups)) return line;
            return std::nullopt;
        }
    }
}

// ---- NodeProcess --------------------------------------------------------------

std::vector<std::string> NodeProcess::args() const {
    std::vector<std::string> a = {"--name",
                                  config_.name,
                                  "--namespace",
                                  config_.ns,
                                  "--port",
                                  std::to_string(port_),
                                  "--rendezvous",
                                  "127.0.0.1:" + std::to_string(config_.rendezvous_port),
                                  "--discovery-interval",
                                  std::to_string(config_.discovery_interval_s)};
    for (const auto& p : config_.peers) {
        a.push_back("--peer");
        a.push_back(p);
    }
    if (config_.ping_interval_s > 0) {
        a.push_back("--ping-interval");
        a.push_back(std::to_string(config_.ping_interval_s));
    }
    a.insert(a.end(), config_.extra_args.begin(), config_.extra_args.end());
    return a;
}

bool NodeProcess::launch(std::string* err) {
    // HOME keeps history files out of the real one; NO_COLOR and TERM=dumb
    // make sure nothing decorates the event lines.
    // The node key goes under HOME, never the state directory of whoever runs the tests.
    std::vector<std::string> env = {"HOME=" + home_.path(),
                                    "XDG_STATE_HOME=" + home_.path() + "/state",
                                    "STATE_DIRECTORY=", "NO_COLOR=1", "TERM=dumb"};
    env.insert(env.end(), config_.extra_env.begin(), config_.extra_env.end());
    if (!proc_->start(P2PCHAT_BIN, args(), env, err)) return false;
    std::vector<std::string> groups;
    if (!wait_either_stream(*proc_, kListenRe, kEventTimeout, &groups) || groups.size() < 2) {
        if (err) *err = "node never said where it listens:\n" + proc_->dump();
        return false;
    }
    port_ = static_cast<std::uint16_t>(std::stoi(groups[1]));
    return true;
}

bool NodeProcess::start(const NodeConfig& config, std::string* err) {
    config_ = config;
    port_ = config.port;
    return launch(err);
}

bool NodeProcess::restart(std::string* err) {
    proc_->kill_now();
    proc_ = std::make_unique<Process>();
    return launch(err);  // port_ still holds the port it had: come back on it
}

std::optional<std::string> NodeProcess::expect(const std::string& re, milliseconds timeout,
                                               std::vector<std::string>* groups) {
    return proc_->wait_for_line(std::regex(re), timeout, Stream::kStdout, groups);
}

bool NodeProcess::wait_link_up(const std::string& peer_id, milliseconds timeout) {
    return expect("^link " + regex_escape(peer_id) + " up", timeout).has_value();
}

std::optional<ExitStatus> NodeProcess::quit(milliseconds timeout) {
    if (!command("/quit")) return proc_->wait_exit(milliseconds(0));
    return proc_->wait_exit(timeout);
}

// ---- RendezvousProcess --------------------------------------------------------

bool RendezvousProcess::start(std::string* err, const std::string& db_path) {
    db_path_ = db_path.empty() ? dir_.path() + "/registry.json" : db_path;
    std::vector<std::string> args = {"rendezvous", "--listen", "127.0.0.1:0", "--db", db_path_};
    if (!proc_.start(P2PCHAT_BIN, args, {}, err)) return false;
    std::vector<std::string> groups;
    if (!wait_either_stream(proc_, kListenRe, kEventTimeout, &groups) || groups.size() < 2) {
        if (err) *err = "rendezvous never said where it listens:\n" + proc_.dump();
        return false;
    }
    port_ = static_cast<std::uint16_t>(std::stoi(groups[1]));
    return true;
}

}  // namespace p2p::test
