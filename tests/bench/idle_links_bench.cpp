// Benchmark (not a test): what an idle link costs a p2pchat node.
//   RSS (VmRSS from /proc/<pid>/status) of a freshly started idle node, then
//   with N idle links open (default 1000), each a raw TCP peer that dialed
//   the node and completed HELLO/HELLO_OK; per-link cost = the difference / N.
//
// With --secured the node has a key and every load link is a secured link
// (docs/protocol.md §8): the peer announces `noise` and completes the Noise
// handshake (core/secure_channel.h, in this process), and the PING that
// proves the link alive goes through the channel.
//
// Usage: bench_idle_links_bench [--links N] [--secured]
#include <poll.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/secure_channel.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

using namespace p2p::test;
using namespace std::chrono_literals;

namespace {

// Every link is an fd here and one in the node (which inherits this limit).
bool raise_fd_limit(rlim_t want) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
    if (rl.rlim_cur >= want) return true;
    rl.rlim_cur = std::min(want, rl.rlim_max);
    return ::setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= want;
}

// RSS once it has stopped moving (the node may still be finishing work).
long settled_rss(pid_t pid) {
    long prev = -1, cur = rss_kib(pid);
    for (int i = 0; i < 20 && cur != prev; ++i) {
        prev = cur;
        std::this_thread::sleep_for(100ms);  // a measurement pause, not synchronisation
        cur = rss_kib(pid);
    }
    return cur;
}

// A load link's end of a secured channel, over the RawPeer's blocking socket.
struct SecuredEnd {
    std::unique_ptr<p2p::SecureChannel> ch;
    std::string queued, plain;

    bool write_out(int fd) {
        for (;;) {
            p2p::OutSlice in{queued.data(), queued.size()};
            p2p::OutSlice out[4];
            std::size_t n = ch->outbound(&in, queued.empty() ? 0 : 1, out, 4);
            if (n == 0) return true;
            std::size_t total = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (::send(fd, out[i].data, out[i].len, MSG_NOSIGNAL) != ssize_t(out[i].len))
                    return false;
                total += out[i].len;
            }
            queued.erase(0, ch->sent(total));
        }
    }
    // Reads until `done` holds (or 10 s pass).
    template <class Done>
    bool read_until(int fd, Done&& done) {
        static char buf[65537];
        for (int i = 0; i < 1000 && !done(); ++i) {
            pollfd pfd{fd, POLLIN, 0};
            if (::poll(&pfd, 1, 10'000) != 1) return false;
            ssize_t n = ::recv(fd, buf, std::min<std::size_t>(65536, ch->read_room(65536)), 0);
            if (n <= 0) return false;
            long p = ch->inbound(buf, static_cast<std::size_t>(n), 65536);
            if (p < 0) return false;
            plain.append(buf, static_cast<std::size_t>(p));
            if (!write_out(fd)) return false;
        }
        return done();
    }
    bool open(int fd, const p2p::NoiseCredentials* creds, const std::string& id) {
        ch = std::make_unique<p2p::SecureChannel>(creds);
        queued = "{\"type\":\"HELLO\",\"peer_id\":\"" + id +
                 "\",\"version\":\"1.0\",\"features\":[\"ack\",\"noise\"],\"ttl\":1}\n";
        if (!write_out(fd) || !read_until(fd, [&] { return plain.find('\n') != plain.npos; }))
            return false;
        p2p::noise::Key e;
        randombytes_buf(e.data(), e.size());
        std::string err;
        if (!ch->begin(true, e, &err) || !write_out(fd)) return false;
        plain.clear();
        return read_until(fd, [&] { return ch->secured(); });
    }
    bool ping(int fd, const std::string& id) {
        queued = make_ping(id);
        plain.clear();
        return write_out(fd) &&
               read_until(fd, [&] { return plain.find("\"" + id + "\"") != plain.npos; });
    }
};

}  // namespace

