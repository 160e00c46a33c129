// A connection on the reactor: one stream socket (TCP accepted or dialed, Unix; a pipe
// or terminal works too, through read/writev) with
// everything the users of the loop used to write each their own way — reads into a line
// framer or raw bytes to the owner, bounded output gathered into one writev, write
// interest on and off, read pause, one deadline, close with a reason — and the slot
// where a transform (platform/transform.h) sits between the socket and the framer.
// Accepting is platform/listener.h.
//
// Properties (each one a promise the contract tests check, tests/unit/connection_test.cpp):
//  1. One record per descriptor. The Connection is itself the loop's handler for its fd
//     (the loop's per-fd entry points at it, as Redis' aeCreateFileEvent does): an owner
//     keeps no second fd -> connection map.
//  2. Interest is derived, never set by hand: read unless paused, past EOF or closing;
//     write only while output waits for the kernel (a writev came back short). The
//     interest the connection wants is compared with what the loop has installed, and
//     the two are asserted equal at the entry of every change (libuv uv__io_start/stop).
//  3. Output is bounded (and, with write_quantum, so is what one flush writes). Either the
//  connection's own buffer (write(): whole or not at
//     all, at most max_output bytes waiting; past it the peer has stopped reading and the
//     connection closes with kOutputFull) or slices the owner keeps (owner_output: the
//     owner's queue is asked with output() and told consumed()). Either way one flush
//     gathers up to kMaxSlices slices into one writev.
//  4. Close happens exactly once per open(), and on_closed() reports it with the reason,
//     after the descriptor is closed (the owner may open the Connection again from
//     there). discard() closes without a report (the owner is tearing down).
//  5. Callbacks go only to the owner, and only from the loop (on_io, on_timer) or from
//     the owner's own flush() and close(). write() never calls back: a failure there
//     closes on the next turn of the loop (close_soon). After every callback the
//     connection checks it was not closed or reopened under it before going on.
//  6. Steady state allocates nothing: the read buffer is shared and the owner's, the
//     line buffer is the owner's, the own output buffer grows once to its working size.
//
// The read contract (raw framing):
//    - the connection reads at most min(read_cap, owner.read_room()) bytes at a time, into
//      the shared buffer; read_room() == 0 means "not now" (pause_reading() to stop waking);
//    - on_bytes(data, len) gets plaintext (after the transform) in that buffer; data[len]
//      is writable (a NUL for in-situ parsing); the bytes are gone when the call returns;
//    - up to reads_per_event reads per readiness event, fewer when one comes back short.
// The read contract (line framing, core/line_framer.h):
//    - on_line(line, len) gets one line without "\n" or "\r\n", NUL-terminated and
//      writable; a line split across any number of reads is joined in the owner's
//      line_buf (line_limit + 1 bytes), nothing past line_limit is ever kept;
//    - a longer line gives one on_line_too_long() and is dropped up to its newline;
//    - while paused, complete lines are held, not delivered, and come after resume.
// Both: on_eof() when the peer has finished sending (the default closes; an owner that
// answers a half-closed peer writes and closes later, partial_line() is what came without
// a newline); on_read() after each read that delivered bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/line_framer.h"
#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/transform.h"

namespace p2p::platform {

enum class CloseReason : std::uint8_t {
    kByOwner,      // close() with no other reason
    kPeerClosed,   // EOF (and the owner did not keep the connection half-open)
    kHangup,       // reset or error while not reading (paused, or past EOF)
    kReadError,    // recv() failed
    kWriteError,   // sendmsg() failed (reset, EPIPE)
    kOutputFull,   // write() past max_output: the peer stopped reading
    kTimeout,      // the deadline passed (the default on_deadline())
    kTransform,    // the transform refused the bytes
    kWatchFailed,  // the loop could not watch the descriptor
};
const char* close_reason_name(CloseReason reason);

enum class Framing : std::uint8_t { kRaw, kLines };

struct ConnectionConfig {
    // The read buffer, shared by every connection of an owner: read_cap + 1 bytes (the
    // extra one for the NUL after the last byte).
    char* read_buf = nullptr;
    std::size_t read_cap = 0;
    Framing framing = Framing::kRaw;
    // kLines: the owner's partial-line buffer, line_limit + 1 bytes.
    char* line_buf = nullptr;
    std::size_t line_limit = kMaxLineBytes;
    // Output comes from ConnectionOwner::output()/consumed() instead of write().
    bool owner_output = false;
    // write(): bytes that may wait for the peer before it counts as not reading.
    std::size_t max_output = 256 * 1024;
    // Reads per readiness event: enough for a burst, fair to the other connections.
    int reads_per_event = 4;
    // Bytes written per flush (readiness event or owner's flush()) at most, the rest on
    // the next turn of the loop: one client's large answer into a socket that takes it
    // all cannot hold up the others for long. 0: as much as the kernel takes.
    std::size_t write_quantum = 0;
    // Bytes read and dropped before the close, so the close sends FIN rather than the
    // RST that would make the peer drop an answer it has not read yet.
    std::size_t drain_on_close = 0;
    Transform* transform = nullptr;  // nullptr: bytes go straight through
};

class Connection;

// What a connection calls. Only on_closed() is required; the rest have the defaults a
// simple owner wants.
class ConnectionOwner {
  public:
    // Raw framing: the bytes read (see the read contract above).
    virtual void on_bytes(Connection& c, char* data, std::size_t len);
    // Raw framing: the most bytes the owner takes with the next on_bytes().
    virtual std::size_t read_room(Connection& c);
    // Line framing: one line / one line too long (dropped).
    virtual void on_line(Connection& c, char* line, std::size_t len);
    virtual void on_line_too_long(Connection& c);
    // After a read that delivered bytes (e.g. to account for partial_bytes()).
    virtual void on_read(Connection& c);
    // The peer finished sending. Default: close(kPeerClosed).
    virtual void on_eof(Connection& c);
    // The deadline passed. Default: close(kTimeout).
    virtual void on_deadline(Connection& c);
    // owner_output: up to `max` slices of queued bytes, in order (0: nothing queued),
    // then how many of them were written.
    virtual std::size_t output(Connection& c, ByteSlice* slices, std::size_t max);
    virtual void consumed(Connection& c, std::size_t bytes);
    // Exactly once per open(): the descriptor is closed.
    virtual void on_closed(Connection& c, CloseReason reason) = 0;

