#include "tests/support/legacy_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "rapidjson/document.h"
#include "tests/support/raw_peer.h"

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;

// Deployed peers read with one recv() of this size and look at its first line.
constexpr std::size_t kRecvBytes = 65536;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

std::string member_str(const rapidjson::Document& doc, const char* key) {
    if (!doc.HasMember(key) || !doc[key].IsString()) return {};
    return std::string(doc[key].GetString(), doc[key].GetStringLength());
}

}  // namespace

int LegacyState::count_type(std::string_view type) const {
    return static_cast<int>(std::count_if(received.begin(), received.end(),
                                          [&](const LegacyReceived& r) { return r.type == type; }));
}

std::vector<std::string> LegacyState::send_payloads() const {
    std::vector<std::string> out;
    for (const auto& r : received)
        if (r.type == "SEND") out.push_back(r.payload);
    return out;
}

LegacyPeer::LegacyPeer(LegacyPeerOptions options) : opt_(std::move(options)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    thread_ = std::thread([this] { run(); });
}

LegacyPeer::~LegacyPeer() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
    thread_.join();
    for (auto& link : links_)
        if (link.fd >= 0) ::close(link.fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    for (int fd : wake_)
        if (fd >= 0) ::close(fd);
}

bool LegacyPeer::listen() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        ::close(fd);
        return false;
    }
    {
        std::lock_guard lock(mu_);
        listen_fd_ = fd;
        port_ = ntohs(sa.sin_port);
    }
    (void)!::write(wake_[1], "x", 1);
    return true;
}

bool LegacyPeer::dial(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in sa = loopback(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return false;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    {
        std::lock_guard lock(mu_);
        Link link;
        link.fd = fd;
        link.dialed = true;
        link.index = static_cast<int>(links_.size());
        link.next_ping = Clock::now() + opt_.ping_interval;
        links_.push_back(std::move(link));
        ++state_.open_links;
        write_locked(links_.back(), make_hello("HELLO", opt_.peer_id, opt_.features));
    }
    (void)!::write(wake_[1], "x", 1);
    return true;
}

std::string LegacyPeer::send_message(std::string_view dst, std::string_view text) {
    std::lock_guard lock(mu_);
    Link* link = newest_open_locked();
    if (!link) return {};
    std::string id = new_msg_id();
    // Deployed peers put an epoch timestamp in their SENDs too.
    std::string line = "{\"type\":\"SEND\",\"msg_id\":" + json_quote(id) +
                       ",\"src\":" + json_quote(opt_.peer_id) + ",\"dst\":" + json_quote(dst) +
                       ",\"payload\":" + json_quote(text) +
                       ",\"require_ack\":true,\"timestamp\":" + timestamp() + ",\"ttl\":1}\n";
    if (!write_locked(*link, line)) return {};
    state_.sends_written.push_back(id);
    pending_.push_back(Pending{id, line, link->index, Clock::now(), 0});
    return id;
}

std::string LegacyPeer::publish(std::string_view bare_namespace, std::string_view text) {
    std::lock_guard lock(mu_);
    Link* link = newest_open_locked();
    if (!link) return {};
    std::string id = new_msg_id();
    std::string line = "{\"type\":\"PUB\",\"msg_id\":" + json_quote(id) +
                       ",\"src\":" + json_quote(opt_.peer_id) +
                       ",\"dst\":" + json_quote(bare_namespace) +
                       ",\"payload\":" + json_quote(text) + ",\"require_ack\":false,\"ttl\":1}\n";
    return write_locked(*link, line) ? id : std::string();
}

bool LegacyPeer::write_raw(std::string_view bytes) {
    std::lock_guard lock(mu_);
    Link* link = newest_open_locked();
    return link && write_locked(*link, std::string(bytes));
}

void LegacyPeer::drop_links() {
    std::lock_guard lock(mu_);
    for (auto& link : links_)
        if (link.fd >= 0) close_link(link, "dropped by the test");
    cv_.notify_all();
}

bool LegacyPeer::wait_until(const std::function<bool(const LegacyState&)>& pred,
                            milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(state_); });
}

LegacyState LegacyPeer::snapshot() {
    std::lock_guard lock(mu_);
    return state_;
}

LegacyPeer::Link* LegacyPeer::newest_open_locked() {
    for (auto it = links_.rbegin(); it != links_.rend(); ++it)
        if (it->fd >= 0) return &*it;
    return nullptr;
}

