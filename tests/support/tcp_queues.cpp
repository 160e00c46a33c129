#include "tests/support/tcp_queues.h"
#include "tests/support/poll_until.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace p2p::test {

namespace {

constexpr unsigned kEstablished = 0x01;
constexpr unsigned kCloseWait = 0x08;
constexpr unsigned kListen = 0x0A;

// local ip, local port, remote ip, remote port
using Endpoints = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>;

struct TcpRow {
    std::uint32_t local_ip = 0, remote_ip = 0;  // as the kernel prints them (network order)
    std::uint16_t local_port = 0, remote_port = 0;
    unsigned state = 0;
    unsigned long rx_queue = 0;  // unread bytes, or a listener's accept backlog
};

// The rows of /proc/net/tcp: "sl local rem st tx_queue:rx_queue ...", with
// addresses as %08X:%04X of the raw (network order) address and host-order port.
std::vector<TcpRow> tcp_rows() {
    std::vector<TcpRow> rows;
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        TcpRow r;
        unsigned lport = 0, rport = 0;
        unsigned long tx = 0;
        if (std::sscanf(line.c_str(), " %*u: %8X:%4X %8X:%4X %2X %8lX:%8lX", &r.local_ip, &lport,
                        &r.remote_ip, &rport, &r.state, &tx, &r.rx_queue) != 7)
            continue;
        r.local_port = static_cast<std::uint16_t>(lport);
        r.remote_port = static_cast<std::uint16_t>(rport);
        rows.push_back(r);
    }
    return rows;
}

}  // namespace

bool wait_peer_read_all(int fd, std::chrono::milliseconds timeout) {
    return wait_peers_read_all({fd}, timeout);
}

bool wait_peers_read_all(const std::vector<int>& fds, std::chrono::milliseconds timeout) {
    struct Pending {
        int fd;
        Endpoints peer_socket;  // the other end's view: local = our remote
    };
    std::vector<Pending> pending;
    for (int fd : fds) {
        sockaddr_in self{}, peer{};
        socklen_t len = sizeof self;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) != 0) return false;
        len = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
            if (errno == ENOTCONN) continue;  // reset by the peer: done with it
            return false;
        }
        pending.push_back({fd,
                           {peer.sin_addr.s_addr, ntohs(peer.sin_port), self.sin_addr.s_addr,
                            ntohs(self.sin_port)}});
    }
    return poll_until(
        [&] {
            std::map<Endpoints, TcpRow> rows;
            for (const TcpRow& r : tcp_rows())
                rows[{r.local_ip, r.local_port, r.remote_ip, r.remote_port}] = r;
            std::erase_if(pending, [&](const Pending& p) {
                int unacked = 0;
                if (::ioctl(p.fd, SIOCOUTQ, &unacked) == 0 && unacked != 0) return false;
                auto it = rows.find(p.peer_socket);
                // Gone (acknowledged, so it existed: closed since), closing, or read.
                return it == rows.end() || it->second.state != kEstablished ||
                       it->second.rx_queue == 0;
            });
            return pending.empty();
        },
        timeout, std::chrono::milliseconds(5));
}

bool wait_accepted(std::uint16_t port, int connections, std::chrono::milliseconds timeout) {
    return poll_until(
        [&] {
            // The test's listener is on 127.0.0.1 or 0.0.0.0. Another test may hold the
            // same port number on another loopback address (127.0.1.x sources bind port 0
            // per address), so only connections the listener can own are counted.
            const std::uint32_t loopback = htonl(INADDR_LOOPBACK);
            std::vector<TcpRow> rows = tcp_rows();
            std::optional<unsigned long> backlog;
            bool any_address = false;
            for (const TcpRow& r : rows) {
                if (r.local_port != port || r.state != kListen) continue;
                if (r.local_ip != 0 && r.local_ip != loopback) continue;
                backlog = r.rx_queue;
                any_address = r.local_ip == 0;
            }
            int seen = 0;
            for (const TcpRow& r : rows) {
                if (r.local_port != port || r.state == kListen) continue;
                if (!any_address && r.local_ip != loopback) continue;
                ++seen;  // accepted or queued; closed by the program: FIN_WAIT
            }
            return backlog && *backlog == 0 && seen >= connections;
        },
        timeout, std::chrono::milliseconds(5));
}

bool wait_closes_handled(std::uint16_t port, std::chrono::milliseconds timeout) {
    return poll_until(
        [&] {
            for (const TcpRow& r : tcp_rows())
                if (r.local_port == port && r.state == kCloseWait) return false;
            return true;
        },
        timeout, std::chrono::milliseconds(5));
}

}  // namespace p2p::test
