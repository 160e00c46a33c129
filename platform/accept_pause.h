// What a listener does when accept() fails for want of descriptors (EMFILE, ENFILE) or
// kernel memory: the pending connection stays queued, the listening socket stays
// readable, and a level-triggered poller would wake us for it again at once — a busy
// loop at full CPU that also starves every established link. Instead the listener is
// unwatched for a short pause and watched again after it; the first pause of an episode
// logs one WARN, the end of the episode one INFO with how many pauses it took.
#pragma once
#include <cstdint>

#include "core/clock.h"
#include "platform/event_loop.h"

namespace p2p::platform {

class AcceptPause final : private TimerHandler {
  public:
    static constexpr MonoMs kDefaultPauseMs = 100;

    // `module` names the log lines ("Links", "Rendezvous").
    AcceptPause(EventLoop& loop, const char* module, MonoMs pause_ms = kDefaultPauseMs);
    ~AcceptPause();
    AcceptPause(const AcceptPause&) = delete;
    AcceptPause& operator=(const AcceptPause&) = delete;

    // tcp_accept() on `listen_fd` (watched for kIoRead by `handler`) failed with `error`.
    // True if it was exhaustion and accepting is now paused: stop the accept loop.
    bool on_accept_failed(int listen_fd, IoHandler* handler, int error);
    // A connection was accepted: ends an episode of pauses, if one was going on.
    void on_accepted();
    bool paused() const { return timer_ != 0; }
    // The listener is being closed: drop the pending re-watch.
    void cancel();

  private:
    void on_timer(std::uint64_t tag) override;

    EventLoop& loop_;
    const char* module_;
    MonoMs pause_ms_;
    int listen_fd_ = -1;
    IoHandler* handler_ = nullptr;
    TimerId timer_ = 0;
    std::uint64_t episode_pauses_ = 0;
};

}  // namespace p2p::platform
