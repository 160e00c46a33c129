// The single-threaded reactor (muduo EventLoop / Redis aeMain): readiness from
// the Poller, timers from a min-heap, SIGINT/SIGTERM/SIGHUP/SIGUSR1 through a
// self-pipe, and
// before-sleep hooks where queued writes are flushed (coalesced) just before
// the loop blocks again.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "platform/poller.h"

namespace p2p::platform {

class IoHandler {
  public:
    virtual void on_io(int fd, std::uint32_t events) = 0;

  protected:
    ~IoHandler() = default;
};

class TimerHandler {
  public:
    virtual void on_timer(std::uint64_t tag) = 0;

  protected:
    ~TimerHandler() = default;
};

using TimerId = std::uint64_t;  // 0 is never a valid id

// Monotonic + wall clock from the OS.
class SystemClock final : public Clock {
  public:
    MonoMs mono_ms() const override;
    WallMs wall_ms() const override;
};

class EventLoop {
  public:
    explicit EventLoop(std::unique_ptr<Poller> poller = make_default_poller());
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    bool watch(int fd, std::uint32_t interest, IoHandler* handler);
    bool rewatch(int fd, std::uint32_t interest, IoHandler* handler);
    void unwatch(int fd);
    // The interest installed for `fd` (0 when not watched): what a handler that tracks
    // its own asserts against before changing it.
    std::uint32_t watched_interest(int fd) const;

    // Fires once at `deadline` (monotonic ms). Never allocates after the heap
    // has grown to its working size.
    TimerId schedule_at(MonoMs deadline, TimerHandler* handler, std::uint64_t tag);
    TimerId schedule_in(MonoMs delay, TimerHandler* handler, std::uint64_t tag);
    void cancel(TimerId id);

    // Runs every iteration just before the loop may sleep (flush writes here).
    void add_before_sleep(std::function<void()> hook);

    // SIGINT, SIGTERM, SIGHUP and SIGUSR1 are delivered here, inside the loop,
    // via a self-pipe (none of them kills the process once this is called).
    // SIGPIPE is ignored process-wide once any EventLoop exists.
    void on_signal(std::function<void(int signo)> handler);

    void run();   // until stop()
    void stop();  // safe from handlers
    // One iteration: waits at most max_wait_ms (or until the next timer).
    void run_once(int max_wait_ms);

    const Clock& clock() const { return clock_; }
    MonoMs now() const { return clock_.mono_ms(); }
    const char* backend() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    SystemClock clock_;
};

}  // namespace p2p::platform