bool LegacyPeer::write_locked(Link& link, const std::string& line) {
    if (link.fd < 0) return false;
    // One message, one send(): this peer never coalesces either.
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::send(link.fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close_link(link, "write failed");
            return false;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void LegacyPeer::close_link(Link& link, const std::string& why) {
    if (link.fd < 0) return;
    ::close(link.fd);
    link.fd = -1;
    --state_.open_links;
    state_.closes.push_back(std::to_string(link.index) + ": " + why);
}

std::string LegacyPeer::timestamp() const {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    char buf[64];
    if (opt_.iso_timestamps) {
        tm utc{};
        ::gmtime_r(&ts.tv_sec, &utc);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
        std::snprintf(buf, sizeof buf, "\"%s.%06ld+00:00\"", date, ts.tv_nsec / 1000);
    } else {
        std::snprintf(buf, sizeof buf, "%lld.%06ld", static_cast<long long>(ts.tv_sec),
                      ts.tv_nsec / 1000);
    }
    return buf;
}

std::string LegacyPeer::new_msg_id() {
    // uuid4-shaped and unique across every LegacyPeer of the process and across
    // runs, so a node's seen-msg_id cache never swallows a fresh message.
    static std::atomic<std::uint64_t> counter{0};
    static const auto start = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
    std::uint64_t n = ++counter;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx",
                  static_cast<unsigned>(::getpid()), static_cast<unsigned>(n >> 24 & 0xffff),
                  static_cast<unsigned>(n >> 12 & 0xfff), static_cast<unsigned>(n & 0xfff),
                  static_cast<unsigned long long>(start & 0xffffffffffffull));
    return buf;
}

void LegacyPeer::run() {
    std::vector<pollfd> fds;
    std::vector<int> which;  // link index per pollfd; -1 wake pipe, -2 listener
    for (;;) {
        fds.clear();
        which.clear();
        {
            std::lock_guard lock(mu_);
            if (stop_) return;
            fds.push_back({wake_[0], POLLIN, 0});
            which.push_back(-1);
            if (listen_fd_ >= 0) {
                fds.push_back({listen_fd_, POLLIN, 0});
                which.push_back(-2);
            }
            for (const auto& link : links_) {
                if (link.fd < 0) continue;
                fds.push_back({link.fd, POLLIN, 0});
                which.push_back(link.index);
            }
        }
        // A short tick drives retransmissions and pings; precision is not the point.
        ::poll(fds.data(), fds.size(), 20);
        std::lock_guard lock(mu_);
        if (stop_) return;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (which[i] == -1) {
                char drain[64];
                while (::read(wake_[0], drain, sizeof drain) > 0) {
                }
            } else if (which[i] == -2) {
                int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0) continue;
                int one = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                Link link;
                link.fd = fd;
                link.index = static_cast<int>(links_.size());
                links_.push_back(std::move(link));
                ++state_.open_links;
            } else {
                Link& link = links_[static_cast<std::size_t>(which[i])];
                if (link.fd == fds[i].fd) on_readable(link);
            }
        }
        tick_locked(Clock::now());
        cv_.notify_all();
    }
}

