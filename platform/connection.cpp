#include "platform/connection.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/invariant.h"
#include "platform/net.h"

namespace p2p::platform {

const char* close_reason_name(CloseReason reason) {
    switch (reason) {
        case CloseReason::kByOwner:
            return "closed";
        case CloseReason::kPeerClosed:
            return "closed by peer";
        case CloseReason::kHangup:
            return "hung up";
        case CloseReason::kReadError:
            return "read error";
        case CloseReason::kWriteError:
            return "write error";
        case CloseReason::kOutputFull:
            return "peer stopped reading";
        case CloseReason::kTimeout:
            return "timed out";
        case CloseReason::kTransform:
            return "transform refused the bytes";
        case CloseReason::kWatchFailed:
            return "cannot watch the socket";
    }
    return "?";
}

// ---- owner defaults -------------------------------------------------------------------

void ConnectionOwner::on_bytes(Connection&, char*, std::size_t) {}
std::size_t ConnectionOwner::read_room(Connection&) {
    return static_cast<std::size_t>(-1);
}
void ConnectionOwner::on_line(Connection&, char*, std::size_t) {}
void ConnectionOwner::on_line_too_long(Connection&) {}
void ConnectionOwner::on_read(Connection&) {}
void ConnectionOwner::on_eof(Connection& c) {
    c.close(CloseReason::kPeerClosed);
}
void ConnectionOwner::on_deadline(Connection& c) {
    c.close(CloseReason::kTimeout);
}
std::size_t ConnectionOwner::output(Connection&, ByteSlice*, std::size_t) {
    return 0;
}
void ConnectionOwner::consumed(Connection&, std::size_t) {}

// ---- life -------------------------------------------------------------------------------

Connection::Connection(EventLoop& loop, ConnectionOwner& owner, const ConnectionConfig& config) {
    setup(loop, owner, config);
}

Connection::~Connection() {
    discard();
}

void Connection::setup(EventLoop& loop, ConnectionOwner& owner, const ConnectionConfig& config) {
    P2P_ASSERT(fd_ < 0);
    P2P_ASSERT(config.read_buf != nullptr && config.read_cap > 0);
    P2P_ASSERT(config.framing == Framing::kRaw || config.line_buf != nullptr);
    loop_ = &loop;
    owner_ = &owner;
    config_ = config;
    framer_ = LineFramer(config.line_buf, config.line_limit);
}

bool Connection::open(int fd) {
    P2P_ASSERT(loop_ != nullptr && fd_ < 0 && fd >= 0);
    if (!loop_->watch(fd, kIoRead, this)) {
        close_fd(fd);
        return false;
    }
    fd_ = fd;
    socket_ = is_socket(fd);
    installed_ = kIoRead;
    read_paused_ = eof_ = write_blocked_ = closing_soon_ = close_after_flush_ = false;
    framer_.reset();
    out_off_ = 0;
    out_.clear();
    // A transform may speak first (a handshake's opening message).
    if (config_.transform && config_.transform->has_output()) {
        FlushEnd end = write_out();
        finish_flush(end, false);
    }
    return true;
}

void Connection::teardown() {
    if (deadline_timer_) loop_->cancel(deadline_timer_);
    if (soon_timer_) loop_->cancel(soon_timer_);
    deadline_timer_ = soon_timer_ = 0;
    deadline_ = 0;
    loop_->unwatch(fd_);
    installed_ = 0;
    if (config_.drain_on_close > 0 && !eof_) {
        std::size_t got = 0, n = 0;
        while (got < config_.drain_on_close && read_some(config_.read_cap, &n) == IoResult::kOk)
            got += n;
    }
    close_fd(fd_);
    fd_ = -1;
    ++generation_;
    framer_.reset();
    // A rare large answer must not stay resident in every slot.
    if (out_.capacity() > config_.max_output / 4) std::string().swap(out_);
    out_.clear();
    out_off_ = 0;
    write_blocked_ = closing_soon_ = close_after_flush_ = in_flush_ = false;
}

void Connection::close(CloseReason reason) {
    if (fd_ < 0) return;
    teardown();
    owner_->on_closed(*this, reason);
}

void Connection::discard() {
    if (fd_ >= 0) teardown();
}

void Connection::close_soon(CloseReason reason) {
    if (fd_ < 0 || closing_soon_) return;
    closing_soon_ = true;
    pending_reason_ = reason;
    update_interest();
    schedule_soon();
}

void Connection::close_when_flushed(CloseReason reason) {
    if (fd_ < 0 || closing_soon_) return;
    close_after_flush_ = true;
    pending_reason_ = reason;
    if (in_flush_) return;  // the flush under way closes when it is done
    if (!write_blocked_) {
        FlushEnd end = write_out();
        finish_flush(end, true);
        return;
    }
    update_interest();  // stop reading; the writable event finishes it
}

void Connection::schedule_soon() {
    if (soon_timer_ == 0) soon_timer_ = loop_->schedule_in(0, this, kSoon);
}

void Connection::set_deadline(MonoMs at) {
    P2P_ASSERT(fd_ >= 0 || at == 0);
    if (deadline_timer_) loop_->cancel(deadline_timer_);
    deadline_timer_ = 0;
    deadline_ = at;
    if (at != 0) deadline_timer_ = loop_->schedule_at(at, this, kDeadline);
}

void Connection::on_timer(std::uint64_t tag) {
    if (tag == kSoon) {
        soon_timer_ = 0;
        if (closing_soon_) {
            close(pending_reason_);
            return;
        }
        release_held();
        return;
    }
    deadline_timer_ = 0;
    deadline_ = 0;
    if (fd_ >= 0 && !closing_soon_) owner_->on_deadline(*this);
}

// ---- interest ---------------------------------------------------------------------------

bool Connection::readable_now() const {
    return !read_paused_ && !eof_ && !closing_soon_ && !close_after_flush_;
}

void Connection::update_interest() {
    P2P_ASSERT(fd_ >= 0);
    // What the loop holds must be what this connection last installed: a second owner
    // of the descriptor, or an interest changed behind our back, stops here.
    P2P_ASSERT(loop_->watched_interest(fd_) == installed_);
    std::uint32_t want = 0;
    if (readable_now()) want |= kIoRead;
    if (write_blocked_ && !closing_soon_) want |= kIoWrite;
    if (want == installed_) return;
    if (loop_->rewatch(fd_, want, this)) installed_ = want;
}

void Connection::pause_reading(bool paused) {
    P2P_ASSERT(fd_ >= 0);
    if (read_paused_ == paused) return;
    read_paused_ = paused;
    update_interest();
    // Lines held while paused go out from the loop, never from inside this call.
    if (!paused && framer_.holding()) schedule_soon();
}

// ---- reading ----------------------------------------------------------------------------

void Connection::on_io(int, std::uint32_t events) {
    P2P_ASSERT(fd_ >= 0);
    std::uint32_t generation = generation_;
    if (closing_soon_) return;  // the timer closes it
    if (events & kIoWrite) {
        write_blocked_ = false;
        FlushEnd end = write_out();
        finish_flush(end, true);
        if (!alive(generation)) return;
    }
    if (!(events & (kIoRead | kIoHangup))) return;
    if (!readable_now()) {
        // Not watched for reading, so only a reset or a full hang-up wakes us: nothing
        // more can be read, and waiting would spin the loop.
        if (events & kIoHangup) close(eof_ ? CloseReason::kPeerClosed : CloseReason::kHangup);
        return;
    }
    read_ready();
}

IoResult Connection::read_some(std::size_t cap, std::size_t* n) {
    return socket_ ? sock_read(fd_, config_.read_buf, cap, n)
                   : fd_read(fd_, config_.read_buf, cap, n);
}

void Connection::read_ready() {
    std::uint32_t generation = generation_;
    for (int i = 0; i < config_.reads_per_event && alive(generation) && readable_now(); ++i) {
        std::size_t want = config_.read_cap;
        if (config_.framing == Framing::kRaw) {
            want = std::min(want, owner_->read_room(*this));
            if (!alive(generation)) return;
        } else {
            if (framer_.holding()) return;  // held lines go first, after the resume
            // Never more than can be held if a pause comes mid-read; with the partial
            // line full, one byte tells its newline from an overlong line.
            want = std::min(want, std::max<std::size_t>(framer_.room(), 1));
        }
        if (want == 0) return;
        std::size_t n = 0;
        switch (read_some(want, &n)) {
            case IoResult::kOk:
                break;
            case IoResult::kAgain:
                return;
            case IoResult::kError:
                close(CloseReason::kReadError);
                return;
            case IoResult::kClosed:
                eof_ = true;
                update_interest();
                owner_->on_eof(*this);
                return;
        }
        if (!deliver(config_.read_buf, n) || !alive(generation)) return;
        owner_->on_read(*this);
        if (n < want) return;  // drained
    }
}

// The transform's plaintext to the owner; false if the connection closed meanwhile.
bool Connection::deliver(char* data, std::size_t len) {
    std::uint32_t generation = generation_;
    if (Transform* t = config_.transform) {
        long plain = t->inbound(data, len, config_.read_cap);
        if (plain < 0) {
            close(CloseReason::kTransform);
            return false;
        }
        len = static_cast<std::size_t>(plain);
        // It may answer on its own (a handshake reply).
        if (t->has_output() && !write_blocked_) finish_flush(write_out(), true);
        if (!alive(generation)) return false;
    }
    if (len == 0) return true;
    if (config_.framing == Framing::kRaw) {
        owner_->on_bytes(*this, data, len);
        return alive(generation);
    }
    auto ready = [&] { return alive(generation) && readable_now(); };
    auto sink = [&](LineFramer::Event ev, char* line, std::size_t line_len) {
        if (!ready()) return;  // closed, or no room was left to hold it
        if (ev == LineFramer::Event::kTooLong)
            owner_->on_line_too_long(*this);
        else
            owner_->on_line(*this, line, line_len);
    };
    // One line per feed, so nothing is framed (or copied into the owner's line buffer,
    // whose pages it may have given back) once a line's owner closed the connection, or
    // started closing it (close_soon, close_when_flushed): nothing after that is kept.
    while (len > 0 && alive(generation) && !closing()) {
        char* nl = static_cast<char*>(std::memchr(data, '\n', len));
        std::size_t chunk = nl ? static_cast<std::size_t>(nl - data) + 1 : len;
        framer_.feed_gated(data, chunk, ready, sink);
        data += chunk;
        len -= chunk;
    }
    return alive(generation);
}

void Connection::release_held() {
    if (fd_ < 0 || !framer_.holding()) return;
    std::uint32_t generation = generation_;
    auto ready = [&] { return alive(generation) && readable_now(); };
    framer_.release_held(ready, [&](LineFramer::Event ev, char* line, std::size_t len) {
        if (!ready()) return;
        if (ev == LineFramer::Event::kTooLong)
            owner_->on_line_too_long(*this);
        else
            owner_->on_line(*this, line, len);
    });
    // Bytes may have waited in the kernel behind the held ones: read them now.
    if (alive(generation) && readable_now() && !framer_.holding()) read_ready();
}

char* Connection::partial_line(std::size_t* len) {
    *len = 0;
    if (config_.framing != Framing::kLines || framer_.discarding()) return nullptr;
    std::size_t n = std::min(framer_.buffered(), config_.line_limit);
    if (n == 0) return nullptr;
    config_.line_buf[n] = '\0';
    *len = n;
    return config_.line_buf;
}

// ---- writing ----------------------------------------------------------------------------

bool Connection::write(std::string_view data) {
    P2P_ASSERT(!config_.owner_output);
    if (fd_ < 0 || closing_soon_) return false;
    if (pending_output() + data.size() > config_.max_output) {
        close_soon(CloseReason::kOutputFull);
        return false;
    }
    if (out_off_ > 0 && out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
    }
    out_.append(data.data(), data.size());
    if (!write_blocked_ && !in_flush_) {
        FlushEnd end = write_out();
        finish_flush(end, false);  // never calls back from here (property 5)
    }
    return true;
}

bool Connection::flush() {
    if (fd_ < 0) return false;
    if (write_blocked_ || closing_soon_ || in_flush_) return true;  // the writable event
    std::uint32_t generation = generation_;
    finish_flush(write_out(), true);
    return alive(generation);
}

std::size_t Connection::gather(ByteSlice* plain, std::size_t max) {
    if (config_.owner_output) return owner_->output(*this, plain, max);
    if (pending_output() == 0) return 0;
    plain[0] = ByteSlice{out_.data() + out_off_, pending_output()};
    return 1;
}

void Connection::advance(std::size_t plain_bytes) {
    if (plain_bytes == 0) return;
    if (config_.owner_output) {
        owner_->consumed(*this, plain_bytes);
        return;
    }
    out_off_ += plain_bytes;
    if (out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
    }
}

Connection::FlushEnd Connection::write_out() {
    std::uint32_t generation = generation_;
    ByteSlice plain[kMaxSlices];
    ByteSlice wire[kMaxSlices];
    iovec iov[kMaxSlices];
    in_flush_ = true;
    FlushEnd end = FlushEnd::kDone;
    const std::size_t quantum = config_.write_quantum;
    std::size_t sent = 0;
    for (;;) {
        std::size_t count = gather(plain, kMaxSlices);
        if (!alive(generation)) break;
        const ByteSlice* out = plain;
        if (config_.transform) {
            count = config_.transform->outbound(plain, count, wire, kMaxSlices);
            out = wire;
        }
        if (count == 0) break;
        std::size_t total = 0;
        std::size_t room = quantum == 0 ? SIZE_MAX : quantum - sent;
        std::size_t slices = 0;
        for (; slices < count && total < room; ++slices) {
            iov[slices].iov_base = const_cast<char*>(out[slices].data);
            iov[slices].iov_len = std::min(out[slices].len, room - total);
            total += iov[slices].iov_len;
        }
        count = slices;
        std::size_t written = 0;
        IoResult r = socket_ ? sock_writev(fd_, iov, static_cast<int>(count), &written)
                             : fd_writev(fd_, iov, static_cast<int>(count), &written);
        if (r == IoResult::kClosed || r == IoResult::kError) {
            end = FlushEnd::kFailed;
            break;
        }
        if (written > 0) {
            std::size_t plain_done = written;
            if (config_.transform) plain_done = config_.transform->sent(written);
            advance(plain_done);
            if (!alive(generation)) break;  // the owner closed it
        }
        if (written < total) {
            end = FlushEnd::kBlocked;  // the rest when the kernel has room
            break;
        }
        sent += written;
        if (quantum != 0 && sent >= quantum) {
            // The rest on the next turn: write interest stays on, and the (level-
            // triggered) loop serves every other ready connection first.
            end = FlushEnd::kBlocked;
            break;
        }
    }
    in_flush_ = false;
    return alive(generation) ? end : FlushEnd::kClosed;
}

// Installs the interest the flush left behind, and closes if it failed or was the last
// before a close: now when `report` (the loop or the owner's own flush()), else soon.
void Connection::finish_flush(FlushEnd end, bool report) {
    if (end == FlushEnd::kClosed) return;
    in_flush_ = false;
    if (end == FlushEnd::kFailed) {
        if (report)
            close(CloseReason::kWriteError);
        else
            close_soon(CloseReason::kWriteError);
        return;
    }
    write_blocked_ = end == FlushEnd::kBlocked;
    if (end == FlushEnd::kDone && close_after_flush_) {
        if (report)
            close(pending_reason_);
        else
            close_soon(pending_reason_);
        return;
    }
    update_interest();
}

}  // namespace p2p::platform