  protected:
    ~ConnectionOwner() = default;
};

class Connection final : private IoHandler, private TimerHandler {
  public:
    // Slices gathered into one writev (the kernel takes at most IOV_MAX).
    static constexpr std::size_t kMaxSlices = 64;

    Connection() = default;
    Connection(EventLoop& loop, ConnectionOwner& owner, const ConnectionConfig& config);
    ~Connection();  // discard()
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // For connections kept in arrays: the loop, owner and configuration, once, closed.
    void setup(EventLoop& loop, ConnectionOwner& owner, const ConnectionConfig& config);

    // Takes `fd` (a connected, non-blocking stream socket) and starts reading it. False
    // (fd closed, no on_closed) if the loop cannot watch it.
    bool open(int fd);
    bool is_open() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    // The owner's word for this connection (a slot index): kept across opens.
    std::uint64_t tag() const { return tag_; }
    void set_tag(std::uint64_t tag) { tag_ = tag; }

    // Own output: queues `data` whole and writes what the kernel takes now. False, and
    // nothing queued, when closed or over max_output (then it closes with kOutputFull on
    // the next turn of the loop).
    bool write(std::string_view data);
    // Writes what waits (own buffer, or the owner's output()) in one writev per batch of
    // kMaxSlices, until done or the kernel is full. False if that closed the connection.
    bool flush();
    // Bytes waiting in the own buffer.
    std::size_t pending_output() const { return out_.size() - out_off_; }
    // The kernel refused part of the last write (or write_quantum was reached): write
    // interest is installed and the rest goes out when the loop says writable.
    bool write_blocked() const { return write_blocked_; }

    // Backpressure: stop (or start again) reading. Line framing holds complete lines
    // meanwhile and delivers them, from the loop, after the resume.
    void pause_reading(bool paused);
    bool reading_paused() const { return read_paused_; }
    bool at_eof() const { return eof_; }

    // One deadline (monotonic ms); on_deadline() when it passes. 0 clears it.
    void set_deadline(MonoMs at);
    MonoMs deadline() const { return deadline_; }

    // Closes now and reports on_closed(reason) (from inside this call). With
    // drain_on_close it reads into the shared buffer: a line or bytes handed out before
    // are not to be touched after it.
    void close(CloseReason reason);
    // Stops reading, writes what waits, then close(reason); at once if nothing waits.
    void close_when_flushed(CloseReason reason);
    // Closes on the next turn of the loop (nothing is read or written meanwhile).
    void close_soon(CloseReason reason);
    bool closing() const { return closing_soon_ || close_after_flush_; }
    // Closes without a report.
    void discard();

    // Line framing: the unfinished line so far (after EOF: what came without a newline),
    // NUL-terminated, or nullptr when there is none.
    char* partial_line(std::size_t* len);
    std::size_t partial_bytes() const { return framer_.buffered(); }

  private:
    enum TimerKind : std::uint64_t { kDeadline = 0, kSoon = 1 };
    void on_io(int fd, std::uint32_t events) override;
    void on_timer(std::uint64_t tag) override;
    bool readable_now() const;
    IoResult read_some(std::size_t cap, std::size_t* n);  // into the shared read buffer
    void read_ready();
    bool deliver(char* data, std::size_t len);
    void release_held();
    std::size_t gather(ByteSlice* plain, std::size_t max);
    void advance(std::size_t plain_bytes);
    // One writev batch after another; the result says how it ended.
    enum class FlushEnd : std::uint8_t { kDone, kBlocked, kFailed, kClosed };
    FlushEnd write_out();
    void finish_flush(FlushEnd end, bool report);
    void update_interest();
    void teardown();
    void schedule_soon();
    bool alive(std::uint32_t generation) const { return fd_ >= 0 && generation_ == generation; }

    EventLoop* loop_ = nullptr;
    ConnectionOwner* owner_ = nullptr;
    ConnectionConfig config_;
    LineFramer framer_{nullptr};
    int fd_ = -1;
    std::uint64_t tag_ = 0;
    std::uint32_t generation_ = 0;  // bumped at every close: tells a reopened one apart
    std::uint32_t installed_ = 0;   // the interest the loop holds for fd_
    bool read_paused_ = false;
    bool eof_ = false;
    bool write_blocked_ = false;
    bool closing_soon_ = false;
    bool close_after_flush_ = false;
    bool in_flush_ = false;
    bool socket_ = true;  // recv/sendmsg; else read/writev (a pipe, a terminal)
    CloseReason pending_reason_ = CloseReason::kByOwner;
    MonoMs deadline_ = 0;
    TimerId deadline_timer_ = 0;
    TimerId soon_timer_ = 0;
    std::string out_;  // own output; the first out_off_ bytes are already written
    std::size_t out_off_ = 0;
};

}  // namespace p2p::platform
