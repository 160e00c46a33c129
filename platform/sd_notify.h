// systemd's service notification protocol (sd_notify(3)) for units with Type=notify and
// WatchdogSec=, spoken directly: one datagram of KEY=VALUE lines sent to the AF_UNIX
// socket named by $NOTIFY_SOCKET. No libsystemd, so the static board binaries keep
// building, and a node started by hand (no NOTIFY_SOCKET) sends nothing.
//
// Every send is non-blocking: a supervisor that does not read costs a dropped datagram,
// never a stalled event loop.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "platform/event_loop.h"

namespace p2p::platform {

// What the service manager passes in the environment (empty strings when unset).
struct NotifyEnvironment {
    std::string notify_socket;  // NOTIFY_SOCKET: "/path" or "@abstract-name"
    std::string watchdog_usec;  // WATCHDOG_USEC: the unit's WatchdogSec= in microseconds
    std::string watchdog_pid;   // WATCHDOG_PID: the process the watchdog is meant for
};

// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID of this process.
NotifyEnvironment notify_environment();

class ServiceNotifier {
  public:
    // self_pid is compared with WATCHDOG_PID (0: this process's pid); tests pass their own.
    explicit ServiceNotifier(const NotifyEnvironment& env, long self_pid = 0);
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    // False when not run by a service manager (or its socket name is unusable): every
    // send below is then a no-op returning false.
    bool enabled() const { return fd_ >= 0; }
    // How often to send WATCHDOG=1: half of WATCHDOG_USEC, as sd_watchdog_enabled(3)
    // advises. 0 when no watchdog is asked of this process.
    MonoMs watchdog_interval_ms() const { return watchdog_interval_ms_; }

    bool ready();                        // READY=1: start-up is complete
    bool watchdog();                     // WATCHDOG=1: the keep-alive
    bool stopping();                     // STOPPING=1: shutdown has begun
    bool reloading();                    // RELOADING=1 (with MONOTONIC_USEC, Type=notify-reload)
    bool status(std::string_view text);  // STATUS=text, shown by systemctl status
    // One datagram of newline-separated assignments. True when it was handed to the
    // kernel; false when disabled, or dropped because the receiver is full or gone.
    bool send(std::string_view state);

  private:
    int fd_ = -1;
    std::string address_;  // sun_path bytes; a leading '\0' for an abstract name
    MonoMs watchdog_interval_ms_ = 0;
};

// Sends WATCHDOG=1 from the event loop's own timer every watchdog_interval_ms(): when the
// loop stops turning the keep-alives stop too, and systemd restarts the service.
class WatchdogPinger final : public TimerHandler {
  public:
    WatchdogPinger(EventLoop& loop, ServiceNotifier& notifier);
    ~WatchdogPinger();
    WatchdogPinger(const WatchdogPinger&) = delete;
    WatchdogPinger& operator=(const WatchdogPinger&) = delete;

    // Sends one keep-alive now and schedules the next; nothing when no watchdog is set.
    void start();
    void stop();
    bool running() const { return timer_ != 0; }
    void on_timer(std::uint64_t tag) override;

  private:
    EventLoop& loop_;
    ServiceNotifier& notifier_;
    TimerId timer_ = 0;
};

}  // namespace p2p::platform
