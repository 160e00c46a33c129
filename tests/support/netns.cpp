#include "tests/support/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kFamilyPrefix = "p2pnat-";
constexpr milliseconds kToolTimeout{10000};

// Runs a tool to completion; its stderr becomes *err on failure.
bool run_tool(const std::string& program, const std::vector<std::string>& args, std::string* err,
              const std::string& stdin_text = "", std::vector<std::string>* out = nullptr) {
    std::string command = program;
    for (const auto& a : args)
        command += " " + a;
    if (program.empty()) {
        if (err) *err = "tool not found for: " + command;
        return false;
    }
    Process p;
    std::string start_err;
    if (!p.start(program, args, {}, &start_err)) {
        if (err) *err = command + ": " + start_err;
        return false;
    }
    if (!stdin_text.empty()) p.write_stdin(stdin_text);
    p.close_stdin();
    auto status = p.wait_exit(kToolTimeout);
    if (!status) {
        p.kill_now();
        if (err) *err = command + ": still running after 10 s";
        return false;
    }
    if (out) *out = p.lines(Stream::kStdout);
    if (!status->success()) {
        if (err) {
            *err = command + ": exit " + std::to_string(status->code);
            for (const auto& l : p.lines(Stream::kStderr))
                *err += "\n  " + l;
        }
        return false;
    }
    return true;
}

// Switches the calling thread into a namespace for the lifetime of the guard.
// Only this thread moves; sockets created meanwhile stay in that namespace.
class EnterNetns {
  public:
    explicit EnterNetns(const std::string& full_name) {
        home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int target = ::open(("/run/netns/" + full_name).c_str(), O_RDONLY | O_CLOEXEC);
        if (home_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0) entered_ = true;
        if (target >= 0) ::close(target);
    }
    ~EnterNetns() {
        if (entered_ && ::setns(home_, CLONE_NEWNET) != 0) {
            // The thread would keep running in a test namespace and every later
            // socket would land there: there is no sane way to continue.
            std::fprintf(stderr, "netns: cannot return to the original namespace: %s\n",
                         std::strerror(errno));
            std::abort();
        }
        if (home_ >= 0) ::close(home_);
    }
    EnterNetns(const EnterNetns&) = delete;
    EnterNetns& operator=(const EnterNetns&) = delete;
    bool ok() const { return entered_; }

  private:
    int home_ = -1;
    bool entered_ = false;
};

std::vector<pid_t> pids_inside(const std::string& ip, const std::string& full_name) {
    std::vector<std::string> out;
    std::vector<pid_t> pids;
    if (!run_tool(ip, {"netns", "pids", full_name}, nullptr, "", &out)) return pids;
    for (const auto& l : out)
        if (!l.empty()) pids.push_back(static_cast<pid_t>(std::strtol(l.c_str(), nullptr, 10)));
    return pids;
}

// SIGKILLs everything in the namespace and waits (bounded) until it is empty.
bool empty_namespace(const std::string& ip, const std::string& full_name, std::string* err) {
    auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
        auto pids = pids_inside(ip, full_name);
        if (pids.empty()) return true;
        for (pid_t pid : pids)
            if (pid > 1 && pid != ::getpid()) ::kill(pid, SIGKILL);
        if (Clock::now() >= deadline) {
            if (err) *err += "processes still inside " + full_name + "\n";
            return false;
        }
        std::this_thread::sleep_for(milliseconds(10));
    }
}

bool pid_alive(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

}  // namespace

