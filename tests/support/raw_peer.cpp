#include "tests/support/raw_peer.h"
#include "tests/support/deadline.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace p2p::test {

namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

}  // namespace

// ---- JsonLine ----------------------------------------------------------------

JsonLine::JsonLine(std::string_view line) : text_(line) {
    doc_.Parse(text_.c_str());
}

bool JsonLine::has(const char* key) const {
    return doc_.IsObject() && doc_.HasMember(key);
}

std::string JsonLine::str(const char* key) const {
    if (!has(key) || !doc_[key].IsString()) return {};
    return std::string(doc_[key].GetString(), doc_[key].GetStringLength());
}

std::optional<std::int64_t> JsonLine::integer(const char* key) const {
    if (!has(key) || !doc_[key].IsInt64()) return std::nullopt;
    return doc_[key].GetInt64();
}

bool JsonLine::boolean(const char* key) const {
    return has(key) && doc_[key].IsBool() && doc_[key].GetBool();
}

bool JsonLine::is_number(const char* key) const {
    return has(key) && doc_[key].IsNumber();
}

bool JsonLine::is_string_array(const char* key) const {
    if (!has(key) || !doc_[key].IsArray()) return false;
    for (const auto& v : doc_[key].GetArray())
        if (!v.IsString()) return false;
    return true;
}

std::vector<std::string> JsonLine::strings(const char* key) const {
    std::vector<std::string> out;
    if (!is_string_array(key)) return out;
    for (const auto& v : doc_[key].GetArray())
        out.emplace_back(v.GetString(), v.GetStringLength());
    return out;
}

// ---- RawPeer -----------------------------------------------------------------

RawPeer::~RawPeer() {
    close();
}

RawPeer::RawPeer(RawPeer&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), in_(std::move(other.in_)), eof_(other.eof_) {}

RawPeer& RawPeer::operator=(RawPeer&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        in_ = std::move(other.in_);
        eof_ = other.eof_;
    }
    return *this;
}

void RawPeer::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool RawPeer::connect(std::uint16_t port, milliseconds timeout) {
    return connect_from("", port, timeout);
}

bool RawPeer::connect_from(const std::string& local_ip, std::uint16_t port, milliseconds timeout) {
    close();
    in_.clear();
    eof_ = false;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    if (!local_ip.empty()) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        if (::inet_pton(AF_INET, local_ip.c_str(), &local.sin_addr) != 1 ||
            ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            ::close(fd);
            return false;
        }
    }
    sockaddr_in sa = loopback(port);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    if (rc != 0 && errno != EINPROGRESS) {
        ::close(fd);
        return false;
    }
    if (rc != 0) {
        pollfd p{fd, POLLOUT, 0};
        int err = 0;
        socklen_t len = sizeof err;
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            ::close(fd);
            return false;
        }
    }
    // Blocking from here on: every read below is bounded by poll().
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    return true;
}

bool RawPeer::send_raw(std::string_view bytes) {
    if (fd_ < 0) return false;
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool RawPeer::fill(Clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> RawPeer::take_line() {
    auto nl = in_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    std::string line = in_.substr(0, nl);
    in_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

std::optional<std::string> RawPeer::read_line(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (auto line = take_line()) return line;
        if (!fill(deadline)) return std::nullopt;
    }
}

std::optional<JsonLine> RawPeer::read_type(std::string_view type, milliseconds timeout,
                                           std::vector<std::string>* skipped) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto line = read_line(milliseconds(remaining_ms(deadline)));
        if (!line) return std::nullopt;
        JsonLine json(*line);
        if (json.type() == type) return json;
        if (skipped) skipped->push_back(*line);
    }
}

bool RawPeer::wait_closed(milliseconds timeout, std::vector<std::string>* drained) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        while (auto line = take_line())
            if (drained) drained->push_back(*line);
        if (eof_) return true;
        if (!fill(deadline) && !eof_) return false;
    }
}

