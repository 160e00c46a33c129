#include "platform/lan_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/log.h"
#include "core/log_throttle.h"
#include "platform/net.h"

namespace p2p::platform {

namespace {

constexpr const char* kModule = "LAN";

// A non-blocking, close-on-exec UDP socket bound to the wildcard address of
// `family` on `port`, shared with other nodes of this machine (SO_REUSEADDR:
// every socket bound to the port gets each multicast copy).
int bind_udp(int family, std::uint16_t port, std::string* error) {
    int fd = ::socket(family, SOCK_DGRAM, 0);
    if (fd < 0) {
        *error = std::strerror(errno);
        return -1;
    }
    int one = 1;
    int fl = ::fcntl(fd, F_GETFL);
    bool ok = fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
              ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
              ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (ok && family == AF_INET) {
        auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
        len = sizeof *sa;
        unsigned char ttl = 1;  // never past the link's first router
        ok = ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) == 0;
    } else if (ok) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(port);
        sa->sin6_addr = in6addr_any;
        len = sizeof *sa;
        int hops = 1;
        ok = ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0 &&
             ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) == 0;
    }
    if (ok) ok = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    if (!ok) {
        *error = std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

bool usable(const ifaddrs& ifa) {
    return ifa.ifa_addr && (ifa.ifa_flags & IFF_UP) && !(ifa.ifa_flags & IFF_LOOPBACK);
}

// Each interface once per family (getifaddrs lists one entry per address).
struct Seen {
    unsigned index[LanSocket::kMaxInterfaces] = {};
    std::size_t count = 0;
    bool add(unsigned ifindex) {
        for (std::size_t i = 0; i < count; ++i)
            if (index[i] == ifindex) return false;
        if (count == LanSocket::kMaxInterfaces) return false;
        index[count++] = ifindex;
        return true;
    }
};

}  // namespace

LanSocket::~LanSocket() {
    close();
}

bool LanSocket::open(const Config& config, Receive receive, std::string* error) {
    close();
    config_ = config;
    receive_ = std::move(receive);
    std::string e4, e6;
    fd4_ = bind_udp(AF_INET, config.port, &e4);
    fd6_ = bind_udp(AF_INET6, config.port, &e6);
    if (fd4_ >= 0 && !loop_.watch(fd4_, kIoRead, this)) {
        ::close(fd4_);
        fd4_ = -1;
        e4 = "cannot watch the socket";
    }
    if (fd6_ >= 0 && !loop_.watch(fd6_, kIoRead, this)) {
        ::close(fd6_);
        fd6_ = -1;
        e6 = "cannot watch the socket";
    }
    if (!is_open()) {
        *error = "udp port " + std::to_string(config.port) + ": IPv4: " + e4 + ", IPv6: " + e6;
        return false;
    }
    if (fd4_ < 0) P2P_INFO(kModule, "no IPv4 LAN discovery: %s", e4.c_str());
    if (fd6_ < 0) P2P_INFO(kModule, "no IPv6 LAN discovery: %s", e6.c_str());
    return true;
}

void LanSocket::close() {
    for (int* fd : {&fd4_, &fd6_}) {
        if (*fd < 0) continue;
        loop_.unwatch(*fd);
        ::close(*fd);
        *fd = -1;
    }
}