void LegacyPeer::on_readable(Link& link) {
    char buf[kRecvBytes];
    ssize_t n = ::recv(link.fd, buf, sizeof buf, 0);
    if (n <= 0) {
        close_link(link, n == 0 ? "closed by the node" : "reset by the node");
        return;
    }
    link.in.append(buf, static_cast<std::size_t>(n));
    auto nl = link.in.find('\n');
    // A line split across reads is completed first; only then is the read judged.
    if (nl == std::string::npos) return;
    std::string line = link.in.substr(0, nl);
    std::string rest = link.in.substr(nl + 1);
    link.in.clear();
    // Everything after the first line of this read is lost, as in the deployed
    // peers; remember each lost line so tests can prove the node never did this.
    std::size_t pos = 0;
    while (pos < rest.size()) {
        auto end = rest.find('\n', pos);
        if (end == std::string::npos) end = rest.size();
        state_.dropped.push_back(rest.substr(pos, end - pos));
        pos = end + 1;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    handle_line(link, line);
}

void LegacyPeer::handle_line(Link& link, const std::string& line) {
    if (line.empty()) {
        close_link(link, "empty line");
        return;
    }
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    if (doc.HasParseError() || !doc.IsObject()) {
        close_link(link, "not a JSON object: " + line);
        return;
    }
    LegacyReceived r;
    r.link = link.index;
    r.line = line;
    r.type = member_str(doc, "type");
    r.msg_id = member_str(doc, "msg_id");
    r.src = member_str(doc, "src");
    r.dst = member_str(doc, "dst");
    r.payload = member_str(doc, "payload");
    if (doc.HasMember("ttl") && doc["ttl"].IsNumber() && doc["ttl"].GetDouble() <= 0) {
        state_.ttl_dropped.push_back(line);
        return;
    }
    state_.received.push_back(r);

    if (r.type == "PUB") {
        close_link(link, "received a PUB");
    } else if (r.type == "HELLO" && !link.dialed && !link.hello_done) {
        using HelloOk = LegacyPeerOptions::HelloOk;
        std::vector<std::string> common;
        if (opt_.hello_ok == HelloOk::kFixed) common = opt_.features;
        if (opt_.hello_ok != HelloOk::kFixed && doc.HasMember("features") &&
            doc["features"].IsArray())
            for (const auto& f : doc["features"].GetArray())
                if (f.IsString() && (opt_.hello_ok == HelloOk::kEcho ||
                                     std::find(opt_.features.begin(), opt_.features.end(),
                                               f.GetString()) != opt_.features.end()))
                    common.emplace_back(f.GetString());
        link.hello_done = true;
        ++state_.handshakes;
        state_.remote_ids.push_back(member_str(doc, "peer_id"));
        state_.remote_features = common;
        write_locked(link, make_hello("HELLO_OK", opt_.peer_id, common));
    } else if (r.type == "HELLO_OK" && link.dialed && !link.hello_done) {
        link.hello_done = true;
        ++state_.handshakes;
        state_.remote_ids.push_back(member_str(doc, "peer_id"));
        state_.remote_features.clear();
        if (doc.HasMember("features") && doc["features"].IsArray())
            for (const auto& f : doc["features"].GetArray())
                if (f.IsString()) state_.remote_features.emplace_back(f.GetString());
    } else if (r.type == "PING") {
        ++state_.pings_received;
        write_locked(link, "{\"type\":\"PONG\",\"msg_id\":" + json_quote(r.msg_id) +
                               ",\"timestamp\":" + timestamp() + ",\"ttl\":1}\n");
    } else if (r.type == "PONG") {
        ++state_.pongs_received;
    } else if (r.type == "SEND") {
        if (doc.HasMember("require_ack") && doc["require_ack"].IsBool() &&
            doc["require_ack"].GetBool()) {
            // No `src`, no `from`: the deployed peers' ACK names nobody.
            if (write_locked(link, "{\"type\":\"ACK\",\"msg_id\":" + json_quote(r.msg_id) +
                                       ",\"timestamp\":" + timestamp() + ",\"ttl\":1}\n"))
                state_.acks_sent.push_back(r.msg_id);
        }
    } else if (r.type == "ACK") {
        auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Pending& p) { return p.msg_id == r.msg_id; });
        if (it != pending_.end()) {
            if (acks_ignored_ < opt_.ignore_first_acks) {
                ++acks_ignored_;
            } else {
                state_.acked.push_back(r.msg_id);
                pending_.erase(it);
            }
        }
    } else if (r.type == "BYE") {
        write_locked(link, "{\"type\":\"BYE_OK\",\"msg_id\":" + json_quote(r.msg_id) +
                               ",\"src\":" + json_quote(opt_.peer_id) +
                               ",\"dst\":" + json_quote(r.src) + ",\"ttl\":1}\n");
        close_link(link, "BYE");
    }
}

void LegacyPeer::tick_locked(Clock::time_point now) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        Link& link = links_[static_cast<std::size_t>(it->link)];
        if (it->retransmits >= opt_.retransmit_after.size() || link.fd < 0) {
            it = pending_.erase(it);
            continue;
        }
        if (now >= it->first_sent + opt_.retransmit_after[it->retransmits]) {
            ++it->retransmits;
            if (write_locked(link, it->line)) state_.sends_written.push_back(it->msg_id);
        }
        ++it;
    }
    if (opt_.ping_interval.count() <= 0) return;
    for (auto& link : links_) {
        if (link.fd < 0 || !link.dialed || !link.hello_done || now < link.next_ping) continue;
        link.next_ping = now + opt_.ping_interval;
        write_locked(link, "{\"type\":\"PING\",\"msg_id\":" + json_quote(new_msg_id()) +
                               ",\"timestamp\":" + timestamp() + ",\"ttl\":1}\n");
    }
}

}  // namespace p2p::test
