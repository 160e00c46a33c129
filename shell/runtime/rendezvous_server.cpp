#include "shell/runtime/rendezvous_server.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "core/line_framer.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/rendezvous_wire.h"
#include "platform/accept_pause.h"
#include "platform/files.h"
#include "platform/pages.h"

namespace p2p::shell {

namespace {

constexpr std::uint64_t kDbTimerTag = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// One shared read buffer for every connection (+1 for the in-situ NUL).
constexpr std::size_t kReadBytes = 64 * 1024;
// Accepts per readiness event, so a flood of connects cannot starve the
// connections already accepted.
constexpr int kAcceptBatch = 256;
// Bytes read and discarded before closing, so the close sends FIN, not the
// RST that would make the client drop our answer unread.
constexpr std::size_t kDrainBytes = 256 * 1024;
// At most one WARN this often about connections closed for the partial-line budget.
constexpr MonoMs kBudgetReportMs = 10'000;

// "::ffff:1.2.3.4" -> "1.2.3.4": a dual-stack listener sees IPv4 clients
// that way, and the registry keys and answers by the address clients know.
std::string_view plain_ip(const char* text) {
    std::string_view ip(text);
    constexpr std::string_view kMapped = "::ffff:";
    if (ip.size() > kMapped.size() && ip.substr(0, kMapped.size()) == kMapped &&
        ip.find('.') != std::string_view::npos)
        ip.remove_prefix(kMapped.size());
    return ip;
}

}  // namespace

struct RendezvousServer::Conn final : platform::IoHandler {
    enum class State : std::uint8_t { kFree, kReading, kWriting };

    RendezvousServer* server = nullptr;
    std::uint32_t index = 0;
    std::uint32_t generation = 0;
    State state = State::kFree;
    int fd = -1;
    MonoMs accepted_at = 0;
    MonoMs last_activity = 0;
    platform::TimerId timer = 0;
    std::uint32_t older = kNone, newer = kNone;  // accept order, for eviction
    char ip[64] = {};
    std::uint16_t port = 0;
    char* partial = nullptr;  // this slot's kPartialBytes in the arena
    LineFramer framer{nullptr};
    std::size_t held = 0;  // framer.buffered(), as counted in Impl::partial_bytes
    bool touched = false;  // `partial` was written since accept: release its pages
    // Connections holding a partial line, oldest holder first: the victims when the
    // budget for partial lines is exceeded.
    std::uint32_t older_holder = kNone, newer_holder = kNone;
    std::string pending;  // unsent answer bytes (rare: large DISCOVER answers)
    std::size_t pending_off = 0;

    void on_io(int, std::uint32_t events) override;
};

struct RendezvousServer::Impl {
    platform::EventLoop& loop;
    RendezvousServerConfig config;
    Registry registry;
    int listen_fd = -1;
    platform::SockAddr bound;
    std::vector<Conn> conns;
    std::vector<std::uint32_t> free_slots;
    std::uint32_t oldest = kNone, newest = kNone;
    std::size_t open_conns = 0;
    std::uint64_t requests = 0;  // answered (Stats)
    std::uint64_t blocked = 0;   // refused by the rate limit (Stats)
    std::size_t pending_bytes = 0;
    // max_connections partial-line buffers, one per slot, each `slot_stride` bytes
    // (whole pages, so a closed slot's pages can be given back).
    platform::PageRegion arena;
    std::size_t slot_stride = 0;
    std::size_t partial_bytes = 0;  // held by all connections together
    std::uint32_t oldest_holder = kNone, newest_holder = kNone;
    std::uint64_t budget_closed = 0;  // connections closed for the partial-line budget
    std::uint64_t budget_closed_reported = 0;
    MonoMs budget_warned_at = 0;
    std::unique_ptr<char[]> read_buf;
    platform::TimerId db_timer = 0;
    platform::AcceptPause accept_pause;
    MonoMs db_retry_ms = 1'000;
    std::string db_text;          // serialization buffer, reused
    bool owns_log_clock = false;  // start() gave log_throttle() our loop's clock
    std::uint64_t accepted = 0;   // connections since start (Stats)