std::string find_tool(const std::string& name) {
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string dir;
        while (std::getline(ss, dir, ':'))
            if (!dir.empty()) dirs.push_back(dir);
    }
    for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
        dirs.emplace_back(d);
    for (const auto& dir : dirs) {
        std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

const char* to_string(Reach r) {
    switch (r) {
        case Reach::kConnected:
            return "connected";
        case Reach::kRefused:
            return "refused";
        case Reach::kUnreachable:
            return "unreachable";
        case Reach::kTimedOut:
            return "timed out";
        case Reach::kError:
            return "error";
    }
    return "?";
}

const std::string& netns_unavailable_reason() {
    static const std::string reason = [] {
        if (::geteuid() != 0) return std::string("needs root to create network namespaces");
        std::string ip = find_tool("ip"), nft = find_tool("nft");
        if (ip.empty()) return std::string("the `ip` tool (iproute2) is not installed");
        if (nft.empty()) return std::string("the `nft` tool (nftables) is not installed");
        Netns::sweep_dead_runs();
        // Root in a container may still lack CAP_SYS_ADMIN or nf_tables: try it.
        std::string probe = std::string(kFamilyPrefix) + std::to_string(::getpid()) + "-probe";
        std::string err;
        bool ok = run_tool(ip, {"netns", "add", probe}, &err) &&
                  run_tool(ip, {"netns", "exec", probe, nft, "add", "table", "ip", "probe"}, &err);
        run_tool(ip, {"netns", "del", probe}, nullptr);
        if (!ok) return "cannot create network namespaces with nftables here: " + err;
        return std::string();
    }();
    return reason;
}

Netns::Netns() : ip_(find_tool("ip")), nft_(find_tool("nft")) {
    static std::atomic<int> seq{0};
    prefix_ = std::string(kFamilyPrefix) + std::to_string(::getpid()) + "-" +
              std::to_string(seq.fetch_add(1)) + "-";
    static std::once_flag swept;
    std::call_once(swept, [] { sweep_dead_runs(); });
}

Netns::~Netns() {
    teardown();
}

std::string Netns::name(const std::string& short_name) const {
    return prefix_ + short_name;
}

bool Netns::run(const std::string& program, const std::vector<std::string>& args, std::string* err,
                const std::string& stdin_text) {
    return run_tool(program, args, err, stdin_text);
}

bool Netns::add(const std::string& short_name, std::string* err) {
    std::string full = name(short_name);
    if (!run_tool(ip_, {"netns", "add", full}, err)) return false;
    names_.push_back(full);
    return run_tool(ip_, {"-n", full, "link", "set", "lo", "up"}, err);
}

bool Netns::veth(const std::string& a, const std::string& if_a, const std::string& cidr_a,
                 const std::string& b, const std::string& if_b, const std::string& cidr_b,
                 std::string* err) {
    // Created inside `a` with its peer placed straight into `b`: the host's
    // namespace never sees either name, so parallel runs cannot clash.
    std::string na = name(a), nb = name(b);
    return run_tool(
               ip_,
               {"-n", na, "link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", nb},
               err) &&
           run_tool(ip_, {"-n", na, "addr", "add", cidr_a, "dev", if_a}, err) &&
           run_tool(ip_, {"-n", nb, "addr", "add", cidr_b, "dev", if_b}, err) &&
           run_tool(ip_, {"-n", na, "link", "set", if_a, "up"}, err) &&
           run_tool(ip_, {"-n", nb, "link", "set", if_b, "up"}, err);
}

bool Netns::default_route(const std::string& ns, const std::string& via, std::string* err) {
    return run_tool(ip_, {"-n", name(ns), "route", "add", "default", "via", via}, err);
}

bool Netns::enable_forwarding(const std::string& ns, std::string* err) {
    // /proc/sys/net belongs to the namespace of the thread that opens it.
    EnterNetns inside(name(ns));
    if (!inside.ok()) {
        if (err) *err = "cannot enter namespace " + name(ns) + ": " + std::strerror(errno);
        return false;
    }
    int fd = ::open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && ::write(fd, "1\n", 2) == 2;
    if (fd >= 0) ::close(fd);
    if (!ok && err) *err = "cannot enable ip_forward in " + name(ns) + ": " + std::strerror(errno);
    return ok;
}

bool Netns::nat_router(const std::string& ns, const std::string& wan, const std::string& lan,
                       std::string* err) {
    std::string rules =
        "table ip p2pnat {\n"
        "  chain nat_out {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        "    oifname \"" +
        wan +
        "\" masquerade\n"
        "  }\n"
        "  chain filter_fwd {\n"
        "    type filter hook forward priority filter; policy drop;\n"
        "    ct state established,related accept\n"
        "    iifname \"" +
        lan + "\" oifname \"" + wan +
        "\" accept\n"
        "  }\n"
        "}\n";
    return enable_forwarding(ns, err) &&
           run_tool(ip_, {"netns", "exec", name(ns), nft_, "-f", "-"}, err, rules);
}

Process* Netns::exec_in(const std::string& ns, const std::string& program,
                        const std::vector<std::string>& args, const std::vector<std::string>& env,
                        std::string* err) {
    std::vector<std::string> full = {"netns", "exec", name(ns), program};
    full.insert(full.end(), args.begin(), args.end());
    auto proc = std::make_unique<Process>();
    if (!proc->start(ip_, full, env, err)) return nullptr;
    procs_.push_back(std::move(proc));
    return procs_.back().get();
}

int Netns::socket_in(const std::string& ns, int domain, int type) {
    EnterNetns inside(name(ns));
    if (!inside.ok()) return -1;
    return ::socket(domain, type | SOCK_CLOEXEC, 0);
}

Reach Netns::probe_tcp(const std::string& ns, const std::string& ip, std::uint16_t port,
                       std::chrono::milliseconds timeout) {
    int fd = socket_in(ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    if (fd < 0) return Reach::kError;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
        ::close(fd);
        return Reach::kError;
    }
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    int code = rc == 0 ? 0 : errno;
    if (code == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int r;
        do {
            r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            ::close(fd);
            return Reach::kTimedOut;
        }
        socklen_t len = sizeof code;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &len) != 0) code = errno;
    }
    ::close(fd);
    switch (code) {
        case 0:
            return Reach::kConnected;
        case ECONNREFUSED:
            return Reach::kRefused;
        case EHOSTUNREACH:
        case ENETUNREACH:
            return Reach::kUnreachable;
        case ETIMEDOUT:
            return Reach::kTimedOut;
        default:
            return Reach::kError;
    }
}