bool RawPeer::silent_for(milliseconds quiet) {
    if (!in_.empty()) return false;
    if (fill(Clock::now() + quiet)) return false;
    return !eof_;
}

std::optional<JsonLine> RawPeer::hello(std::string_view peer_id,
                                       const std::vector<std::string>& features,
                                       milliseconds timeout) {
    if (!send_raw(make_hello("HELLO", peer_id, features))) return std::nullopt;
    return read_type("HELLO_OK", timeout);
}

std::optional<JsonLine> RawPeer::accept_hello(std::string_view peer_id,
                                              const std::vector<std::string>& features,
                                              milliseconds timeout) {
    auto hello = read_type("HELLO", timeout);
    if (!hello) return std::nullopt;
    if (!send_raw(make_hello("HELLO_OK", peer_id, features))) return std::nullopt;
    return hello;
}

// ---- RawListener -------------------------------------------------------------

RawListener::RawListener() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 128) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        ::close(fd);
        return;
    }
    fd_ = fd;
    port_ = ntohs(sa.sin_port);
}

RawListener::RawListener(int bound_fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (bound_fd < 0 || ::listen(bound_fd, 128) != 0 ||
        ::getsockname(bound_fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        if (bound_fd >= 0) ::close(bound_fd);
        return;
    }
    fd_ = bound_fd;
    port_ = ntohs(sa.sin_port);
}

RawListener::~RawListener() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<RawPeer> RawListener::accept(milliseconds timeout) {
    if (fd_ < 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return std::nullopt;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return RawPeer(fd);
}

// ---- line builders -----------------------------------------------------------

std::string json_quote(std::string_view text) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    return std::string(buf.GetString(), buf.GetSize());
}

std::string make_hello(std::string_view type, std::string_view peer_id,
                       const std::vector<std::string>& features) {
    std::string f;
    for (const auto& name : features) {
        if (!f.empty()) f += ',';
        f += json_quote(name);
    }
    return "{\"type\":" + json_quote(type) + ",\"peer_id\":" + json_quote(peer_id) +
           ",\"version\":\"1.0\",\"features\":[" + f + "],\"ttl\":1}\n";
}

std::string make_send(std::string_view msg_id, std::string_view src, std::string_view dst,
                      std::string_view payload, bool require_ack, int ttl) {
    return "{\"type\":\"SEND\",\"msg_id\":" + json_quote(msg_id) + ",\"src\":" + json_quote(src) +
           ",\"dst\":" + json_quote(dst) + ",\"payload\":" + json_quote(payload) +
           ",\"require_ack\":" + (require_ack ? "true" : "false") +
           ",\"ttl\":" + std::to_string(ttl) + "}\n";
}

std::string make_pub(std::string_view msg_id, std::string_view src, std::string_view dst,
                     std::string_view payload, int ttl) {
    return "{\"type\":\"PUB\",\"msg_id\":" + json_quote(msg_id) + ",\"src\":" + json_quote(src) +
           ",\"dst\":" + json_quote(dst) + ",\"payload\":" + json_quote(payload) +
           ",\"require_ack\":false,\"ttl\":" + std::to_string(ttl) + "}\n";
}

std::string make_ping(std::string_view msg_id) {
    return "{\"type\":\"PING\",\"msg_id\":" + json_quote(msg_id) +
           ",\"timestamp\":\"2025-10-27T10:00:00Z\",\"ttl\":1}\n";
}

bool flood_sends(RawPeer& peer, std::string_view prefix, std::string_view src, std::string_view dst,
                 std::string_view payload, int count) {
    std::string burst;
    for (int i = 0; i < count; ++i) {
        burst += make_send(std::string(prefix) + std::to_string(i), src, dst, payload, false);
        if (burst.size() > 64 * 1024) {
            if (!peer.send_raw(burst)) return false;
            burst.clear();
        }
    }
    return burst.empty() || peer.send_raw(burst);
}

}  // namespace p2p::test
