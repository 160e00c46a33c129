// Output to a descriptor we do not control the reader of (stdout, stderr: a pipe into a
// script, a pager, a terminal, a serial line, journald's socket) that never blocks the
// event loop. A reader that stops — a stopped `less`, a script that no longer reads, a
// serial line held by XOFF — used to block the node in write() after ~430 KB: no PONGs,
// no handshakes. Here bytes go out as far as the descriptor takes them at once; the rest
// waits in a bounded buffer that is written when the descriptor becomes writable; when
// that buffer is full, whole writes are dropped and counted, and the owner is told how
// many once the reader has caught up again.
//
// Non-blocking without touching the descriptor others share: O_NONBLOCK is a flag of the
// open file description, which a terminal or pipe shares with the shell that started us,
// so it is never set on fd 1 or 2 themselves. A pipe, FIFO or terminal is reopened
// through /proc/self/fd (a new description of the same pipe or tty); a socket is written
// with send(MSG_DONTWAIT); a regular file never blocks for long and is written as is.
// Only where none of these works (no /proc) is O_NONBLOCK set on the descriptor, and the
// old flags are put back on destruction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "platform/event_loop.h"

namespace p2p::platform {

class OutputQueue final : private IoHandler {
  public:
    static constexpr std::size_t kDefaultCapacity = 256 * 1024;

    // `fd` stays open and ours to write, never closed here.
    explicit OutputQueue(int fd, std::size_t capacity = kDefaultCapacity);
    ~OutputQueue();
    OutputQueue(const OutputQueue&) = delete;
    OutputQueue& operator=(const OutputQueue&) = delete;

    // With a loop, a backlog is written as soon as the descriptor is writable; without
    // one, only when write()/flush() is called.
    void attach(EventLoop& loop);
    void detach();

    // Writes `data` whole, now or later, or not at all: false when it did not fit in
    // what is left of the buffer (dropped and counted) or the reader is gone (EPIPE).
    bool write(std::string_view data);
    // Writes as much of the backlog as the descriptor takes now.
    void flush();
    // At exit: waits up to timeout_ms for the backlog to go out (a reader that has
    // stopped for good must not keep the process from exiting). True when it did.
    bool drain(int timeout_ms);
    std::size_t backlog() const { return used_; }
    bool reader_gone() const { return broken_; }

    // Writes dropped since the last call, reported once the backlog has drained (the
    // reader is keeping up again): 0 while an episode of drops is still going on.
    std::uint64_t take_dropped_report();
    std::uint64_t dropped_total() const { return dropped_total_; }

    // What the queue writes to, for tests: the descriptor and how it was made
    // non-blocking ("reopened", "send", "file", "flag").
    int write_fd() const { return out_fd_; }
    const char* method() const;

  private:
    enum class Method : std::uint8_t { kReopened, kSend, kFile, kFlag };
    void on_io(int fd, std::uint32_t events) override;
    // One write attempt; bytes taken, 0 when full, -1 when the reader is gone.
    long write_now(const char* p, std::size_t n);
    void update_watch();

    int fd_;
    int out_fd_ = -1;
    Method method_ = Method::kFile;
    int saved_flags_ = -1;  // kFlag: the flags to restore
    std::unique_ptr<char[]> ring_;
    std::size_t capacity_;
    std::size_t head_ = 0;  // first byte of the backlog
    std::size_t used_ = 0;
    bool broken_ = false;
    EventLoop* loop_ = nullptr;
    bool watching_ = false;
    std::uint64_t dropped_ = 0;
    std::uint64_t dropped_total_ = 0;
};

}  // namespace p2p::platform