int Netns::listen_in(const std::string& ns, const std::string& ip, std::uint16_t* port) {
    int fd = socket_in(ns, AF_INET, SOCK_STREAM);
    if (fd < 0) return -1;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(*port);
    socklen_t len = sizeof sa;
    if (::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        ::close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    fds_.push_back(fd);
    return fd;
}

bool Netns::kill_all_inside(std::string* err) {
    for (auto& p : procs_)
        p->kill_now();
    procs_.clear();
    bool ok = true;
    // Whatever those processes started (or anything else) would keep the
    // namespace alive after `ip netns del`.
    for (const auto& n : names_)
        ok = empty_namespace(ip_, n, err) && ok;
    return ok;
}

bool Netns::teardown(std::string* err) {
    for (int fd : fds_)
        ::close(fd);
    fds_.clear();
    std::string why;
    bool ok = kill_all_inside(&why);
    for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
        std::string e;
        if (!run_tool(ip_, {"netns", "del", *it}, &e)) {
            ok = false;
            why += e + "\n";
        }
    }
    names_.clear();
    auto left = listed(prefix_);
    for (const auto& n : left) {
        ok = false;
        why += "still listed: " + n + "\n";
    }
    if (err) *err = why;
    return ok;
}

std::vector<std::string> Netns::listed(const std::string& prefix) {
    std::vector<std::string> out, names;
    if (!run_tool(find_tool("ip"), {"netns", "list"}, nullptr, "", &out)) return names;
    for (const auto& line : out) {
        std::string n = line.substr(0, line.find(' '));  // "name (id: 3)"
        if (n.rfind(prefix, 0) == 0) names.push_back(n);
    }
    return names;
}

int Netns::sweep_dead_runs() {
    std::string ip = find_tool("ip");
    int removed = 0;
    for (const auto& n : listed(kFamilyPrefix)) {
        // "p2pnat-<pid>-...": the run that made it is gone iff <pid> is.
        char* end = nullptr;
        long pid = std::strtol(n.c_str() + std::strlen(kFamilyPrefix), &end, 10);
        if (pid <= 0 || !end || *end != '-' || pid_alive(static_cast<pid_t>(pid))) continue;
        empty_namespace(ip, n, nullptr);
        if (run_tool(ip, {"netns", "del", n}, nullptr)) ++removed;
    }
    return removed;
}

bool NatTopology::build(Netns& net, std::string* err) {
    for (const char* ns : {kPub, kRouterA, kRouterB, kA, kB})
        if (!net.add(ns, err)) return false;
    return net.veth(kRouterA, "wan", std::string(kRouterAPublicIp) + "/30", kPub, "ra0",
                    std::string(kPubIp) + "/30", err) &&
           net.veth(kRouterB, "wan", std::string(kRouterBPublicIp) + "/30", kPub, "rb0",
                    "10.200.20.1/30", err) &&
           net.veth(kRouterA, "lan", "10.200.1.1/24", kA, "eth0", std::string(kAIp) + "/24", err) &&
           net.veth(kRouterB, "lan", "10.200.2.1/24", kB, "eth0", std::string(kBIp) + "/24", err) &&
           net.default_route(kRouterA, kPubIp, err) &&
           net.default_route(kRouterB, "10.200.20.1", err) &&
           net.default_route(kA, "10.200.1.1", err) && net.default_route(kB, "10.200.2.1", err) &&
           // pub routes between the routers' public addresses, as the internet does.
           net.enable_forwarding(kPub, err) && net.nat_router(kRouterA, "wan", "lan", err) &&
           net.nat_router(kRouterB, "wan", "lan", err);
}

}  // namespace p2p::test
