#include "platform/sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

namespace p2p::platform {

namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// A positive decimal number, nothing else (systemd writes plain digits).
bool parse_positive(std::string_view text, std::uint64_t& out) {
    if (text.empty()) return false;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v == 0) return false;
    out = v;
    return true;
}

// The socket name as sun_path bytes: "/path" as is, "@name" as an abstract address
// ('\0' then the name, no terminator). Anything else is not a socket we can reach.
bool socket_address(std::string_view name, std::string& out) {
    if (name.size() < 2 || name.size() >= sizeof(sockaddr_un::sun_path)) return false;
    if (name[0] == '/') {
        out.assign(name);
    } else if (name[0] == '@') {
        out.assign(1, '\0');
        out.append(name.substr(1));
    } else {
        return false;
    }
    return true;
}

}  // namespace

NotifyEnvironment notify_environment() {
    return {env_or_empty("NOTIFY_SOCKET"), env_or_empty("WATCHDOG_USEC"),
            env_or_empty("WATCHDOG_PID")};
}

ServiceNotifier::ServiceNotifier(const NotifyEnvironment& env, long self_pid) {
    if (self_pid == 0) self_pid = static_cast<long>(getpid());
    std::uint64_t usec = 0;
    std::uint64_t pid = 0;
    // WATCHDOG_PID names the process meant to ping; a child that inherited the
    // environment must stay silent.
    bool for_us = env.watchdog_pid.empty() || (parse_positive(env.watchdog_pid, pid) &&
                                               pid == static_cast<std::uint64_t>(self_pid));
    if (for_us && parse_positive(env.watchdog_usec, usec)) {
        watchdog_interval_ms_ = static_cast<MonoMs>(usec / 2000);
        if (watchdog_interval_ms_ < 1) watchdog_interval_ms_ = 1;
    }
    if (!socket_address(env.notify_socket, address_)) return;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

ServiceNotifier::~ServiceNotifier() {
    if (fd_ >= 0) ::close(fd_);
}

bool ServiceNotifier::send(std::string_view state) {
    if (fd_ < 0) return false;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    address_.copy(sa.sun_path, address_.size());
    // An abstract name is exactly its bytes; a path includes its terminating NUL.
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                           (address_[0] == '\0' ? 0 : 1));
    ssize_t n;
    do {
        n = ::sendto(fd_, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&sa), len);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(state.size());
}

bool ServiceNotifier::ready() {
    return send("READY=1");
}
bool ServiceNotifier::watchdog() {
    return send("WATCHDOG=1");
}
bool ServiceNotifier::stopping() {
    return send("STOPPING=1");
}

bool ServiceNotifier::reloading() {
    // Type=notify-reload (systemd 253) wants the CLOCK_MONOTONIC time of the reload
    // with RELOADING=1; older systemd ignores the extra line.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
                         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
    return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool ServiceNotifier::status(std::string_view text) {
    // A newline would start another assignment: the status is one line.
    std::string line = "STATUS=";
    for (char c : text)
        line += (c == '\n' || c == '\r') ? ' ' : c;
    return send(line);
}

WatchdogPinger::WatchdogPinger(EventLoop& loop, ServiceNotifier& notifier)
    : loop_(loop), notifier_(notifier) {}

WatchdogPinger::~WatchdogPinger() {
    stop();
}

void WatchdogPinger::start() {
    if (timer_ != 0 || notifier_.watchdog_interval_ms() <= 0 || !notifier_.enabled()) return;
    on_timer(0);
}

void WatchdogPinger::stop() {
    if (timer_ != 0) loop_.cancel(timer_);
    timer_ = 0;
}

void WatchdogPinger::on_timer(std::uint64_t) {
    notifier_.watchdog();
    timer_ = loop_.schedule_in(notifier_.watchdog_interval_ms(), this, 0);
}

}  // namespace p2p::platform