void LanSocket::join_group4(in_addr local) {
    ip_mreq mreq{};
    ::inet_pton(AF_INET, kLanGroupV4, &mreq.imr_multiaddr);
    mreq.imr_interface = local;
    if (::setsockopt(fd4_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0 &&
        errno != EADDRINUSE)
        P2P_DEBUG(kModule, "joining %s: %s", kLanGroupV4, std::strerror(errno));
}

void LanSocket::join_group(unsigned ifindex) {
    ipv6_mreq mreq{};
    ::inet_pton(AF_INET6, kLanGroupV6, &mreq.ipv6mr_multiaddr);
    mreq.ipv6mr_interface = ifindex;
    // Already a member (EADDRINUSE) is the usual answer after the first time.
    if (::setsockopt(fd6_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0 &&
        errno != EADDRINUSE)
        P2P_DEBUG(kModule, "joining %s on interface %u: %s", kLanGroupV6, ifindex,
                  std::strerror(errno));
}

std::size_t LanSocket::send(std::string_view datagram) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        ++send_errors_;
        P2P_WARN_LIMITED(kModule, "cannot list interfaces", "", "cannot list interfaces: %s",
                         std::strerror(errno));
        return 0;
    }
    Seen seen4, seen6;
    std::size_t sent = 0;
    auto send_to = [&](int fd, const sockaddr* to, socklen_t len, const char* name) {
        if (::sendto(fd, datagram.data(), datagram.size(), 0, to, len) ==
            static_cast<ssize_t>(datagram.size())) {
            ++sent;
            return;
        }
        ++send_errors_;
        // A fresh IPv6 address is unusable for a second or two (duplicate
        // address detection); an interface may vanish between list and send.
        P2P_DEBUG(kModule, "announcing on %s: %s", name, std::strerror(errno));
    };
    for (ifaddrs* ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!usable(*ifa)) continue;
        unsigned ifindex = ::if_nametoindex(ifa->ifa_name);
        int family = ifa->ifa_addr->sa_family;
        if (family == AF_INET && fd4_ >= 0 && (ifa->ifa_flags & IFF_MULTICAST) &&
            seen4.add(ifindex)) {
            in_addr local = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr)->sin_addr;
            join_group4(local);  // we listen on every link, whatever we announce on
            if (!config_.send_v4) continue;
            // The interface by its address: a multicast datagram with an
            // outgoing interface needs no route, so a LAN without a default
            // route (or any route but its own subnet) works.
            if (::setsockopt(fd4_, IPPROTO_IP, IP_MULTICAST_IF, &local, sizeof local) != 0) {
                ++send_errors_;
                continue;
            }
            sockaddr_in to{};
            to.sin_family = AF_INET;
            to.sin_port = htons(config_.port);
            ::inet_pton(AF_INET, kLanGroupV4, &to.sin_addr);
            send_to(fd4_, reinterpret_cast<sockaddr*>(&to), sizeof to, ifa->ifa_name);
        } else if (family == AF_INET6 && fd6_ >= 0 && (ifa->ifa_flags & IFF_MULTICAST) &&
                   seen6.add(ifindex)) {
            join_group(ifindex);  // we listen on every link, whatever we announce on
            if (!config_.send_v6) continue;
            sockaddr_in6 to{};
            to.sin6_family = AF_INET6;
            to.sin6_port = htons(config_.port);
            ::inet_pton(AF_INET6, kLanGroupV6, &to.sin6_addr);
            to.sin6_scope_id = ifindex;
            send_to(fd6_, reinterpret_cast<sockaddr*>(&to), sizeof to, ifa->ifa_name);
        }
    }
    ::freeifaddrs(list);
    return sent;
}

void LanSocket::on_io(int fd, std::uint32_t) {
    read_from(fd);
}

void LanSocket::read_from(int fd) {
    for (int i = 0; i < kMaxReadsPerWakeup && (fd == fd4_ || fd == fd6_); ++i) {
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        // MSG_TRUNC: the real length of a datagram larger than the buffer,
        // so it is refused as oversized rather than read as a cut one.
        ssize_t n = ::recvfrom(fd, buf_, kLanMaxDatagramBytes, MSG_TRUNC,
                               reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                P2P_DEBUG(kModule, "receive: %s", std::strerror(errno));
            return;
        }
        char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
        if (from.ss_family == AF_INET) {
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&from)->sin_addr, ip, sizeof ip);
        } else if (from.ss_family == AF_INET6) {
            const auto* sa6 = reinterpret_cast<sockaddr_in6*>(&from);
            ::inet_ntop(AF_INET6, &sa6->sin6_addr, ip, sizeof ip);
            // A link-local sender is dialed through the interface it was heard on.
            if (sa6->sin6_scope_id != 0 && IN6_IS_ADDR_LINKLOCAL(&sa6->sin6_addr)) {
                char name[IF_NAMESIZE] = {};
                std::size_t at = std::strlen(ip);
                if (::if_indextoname(sa6->sin6_scope_id, name))
                    std::snprintf(ip + at, sizeof ip - at, "%%%s", name);
                else
                    std::snprintf(ip + at, sizeof ip - at, "%%%u", sa6->sin6_scope_id);
            }
            // The unspecified address (a sender whose address is still
            // tentative) cannot be dialed: dropped, as "" is by the engine.
            if (IN6_IS_ADDR_UNSPECIFIED(&sa6->sin6_addr)) ip[0] = '\0';
        }
        receive_(ip, buf_, static_cast<std::size_t>(n));
    }
}

}  // namespace p2p::platform