int main(int argc, char** argv) {
    int links = 1000;
    bool secured = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--links") && i + 1 < argc) links = std::atoi(argv[++i]);
        if (!std::strcmp(argv[i], "--secured")) secured = true;
    }
    if (sodium_init() < 0) return 1;
    std::uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    p2p::noise::Key static_secret;
    randombytes_buf(static_secret.data(), static_secret.size());
    const p2p::NoiseCredentials creds =
        p2p::make_credentials(p2p::identity_from_seed(seed), static_secret);
    if (!raise_fd_limit(static_cast<rlim_t>(links) * 2 + 256)) {
        std::fprintf(stderr, "cannot raise the fd limit to %d\n", links * 2 + 256);
        return 1;
    }
    DeadPort no_rendezvous;
    NodeConfig c;
    c.name = "idle";
    c.rendezvous_port = no_rendezvous.port();
    TempDir key_dir;
    // Without --secured the node has no key: it announces no `noise`, as before.
    std::vector<std::string> key_args = {"--key", key_dir.path() + "/node.key"};
    if (secured)
        c.extra_args = key_args;
    else
        c.extra_env = {"HOME=", "XDG_STATE_HOME=", "STATE_DIRECTORY="};
    std::string err;

    // A node as people run it (default --max-peers), for the idle figure.
    long idle_default = -1;
    {
        NodeProcess plain;
        if (!plain.start(c, &err)) {
            std::fprintf(stderr, "node did not start: %s\n", err.c_str());
            return 1;
        }
        idle_default = settled_rss(plain.proc().pid());
        plain.quit();
    }

    // Room for every load link: the peer table and link slots are sized at
    // start, so this node's idle RSS already holds their arenas.
    // Every load link comes from 127.0.0.1: lift the per-address caps that
    // would otherwise (rightly) stop one address from holding 1000 links.
    c.extra_args = {"--max-peers",
                    std::to_string(links + 16),
                    "--max-peers-per-address",
                    std::to_string(links + 16),
                    "--max-handshakes-per-address",
                    std::to_string(links + 16)};
    if (secured) c.extra_args.insert(c.extra_args.end(), key_args.begin(), key_args.end());
    NodeProcess node;
    if (!node.start(c, &err)) {
        std::fprintf(stderr, "node did not start: %s\n", err.c_str());
        return 1;
    }
    pid_t pid = node.proc().pid();
    long idle_sized = settled_rss(pid);

    std::vector<RawPeer> peers(static_cast<std::size_t>(links));
    std::vector<SecuredEnd> ends(secured ? peers.size() : 0);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < links; ++i) {
        RawPeer& p = peers[static_cast<std::size_t>(i)];
        std::string id = "load" + std::to_string(i) + "@CIC";
        bool up = p.connect(node.port()) &&
                  (secured ? ends[static_cast<std::size_t>(i)].open(p.fd(), &creds, id)
                           : p.hello(id, {"ack"}).has_value());
        if (!up) {
            std::fprintf(stderr, "link %d failed\n%s\n", i, node.dump().c_str());
            return 1;
        }
    }
    double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    long loaded = settled_rss(pid);

    // The figures mean something only if every link is still up: each one
    // must still answer a PING.
    for (int i = 0; i < links; ++i) {
        RawPeer& p = peers[static_cast<std::size_t>(i)];
        std::string id = "alive" + std::to_string(i);
        if (secured) {
            if (!ends[static_cast<std::size_t>(i)].ping(p.fd(), id)) {
                std::fprintf(stderr, "secured link %d no longer answers\n", i);
                return 1;
            }
            continue;
        }
        auto pong = p.send_raw(make_ping(id)) ? p.read_type("PONG", 10s) : std::nullopt;
        if (!pong || pong->str("msg_id") != id) {
            std::fprintf(stderr, "link %d no longer answers\n", i);
            return 1;
        }
    }
    std::printf("idle node RSS (default --max-peers): %ld KiB\n", idle_default);
    std::printf("idle node RSS (--max-peers %d): %ld KiB\n", links + 16, idle_sized);
    std::printf("with %d idle %slinks: %ld KiB (opened in %.2f s, all answer PING)\n", links,
                secured ? "secured " : "", loaded, open_s);
    std::printf("per idle link: %.2f KiB over the sized idle node, %.2f KiB over the default\n",
                static_cast<double>(loaded - idle_sized) / links,
                static_cast<double>(loaded - idle_default) / links);
    peers.clear();
    node.quit();
    return 0;
}
