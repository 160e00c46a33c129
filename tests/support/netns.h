// Network namespaces for tests that must cross a real NAT: build a topology
// with `ip` and `nft`, start programs inside it, probe who can reach whom,
// and tear all of it down again.
//
// Every namespace a Netns creates is named "p2pnat-<pid>-<seq>-<short>", so
// parallel test runs (and several topologies in one run) never collide, and
// leftovers of a run that was SIGKILLed can be recognised by their dead pid
// and swept by the next run. Interfaces are created directly inside the
// namespaces (never in the host's), addresses are private test ranges that
// exist only inside them, and nothing is ever routed to the host.
//
// Teardown (the destructor, or teardown()) runs even when a test assertion
// failed: it kills every process started with exec_in(), then anything else
// still running in one of our namespaces (`ip netns pids`), then deletes the
// namespaces, which removes their veths with them.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace p2p::test {

// "" when this machine can build namespaces (root, `ip` and `nft` found, and
// a probe namespace could be created and deleted); otherwise why not, for a
// GTEST_SKIP message. Probed once per process.
const std::string& netns_unavailable_reason();

// Absolute path of a system tool (searched in PATH, then /usr/sbin, /sbin),
// "" if absent.
std::string find_tool(const std::string& name);

// What a TCP connect attempt from inside a namespace ended with.
enum class Reach { kConnected, kRefused, kUnreachable, kTimedOut, kError };
const char* to_string(Reach r);

class Netns {
  public:
    Netns();
    ~Netns();  // teardown()
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;

    // Creates namespace `short_name` (loopback up). False with *err on failure.
    bool add(const std::string& short_name, std::string* err);
    // Full name of a namespace created by add() (for `ip netns exec`).
    std::string name(const std::string& short_name) const;
    const std::vector<std::string>& names() const { return names_; }

    // A veth pair: `if_a` in namespace `a` with address `cidr_a`
    // ("10.200.1.1/24"), `if_b` in `b` with `cidr_b`, both up.
    bool veth(const std::string& a, const std::string& if_a, const std::string& cidr_a,
              const std::string& b, const std::string& if_b, const std::string& cidr_b,
              std::string* err);
    bool default_route(const std::string& ns, const std::string& via, std::string* err);
    bool enable_forwarding(const std::string& ns, std::string* err);
    // Makes `ns` a home router: masquerade what leaves through `wan`, and
    // forward only connections that started from `lan` towards `wan` (plus
    // their replies). Nothing from outside can open a connection inwards.
    bool nat_router(const std::string& ns, const std::string& wan, const std::string& lan,
                    std::string* err);

    // Starts `program args...` inside namespace `ns` (`ip netns exec`, which
    // execs in place, so the Process's pid is the program's). The Process is
    // owned here and killed at teardown; nullptr with *err on failure.
    Process* exec_in(const std::string& ns, const std::string& program,
                     const std::vector<std::string>& args, const std::vector<std::string>& env,
                     std::string* err);

    // A socket created inside namespace `ns` (it stays in that namespace for
    // its whole life, whatever thread uses it). -1 on failure.
    int socket_in(const std::string& ns, int domain, int type);
    // Tries a TCP connect from inside `ns` to ip:port, waiting at most
    // `timeout` (refusals and ICMP errors come back at once).
    Reach probe_tcp(const std::string& ns, const std::string& ip, std::uint16_t port,
                    std::chrono::milliseconds timeout);
    // A listening TCP socket inside `ns` on ip:port (port 0: ephemeral; the
    // chosen port in *port). Closed at teardown. -1 on failure.
    int listen_in(const std::string& ns, const std::string& ip, std::uint16_t* port);

    // Runs `ip args...` (or any tool) to completion; false with *err (its
    // stderr) on a non-zero exit.
    bool run(const std::string& program, const std::vector<std::string>& args, std::string* err,
             const std::string& stdin_text = "");

    // Kills, deletes, verifies. Idempotent. False (with *err) if a namespace
    // of ours is still listed afterwards.
    bool teardown(std::string* err = nullptr);

    // The namespaces `ip netns list` shows whose name starts with `prefix`.
    static std::vector<std::string> listed(const std::string& prefix);
    // This instance's name prefix, "p2pnat-<pid>-<seq>-".
    const std::string& prefix() const { return prefix_; }
    // Deletes namespaces left behind by runs whose process no longer exists
    // (killed before their teardown could run). Returns how many it removed.
    static int sweep_dead_runs();

  private:
    bool kill_all_inside(std::string* err);

    std::string prefix_;
    std::vector<std::string> names_;  // full names, creation order
    std::vector<std::unique_ptr<Process>> procs_;
    std::vector<int> fds_;
    std::string ip_;
    std::string nft_;
};

// The NAT topology of the relay tests, built on a Netns:
//
//        A 10.200.1.2 ──lan── RA ──wan 10.200.10.2 ─┐
//                                                    pub 10.200.10.1 / 10.200.20.1
//        B 10.200.2.2 ──lan── RB ──wan 10.200.20.2 ─┘   (rendezvous, relay)
//
// RA and RB masquerade their private side and let no connection in; pub
// routes between the two routers' public addresses, like the internet. So
// A and B can dial anything on the public side, and nobody can dial A or B:
// not pub, and not each other (neither by private address, which pub has no
// route to, nor by the router's public address, where nothing listens).
struct NatTopology {
    static constexpr const char* kPub = "pub";
    static constexpr const char* kRouterA = "ra";
    static constexpr const char* kRouterB = "rb";
    static constexpr const char* kA = "a";
    static constexpr const char* kB = "b";
    static constexpr const char* kPubIp = "10.200.10.1";  // the public servers' address
    static constexpr const char* kRouterAPublicIp = "10.200.10.2";
    static constexpr const char* kRouterBPublicIp = "10.200.20.2";
    static constexpr const char* kAIp = "10.200.1.2";
    static constexpr const char* kBIp = "10.200.2.2";

    // Builds it inside `net` (which must be fresh). False with *err.
    static bool build(Netns& net, std::string* err);
};

}  // namespace p2p::test