    Impl(platform::EventLoop& l, RendezvousServerConfig c)
        : loop(l),
          config(std::move(c)),
          registry(l.clock(), config.registry),
          accept_pause(l, "Rendezvous") {}
};

void RendezvousServer::Conn::on_io(int, std::uint32_t events) {
    if (state == State::kReading && (events & (platform::kIoRead | platform::kIoHangup))) {
        server->read_ready(*this);
    } else if (state == State::kWriting) {
        server->write_ready(*this);
    }
}

RendezvousServer::RendezvousServer(platform::EventLoop& loop, RendezvousServerConfig config)
    : impl_(std::make_unique<Impl>(loop, std::move(config))) {
    Impl& m = *impl_;
    const std::size_t config_max_connections = m.config.max_connections;
    // The arena is reserved, not touched: a slot's pages become resident
    // only if a client sends a line in several pieces, they are given back
    // when that connection closes, and all slots together hold at most
    // max_partial_bytes. Where the address space or the kernel's overcommit
    // policy refuses the reservation, serve fewer connections rather than fail.
    m.slot_stride = platform::PageRegion::round_up(LineFramer::kPartialBytes);
    std::size_t most = (std::numeric_limits<std::size_t>::max() / 4) / m.slot_stride;
    m.config.max_connections = std::clamp<std::size_t>(m.config.max_connections, 1, most);
    while (!m.arena.reserve(m.config.max_connections * m.slot_stride)) {
        if (m.config.max_connections == 1) throw std::bad_alloc();
        m.config.max_connections /= 2;
    }
    if (m.config.max_connections < config_max_connections)
        P2P_WARN("Rendezvous", "memory for %zu connections only", m.config.max_connections);
    m.read_buf.reset(new char[kReadBytes + 1]);
    m.conns.resize(m.config.max_connections);
    m.free_slots.reserve(m.config.max_connections);
    for (std::size_t i = m.config.max_connections; i-- > 0;) {
        Conn& c = m.conns[i];
        c.server = this;
        c.index = static_cast<std::uint32_t>(i);
        c.partial = m.arena.data() + i * m.slot_stride;
        m.free_slots.push_back(static_cast<std::uint32_t>(i));
    }
}

RendezvousServer::~RendezvousServer() {
    stop();
}

platform::SockAddr RendezvousServer::bound_address() const {
    return impl_->bound;
}

RendezvousServer::Stats RendezvousServer::stats() {
    Impl& m = *impl_;
    Stats s;
    s.registrations = m.registry.size();
    s.open_connections = m.open_conns;
    s.connections = m.accepted;
    s.requests = m.requests;
    s.blocked = m.blocked;
    s.blocked_ips = m.registry.blocked_ips();
    return s;
}

bool RendezvousServer::start(const platform::SockAddr& addr, std::string* err) {
    Impl& m = *impl_;
    if (m.listen_fd >= 0) {
        if (err) *err = "already started";
        return false;
    }
    if (!m.config.db_path.empty() && !platform::check_private_file_path(m.config.db_path, err))
        return false;
    load_db();
    m.listen_fd = platform::tcp_listen(addr, m.config.backlog, err);
    if (m.listen_fd < 0) return false;
    m.bound = platform::local_addr(m.listen_fd);
    if (!m.loop.watch(m.listen_fd, platform::kIoRead, this)) {
        if (err) *err = "cannot watch the listening socket";
        platform::close_fd(m.listen_fd);
        m.listen_fd = -1;
        return false;
    }
    if (!log_throttle().clock()) {  // the standalone server: no NodeRuntime set it
        log_throttle().set_clock(&m.loop.clock());
        m.owns_log_clock = true;
    }
    P2P_INFO("Rendezvous", "listening on %s (%zu registrations, up to %zu connections)",
             m.bound.to_string().c_str(), m.registry.size(), m.config.max_connections);
    return true;
}

void RendezvousServer::stop() {
    Impl& m = *impl_;
    if (m.owns_log_clock) {
        log_throttle().set_clock(nullptr);
        m.owns_log_clock = false;
    }
    if (m.listen_fd >= 0) {
        if (!m.accept_pause.paused()) m.loop.unwatch(m.listen_fd);
        m.accept_pause.cancel();
        platform::close_fd(m.listen_fd);
        m.listen_fd = -1;
    }
    while (m.oldest != kNone)
        close_conn(m.conns[m.oldest]);
    if (m.db_timer) {
        m.loop.cancel(m.db_timer);
        m.db_timer = 0;
    }
    if (m.registry.dirty()) flush_db();
}

// ---- the db file ---------------------------------------------------------------

void RendezvousServer::load_db() {
    Impl& m = *impl_;
    if (m.config.db_path.empty()) {
        P2P_INFO("Rendezvous", "no --db: registrations are kept in memory only");
        return;
    }
    std::string text, err;
    bool missing = false;
    bool keep_aside = false;
    if (!platform::read_file(m.config.db_path, text, &err, &missing)) {
        if (missing) {
            P2P_INFO("Rendezvous", "db %s does not exist yet; starting empty",
                     m.config.db_path.c_str());
            return;
        }
        P2P_ERROR("Rendezvous", "cannot read db %s: %s; starting empty", m.config.db_path.c_str(),
                  err.c_str());
        keep_aside = true;
    } else {
        Registry::LoadResult r = m.registry.load(text);
        if (!r.ok) {
            P2P_ERROR("Rendezvous", "db %s is corrupt (%s); starting empty",
                      m.config.db_path.c_str(), r.error.c_str());
            keep_aside = true;
        } else {
            P2P_INFO("Rendezvous", "loaded %zu registration(s) from %s (%zu expired, %zu skipped)",
                     r.loaded, m.config.db_path.c_str(), r.expired, r.skipped);
            if (r.skipped > 0) {
                P2P_WARN("Rendezvous", "db %s had %zu malformed entries", m.config.db_path.c_str(),
                         r.skipped);
                keep_aside = true;
            }
        }
    }
    if (keep_aside) {
        // Never overwrite what we could not use: keep the file for a human.
        std::string aside = platform::move_aside(m.config.db_path, &err);
        if (aside.empty()) {
            P2P_ERROR("Rendezvous", "cannot move %s aside: %s", m.config.db_path.c_str(),
                      err.c_str());
        } else {
            P2P_WARN("Rendezvous", "kept the old db as %s", aside.c_str());
        }
        // Whatever was usable is written back under the real name at once.
        if (m.registry.size() > 0) flush_db();
    }
}

void RendezvousServer::flush_db() {
    Impl& m = *impl_;
    m.db_timer = 0;
    if (m.config.db_path.empty()) {
        m.registry.clear_dirty();
        return;
    }
    m.registry.serialize(m.db_text);
    std::string err;
    if (platform::write_file_atomic(m.config.db_path, m.db_text, &err)) {
        m.registry.clear_dirty();
        return;
    }
    P2P_ERROR("Rendezvous", "cannot write db %s: %s (retrying)", m.config.db_path.c_str(),
              err.c_str());
    if (m.listen_fd >= 0) m.db_timer = m.loop.schedule_in(m.db_retry_ms, this, kDbTimerTag);
}

void RendezvousServer::after_request() {
    Impl& m = *impl_;
    if (!m.registry.dirty() || m.db_timer != 0) return;
    m.db_timer = m.loop.schedule_in(m.config.db_write_delay_ms, this, kDbTimerTag);
}

// ---- connections ---------------------------------------------------------------

void RendezvousServer::on_io(int, std::uint32_t) {
    accept_ready();
}

void RendezvousServer::accept_ready() {
    Impl& m = *impl_;
    for (int i = 0; i < kAcceptBatch && m.listen_fd >= 0; ++i) {
        platform::SockAddr peer;
        int error = 0;
        int fd = platform::tcp_accept(m.listen_fd, &peer, &error);
        if (fd < 0) {
            m.accept_pause.on_accept_failed(m.listen_fd, this, error);
            return;
        }
        m.accept_pause.on_accepted();
        ++m.accepted;
        char ip_buf[64];
        std::string_view ip = plain_ip(peer.ip(ip_buf, sizeof ip_buf));
        std::uint16_t port = peer.port();

        std::string_view reply;
        Registry::Admission admission = m.registry.admit(ip, port, &reply);
        if (admission != Registry::Admission::kAdmit) {
            ++m.blocked;
            if (admission == Registry::Admission::kBlocked) {
                // A fresh socket's send buffer is empty: one write suffices.
                iovec iov{const_cast<char*>(reply.data()), reply.size()};
                std::size_t n = 0;
                platform::sock_writev(fd, &iov, 1, &n);
                P2P_DEBUG("Rendezvous", "blocked %.*s:%u", static_cast<int>(ip.size()), ip.data(),
                          port);
            } else {
                P2P_WARN("Rendezvous", "%.*s exceeded %u connections per %lld s: blocking it",
                         static_cast<int>(ip.size()), ip.data(), m.config.registry.rate_limit,
                         static_cast<long long>(m.config.registry.rate_window_ms / 1000));
            }
            char* buf = m.read_buf.get();
            std::size_t got = 0, n = 0;
            while (got < kDrainBytes &&
                   platform::sock_read(fd, buf, kReadBytes, &n) == platform::IoResult::kOk)
                got += n;
            platform::close_fd(fd);
            continue;
        }

        if (m.free_slots.empty()) {
            // Full: the connection waiting longest is, in practice, one that
            // never sends; it gets the timeout answer early.
            Conn& victim = m.conns[m.oldest];
            P2P_WARN_LIMITED("Rendezvous", "oldest connections closed (server full)", "",
                             "%zu connections open: closing the oldest (%s:%u)", m.open_conns,
                             victim.ip, victim.port);
            if (victim.state == Conn::State::kReading) answer(victim, {});  // timeout reply
            close_conn(victim);  // also if that reply could not be written at once
        }
        std::uint32_t slot = m.free_slots.back();
        m.free_slots.pop_back();
        Conn& c = m.conns[slot];
        c.state = Conn::State::kReading;
        c.fd = fd;
        ++c.generation;
        c.accepted_at = c.last_activity = m.loop.now();
        std::size_t ip_len = std::min(ip.size(), sizeof c.ip - 1);
        std::memcpy(c.ip, ip.data(), ip_len);
        c.ip[ip_len] = '\0';
        c.port = port;
        c.framer = LineFramer(c.partial);
        c.pending_off = 0;
        c.older = m.newest;
        c.newer = kNone;
        (m.newest == kNone ? m.oldest : m.conns[m.newest].newer) = slot;
        m.newest = slot;
        ++m.open_conns;
        if (!m.loop.watch(fd, platform::kIoRead, &c)) {
            close_conn(c);
            continue;
        }
        arm_timer(c);
        // Most clients send at once: the request is often already here.
        read_ready(c);
    }
}

void RendezvousServer::arm_timer(Conn& c) {
    Impl& m = *impl_;
    MonoMs deadline = std::min(c.last_activity + m.config.idle_timeout_ms,
                               c.accepted_at + m.config.request_timeout_ms);
    c.timer = m.loop.schedule_at(deadline, this,
                                 (static_cast<std::uint64_t>(c.generation) << 32) | c.index);
}

void RendezvousServer::on_timer(std::uint64_t tag) {
    Impl& m = *impl_;
    if (tag == kDbTimerTag) {
        flush_db();
        return;
    }
    std::uint32_t index = static_cast<std::uint32_t>(tag);
    if (index >= m.conns.size()) return;
    Conn& c = m.conns[index];
    if (c.state == Conn::State::kFree || c.generation != static_cast<std::uint32_t>(tag >> 32))
        return;
    c.timer = 0;
    MonoMs now = m.loop.now();
    MonoMs deadline = std::min(c.last_activity + m.config.idle_timeout_ms,
                               c.accepted_at + m.config.request_timeout_ms);
    if (now < deadline) {
        arm_timer(c);  // activity moved the deadline since this timer was set
        return;
    }
    if (c.state == Conn::State::kReading) {
        P2P_DEBUG("Rendezvous", "timeout waiting for %s:%u", c.ip, c.port);
        answer(c, {});
    } else {
        close_conn(c);  // the client does not read its answer
    }
}

void RendezvousServer::read_ready(Conn& c) {
    Impl& m = *impl_;
    char* buf = m.read_buf.get();
    for (;;) {
        std::size_t n = 0;
        platform::IoResult r = platform::sock_read(c.fd, buf, kReadBytes, &n);
        if (r == platform::IoResult::kAgain) return;
        if (r == platform::IoResult::kError) {
            close_conn(c);
            return;
        }
        if (r == platform::IoResult::kClosed) {
            // EOF: what came without a newline is the request (as in the
            // reference); nothing at all is an empty request.
            std::size_t len = c.framer.discarding() ? 0 : c.framer.buffered();
            if (len > kMaxLineBytes) len = kMaxLineBytes;  // only a held '\r' can exceed
            // An empty request must not touch (and make resident) the arena.
            char empty[1];
            char* line = len > 0 ? c.partial : empty;
            line[len] = '\0';
            std::string_view reply = m.registry.handle(line, len, c.ip, c.port);
            answer(c, reply);
            return;
        }
        c.last_activity = m.loop.now();
        // Only the first line matters; bytes after it are never buffered.
        char* nl = static_cast<char*>(std::memchr(buf, '\n', n));
        std::size_t feed = nl ? static_cast<std::size_t>(nl - buf) + 1 : n;
        bool done = false;
        std::uint32_t generation = c.generation;
        c.framer.feed(buf, feed, [&](LineFramer::Event ev, char* line, std::size_t len) {
            if (done) return;
            done = true;
            if (ev == LineFramer::Event::kTooLong) {
                char out[rdv::kRdvLineBytes];
                std::size_t k = rdv::encode_line_too_long(out, sizeof out, kMaxLineBytes);
                answer(c, std::string_view(out, k));
            } else {
                answer(c, m.registry.handle(line, len, c.ip, c.port));
            }
        });
        if (done || c.state != Conn::State::kReading || c.generation != generation) return;
        set_held(c, c.framer.buffered());
        if (!enforce_partial_budget(c)) return;
    }
}

void RendezvousServer::set_held(Conn& c, std::size_t bytes) {
    Impl& m = *impl_;
    if (bytes > 0) c.touched = true;
    if (bytes == c.held) return;
    m.partial_bytes = m.partial_bytes - c.held + bytes;
    bool was_holder = c.held > 0;
    c.held = bytes;
    if (bytes > 0 && !was_holder) {
        c.older_holder = m.newest_holder;
        c.newer_holder = kNone;
        (m.newest_holder == kNone ? m.oldest_holder : m.conns[m.newest_holder].newer_holder) =
            c.index;
        m.newest_holder = c.index;
    } else if (bytes == 0 && was_holder) {
        (c.older_holder == kNone ? m.oldest_holder : m.conns[c.older_holder].newer_holder) =
            c.newer_holder;
        (c.newer_holder == kNone ? m.newest_holder : m.conns[c.newer_holder].older_holder) =
            c.older_holder;
        c.older_holder = c.newer_holder = kNone;
    }
}

// Many clients each sending most of a line and then nothing would otherwise make every
// slot's 32 KiB resident (thousands of slots: hundreds of MiB). Past the budget the
// connection that has held a partial line the longest goes first: a slow sender, or one
// that never finishes. False when `current` itself was closed.
bool RendezvousServer::enforce_partial_budget(Conn& current) {
    Impl& m = *impl_;
    bool current_open = true;
    while (m.partial_bytes > m.config.max_partial_bytes && m.oldest_holder != kNone) {
        Conn& victim = m.conns[m.oldest_holder];
        P2P_DEBUG("Rendezvous", "partial-line budget: closing %s:%u (%zu bytes held)", victim.ip,
                  victim.port, victim.held);
        if (&victim == &current) current_open = false;
        ++m.budget_closed;
        close_conn(victim);
    }
    MonoMs now = m.loop.now();
    if (m.budget_closed > m.budget_closed_reported &&
        (m.budget_warned_at == 0 || now - m.budget_warned_at >= kBudgetReportMs)) {
        P2P_WARN("Rendezvous",
                 "closed %llu slow connection(s) holding partial lines over the %zu KiB budget",
                 static_cast<unsigned long long>(m.budget_closed - m.budget_closed_reported),
                 m.config.max_partial_bytes / 1024);
        m.budget_closed_reported = m.budget_closed;
        m.budget_warned_at = now;
    }
    return current_open;
}

void RendezvousServer::answer(Conn& c, std::string_view reply) {
    Impl& m = *impl_;
    set_held(c, 0);  // the line is consumed
    char timeout_line[rdv::kRdvLineBytes];
    if (reply.empty()) {
        std::size_t k = rdv::encode_error(timeout_line, sizeof timeout_line, rdv::kMsgTimeout);
        reply = std::string_view(timeout_line, k);
    }
    ++m.requests;
    after_request();
    iovec iov{const_cast<char*>(reply.data()), reply.size()};
    std::size_t written = 0;
    platform::IoResult r = platform::sock_writev(c.fd, &iov, 1, &written);
    if (r == platform::IoResult::kOk && written == reply.size()) {
        close_conn(c);
        return;
    }
    if ((r != platform::IoResult::kOk && r != platform::IoResult::kAgain) ||
        m.pending_bytes + (reply.size() - written) > m.config.max_pending_output_bytes) {
        close_conn(c);
        return;
    }
    P2P_DEBUG("Rendezvous", "answer to %s:%u: %zu of %zu bytes wait for the socket", c.ip, c.port,
              reply.size() - written, reply.size());
    c.pending.assign(reply.data() + written, reply.size() - written);
    c.pending_off = 0;
    m.pending_bytes += c.pending.size();
    c.state = Conn::State::kWriting;
    c.last_activity = m.loop.now();
    m.loop.rewatch(c.fd, platform::kIoWrite, &c);
}

void RendezvousServer::write_ready(Conn& c) {
    Impl& m = *impl_;
    iovec iov{c.pending.data() + c.pending_off, c.pending.size() - c.pending_off};
    std::size_t written = 0;
    platform::IoResult r = platform::sock_writev(c.fd, &iov, 1, &written);
    if (r != platform::IoResult::kOk && r != platform::IoResult::kAgain) {
        close_conn(c);
        return;
    }
    c.pending_off += written;
    if (written > 0) c.last_activity = m.loop.now();
    if (c.pending_off == c.pending.size()) close_conn(c);
}

void RendezvousServer::close_conn(Conn& c) {
    Impl& m = *impl_;
    if (c.state == Conn::State::kFree) return;
    if (c.timer) m.loop.cancel(c.timer);
    c.timer = 0;
    m.loop.unwatch(c.fd);
    char* buf = m.read_buf.get();
    std::size_t got = 0, n = 0;
    while (got < kDrainBytes &&
           platform::sock_read(c.fd, buf, kReadBytes, &n) == platform::IoResult::kOk)
        got += n;
    platform::close_fd(c.fd);
    c.fd = -1;
    if (!c.pending.empty()) {
        m.pending_bytes -= c.pending.size();
        // Large answers are rare: give the memory back rather than keep the
        // biggest one ever seen in every slot.
        std::string().swap(c.pending);
    }
    set_held(c, 0);
    if (c.touched) {
        m.arena.release(c.partial, m.slot_stride);
        c.touched = false;
    }
    c.framer.reset();
    c.state = Conn::State::kFree;
    (c.older == kNone ? m.oldest : m.conns[c.older].newer) = c.newer;
    (c.newer == kNone ? m.newest : m.conns[c.newer].older) = c.older;
    c.older = c.newer = kNone;
    --m.open_conns;
    m.free_slots.push_back(c.index);
}

}  // namespace p2p::shell
