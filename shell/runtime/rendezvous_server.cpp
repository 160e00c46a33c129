#include "shell/runtime/rendezvous_server.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "core/invariant.h"
#include "core/line_framer.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "core/rendezvous_wire.h"
#include "platform/files.h"
#include "platform/pages.h"
#include "shell/runtime/memory_registry.h"
#if P2P_HAVE_REDIS
#include "shell/runtime/redis_registry.h"
#endif

namespace p2p::shell {

namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// One shared read buffer for every connection (+1 for the in-situ NUL).
constexpr std::size_t kReadBytes = 64 * 1024;
// Accepts per readiness event, so a flood of connects cannot starve the
// connections already accepted.
constexpr int kAcceptBatch = 256;
// Bytes read and discarded before closing, so the close sends FIN, not the
// RST that would make the client drop our answer unread.
constexpr std::size_t kDrainBytes = 256 * 1024;
// Bytes written to one connection per turn of the loop: a 1.5 MiB DISCOVER answer
// to a client that reads fast goes out in pieces between everybody else's requests.
constexpr std::size_t kWriteQuantum = 64 * 1024;
// The kernel's send buffer per connection (it doubles it). Left to autotuning it grows
// to megabytes, and a client that never reads made the kernel copy most of a 1.5 MiB
// answer into it: with hundreds of such clients that copying was most of the server's
// CPU. Capped, such a client costs at most this much copying and kernel memory; the
// rest of its answer stays in the shared buffer until it reads or times out.
constexpr int kSendBufferBytes = 64 * 1024;
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

// One slot: a connection (its tag is the slot's index) and what the server keeps
// about it.
struct RendezvousServer::Conn {
    platform::Connection conn;
    MonoMs accepted_at = 0;
    MonoMs last_activity = 0;
    std::uint32_t older = kNone, newer = kNone;  // accept order, for eviction
    char ip[64] = {};
    std::uint16_t port = 0;
    // Bumped at every close: a backend's late answer for an earlier connection in this
    // slot carries another ticket (RendezvousServer::ticket_of()).
    std::uint32_t generation = 0;
    bool admitting = false;   // reading paused until the backend admits it
    bool waiting = false;     // the request is with the backend
    char* partial = nullptr;  // this slot's partial-line buffer in the arena
    std::size_t held = 0;     // partial bytes, as counted in Impl::partial_bytes
    bool touched = false;     // `partial` was written since accept: release its pages
    // Connections holding a partial line, oldest holder first: the victims when the
    // budget for partial lines is exceeded.
    std::uint32_t older_holder = kNone, newer_holder = kNone;
    bool answered = false;
    // The answer's unwritten rest: in a shared DISCOVER answer (`shared`, which every
    // connection asking for the same listing writes from), or in the registry's short
    // answer buffer while it is written at once, or in `copy` when the socket did not
    // take all of a short answer.
    std::string_view out;
    SharedAnswerPtr shared;
    bool shared_charged = false;  // counted in shared->writers
    std::string copy;
    bool out_copied = false;
};

struct RendezvousServer::Impl {
    platform::EventLoop& loop;
    RendezvousServerConfig config;
    std::unique_ptr<RegistryBackend> registry;
    platform::Listener listener;
    platform::SockAddr bound;
    std::unique_ptr<Conn[]> conns;  // config.max_connections slots
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
    bool owns_log_clock = false;  // start() gave log_throttle() our loop's clock
    std::uint64_t accepted = 0;   // connections since start (Stats)

    // The server's own cap (max_connections, oldest evicted) comes after the rate
    // limit in on_accept(), so a blocked client never evicts anyone (with the in-memory
    // registry; Redis decides later, after the connection took its slot): the
    // listener's cap is not used.
    Impl(platform::EventLoop& l, RendezvousServerConfig c, platform::ListenerOwner& owner,
         RegistryBackend::Waiter& waiter)
        : loop(l),
          config(std::move(c)),
          registry(make_registry(l, config, waiter)),
          listener(l, owner,
                   {.module = "Rendezvous",
                    .max_connections = std::numeric_limits<std::size_t>::max(),
                    .accepts_per_event = kAcceptBatch,
                    .refusal = {}}) {}

    static std::unique_ptr<RegistryBackend> make_registry(platform::EventLoop& loop,
                                                          const RendezvousServerConfig& config,
                                                          RegistryBackend::Waiter& waiter) {
#if P2P_HAVE_REDIS
        if (!config.registry_url.empty()) {
            RedisRegistryConfig rc;
            rc.url = config.registry_url;
            rc.registry = config.registry;
            rc.reply_timeout_ms = config.registry_timeout_ms;
            rc.max_waiting = config.registry_queue;
            if (!config.db_path.empty())
                P2P_WARN("Rendezvous", "--db %s is not used: the registry is in %s",
                         config.db_path.c_str(), config.registry_url.c_str());
            return std::make_unique<RedisRegistry>(loop, waiter, std::move(rc));
        }
#else
        (void)waiter;
        if (!config.registry_url.empty())
            P2P_ERROR("Rendezvous", "built without Redis: ignoring %s",
                      config.registry_url.c_str());
#endif
        return std::make_unique<MemoryRegistry>(
            loop, MemoryRegistryConfig{config.registry, config.db_path, config.db_write_delay_ms});
    }
};

namespace {

RegistryBackend::Ticket ticket_of(std::uint64_t index, std::uint32_t generation) {
    return (static_cast<RegistryBackend::Ticket>(generation) << 32) | index;
}

}  // namespace

RendezvousServer::RendezvousServer(platform::EventLoop& loop, RendezvousServerConfig config)
    : impl_(std::make_unique<Impl>(loop, std::move(config),
                                   static_cast<platform::ListenerOwner&>(*this),
                                   static_cast<RegistryBackend::Waiter&>(*this))) {
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
    m.conns.reset(new Conn[m.config.max_connections]);
    m.free_slots.reserve(m.config.max_connections);
    platform::ConnectionConfig cc;
    cc.read_buf = m.read_buf.get();
    cc.read_cap = kReadBytes;
    cc.framing = platform::Framing::kLines;
    cc.owner_output = true;  // the answer is written from the registry's buffer
    cc.drain_on_close = kDrainBytes;
    cc.write_quantum = kWriteQuantum;
    for (std::size_t i = m.config.max_connections; i-- > 0;) {
        Conn& c = m.conns[i];
        c.partial = m.arena.data() + i * m.slot_stride;
        cc.line_buf = c.partial;
        c.conn.setup(loop, *this, cc);
        c.conn.set_tag(i);
        m.free_slots.push_back(static_cast<std::uint32_t>(i));
    }
}

RendezvousServer::~RendezvousServer() {
    stop();
}

RendezvousServer::Conn& RendezvousServer::slot(std::uint64_t index) {
    P2P_ASSERT(index < impl_->config.max_connections);
    return impl_->conns[index];
}

platform::SockAddr RendezvousServer::bound_address() const {
    return impl_->bound;
}

RendezvousServer::Stats RendezvousServer::stats() {
    Impl& m = *impl_;
    Stats s;
    s.registrations = m.registry->registrations();
    s.open_connections = m.open_conns;
    s.connections = m.accepted;
    s.requests = m.requests;
    s.blocked = m.blocked;
    s.blocked_ips = m.registry->blocked_ips();
    return s;
}

std::size_t RendezvousServer::open_connections() const {
    return impl_->open_conns;
}

bool RendezvousServer::start(const platform::SockAddr& addr, std::string* err) {
    Impl& m = *impl_;
    if (m.listener.listening()) {
        if (err) *err = "already started";
        return false;
    }
    if (!m.config.db_path.empty() && !platform::check_private_file_path(m.config.db_path, err))
        return false;
    m.registry->start();
    if (!m.listener.listen_tcp(addr, m.config.backlog, err)) return false;
    m.bound = m.listener.address();
    if (!log_throttle().clock()) {  // the standalone server: no NodeRuntime set it
        log_throttle().set_clock(&m.loop.clock());
        m.owns_log_clock = true;
    }
    P2P_INFO("Rendezvous", "listening on %s (%zu registrations, up to %zu connections)",
             m.bound.to_string().c_str(), m.registry->registrations(), m.config.max_connections);
    return true;
}

void RendezvousServer::stop() {
    Impl& m = *impl_;
    if (m.owns_log_clock) {
        log_throttle().set_clock(nullptr);
        m.owns_log_clock = false;
    }
    m.listener.stop();
    while (m.oldest != kNone)
        slot(m.oldest).conn.close(platform::CloseReason::kByOwner);
    m.registry->stop();
}

// ---- connections ---------------------------------------------------------------

void RendezvousServer::on_accept(int fd, const platform::SockAddr& peer) {
    Impl& m = *impl_;
    ++m.accepted;
    char ip_buf[64];
    std::string_view ip = plain_ip(peer.ip(ip_buf, sizeof ip_buf));
    std::uint16_t port = peer.port();

    // A backend that decides at once refuses before the connection takes a slot.
    std::string_view reply;
    Registry::Admission admission = Registry::Admission::kAdmit;
    bool full = m.free_slots.empty();
    std::uint32_t index = full ? m.oldest : m.free_slots.back();
    // When full, evict_oldest() below closes that slot's connection, which moves the
    // slot's generation on: the new connection's ticket has the next one.
    RegistryBackend::Ticket ticket = ticket_of(index, slot(index).generation + (full ? 1 : 0));
    bool decided = m.registry->admit(ip, port, ticket, &admission, &reply);
    if (decided && admission != Registry::Admission::kAdmit) {
        ++m.blocked;
        if (admission == Registry::Admission::kBlocked) {
            P2P_DEBUG("Rendezvous", "blocked %.*s:%u", static_cast<int>(ip.size()), ip.data(),
                      port);
        } else {
            reply = {};  // the connection that crosses the limit gets no answer
            P2P_WARN("Rendezvous", "%.*s exceeded %u connections per %lld s: blocking it",
                     static_cast<int>(ip.size()), ip.data(), m.config.registry.rate_limit,
                     static_cast<long long>(m.config.registry.rate_window_ms / 1000));
        }
        platform::refuse_connection(fd, reply, kDrainBytes);
        return;
    }

    platform::set_send_buffer(fd, kSendBufferBytes);
    if (m.free_slots.empty()) evict_oldest();  // `index`: its generation moved on
    P2P_ASSERT(m.free_slots.back() == index);
    m.free_slots.pop_back();
    Conn& c = slot(index);
    P2P_ASSERT(ticket == ticket_of(index, c.generation));
    if (!c.conn.open(fd)) {
        ++c.generation;  // the backend's answer for this ticket is not awaited
        m.free_slots.push_back(index);
        return;
    }
    // Until the backend admits it nothing is read: a blocked client gets the block
    // message, not an answer.
    c.admitting = !decided;
    if (c.admitting) c.conn.pause_reading(true);
    c.conn.set_tag(index);
    c.accepted_at = c.last_activity = m.loop.now();
    std::size_t ip_len = std::min(ip.size(), sizeof c.ip - 1);
    std::memcpy(c.ip, ip.data(), ip_len);
    c.ip[ip_len] = '\0';
    c.port = port;
    c.older = m.newest;
    c.newer = kNone;
    (m.newest == kNone ? m.oldest : slot(m.newest).newer) = index;
    m.newest = index;
    ++m.open_conns;
    c.conn.set_deadline(deadline_of(c));
}

// Full: the connection waiting longest is, in practice, one that never sends; it gets
// the timeout answer early.
void RendezvousServer::evict_oldest() {
    Impl& m = *impl_;
    Conn& victim = slot(m.oldest);
    P2P_WARN_LIMITED("Rendezvous", "oldest connections closed (server full)", "",
                     "%zu connections open: closing the oldest (%s:%u)", m.open_conns, victim.ip,
                     victim.port);
    if (!victim.answered) answer(victim, Registry::Reply());  // the timeout reply
    // Also if that reply could not be written at once.
    victim.conn.close(platform::CloseReason::kByOwner);
}

MonoMs RendezvousServer::deadline_of(const Conn& c) const {
    const RendezvousServerConfig& config = impl_->config;
    return std::min(c.last_activity + config.idle_timeout_ms,
                    c.accepted_at + config.request_timeout_ms);
}

// Activity moves the deadline without touching the timer; it is re-armed here when it
// fires early.
void RendezvousServer::on_deadline(platform::Connection& cn) {
    Conn& c = conn_of(cn);
    MonoMs deadline = deadline_of(c);
    if (impl_->loop.now() < deadline) {
        cn.set_deadline(deadline);
        return;
    }
    if (c.answered) {
        cn.close(platform::CloseReason::kTimeout);  // the client does not read its answer
        return;
    }
    if (c.waiting || c.admitting) {
        // The backend did not answer in time (it fails its own requests sooner).
        char out[rdv::kRdvLineBytes];
        answer(c, Registry::Reply(std::string_view(
                      out, rdv::encode_error(out, sizeof out, rdv::kMsgRegistryUnavailable))));
        return;
    }
    P2P_DEBUG("Rendezvous", "timeout waiting for %s:%u", c.ip, c.port);
    answer(c, Registry::Reply());
}

// Only the first line matters: once it is answered the connection reads no more.
void RendezvousServer::on_line(platform::Connection& cn, char* line, std::size_t len) {
    Conn& c = conn_of(cn);
    if (c.answered || c.waiting) return;
    ask(c, line, len);
}

void RendezvousServer::ask(Conn& c, char* line, std::size_t len) {
    Registry::Reply reply;
    if (impl_->registry->answer(line, len, c.ip, c.port, ticket_of(c.conn.tag(), c.generation),
                                &reply)) {
        answer(c, reply);
        return;
    }
    c.waiting = true;
    set_held(c, 0);  // the line is with the backend
}

RendezvousServer::Conn* RendezvousServer::waiting(RegistryBackend::Ticket ticket) {
    std::uint64_t index = ticket & 0xffff'ffffu;
    if (index >= impl_->config.max_connections) return nullptr;
    Conn& c = slot(index);
    if (!c.conn.is_open() || ticket_of(index, c.generation) != ticket) return nullptr;
    return &c;
}

void RendezvousServer::admitted(RegistryBackend::Ticket ticket, Registry::Admission admission,
                                std::string_view reply) {
    Conn* c = waiting(ticket);
    if (!c || !c->admitting) return;
    c->admitting = false;
    if (admission == Registry::Admission::kAdmit) {
        c->conn.pause_reading(false);
        return;
    }
    Impl& m = *impl_;
    ++m.blocked;
    if (admission == Registry::Admission::kCloseSilently) {
        P2P_WARN("Rendezvous", "%s exceeded %u connections per %lld s: blocking it", c->ip,
                 m.config.registry.rate_limit,
                 static_cast<long long>(m.config.registry.rate_window_ms / 1000));
        c->conn.close(platform::CloseReason::kByOwner);
        return;
    }
    P2P_DEBUG("Rendezvous", "blocked %s:%u", c->ip, c->port);
    --m.requests;  // a refusal, not a request (answer() counts one)
    answer(*c, Registry::Reply(reply));
}

void RendezvousServer::answered(RegistryBackend::Ticket ticket, const Registry::Reply& reply) {
    Conn* c = waiting(ticket);
    if (!c || !c->waiting) return;
    c->waiting = false;
    answer(*c, reply);
}

void RendezvousServer::on_line_too_long(platform::Connection& cn) {
    Conn& c = conn_of(cn);
    if (c.answered) return;
    char out[rdv::kRdvLineBytes];
    std::size_t k = rdv::encode_line_too_long(out, sizeof out, kMaxLineBytes);
    answer(c, Registry::Reply(std::string_view(out, k)));
}

// EOF: what came without a newline is the request (as in the reference); nothing at
// all is an empty request, which must not touch (and make resident) the arena.
void RendezvousServer::on_eof(platform::Connection& cn) {
    Conn& c = conn_of(cn);
    if (c.answered || c.waiting) return;
    std::size_t len = 0;
    char* line = cn.partial_line(&len);
    char empty[1] = {'\0'};
    ask(c, line ? line : empty, len);
}

void RendezvousServer::on_read(platform::Connection& cn) {
    Conn& c = conn_of(cn);
    if (c.answered) return;
    c.last_activity = impl_->loop.now();
    set_held(c, cn.partial_bytes());
    enforce_partial_budget(c);
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
        (m.newest_holder == kNone ? m.oldest_holder : slot(m.newest_holder).newer_holder) =
            static_cast<std::uint32_t>(c.conn.tag());
        m.newest_holder = static_cast<std::uint32_t>(c.conn.tag());
    } else if (bytes == 0 && was_holder) {
        (c.older_holder == kNone ? m.oldest_holder : slot(c.older_holder).newer_holder) =
            c.newer_holder;
        (c.newer_holder == kNone ? m.newest_holder : slot(c.newer_holder).older_holder) =
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
        Conn& victim = slot(m.oldest_holder);
        P2P_DEBUG("Rendezvous", "partial-line budget: closing %s:%u (%zu bytes held)", victim.ip,
                  victim.port, victim.held);
        if (&victim == &current) current_open = false;
        ++m.budget_closed;
        victim.conn.close(platform::CloseReason::kByOwner);
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

// The answer goes out from where it is (the registry's short-answer buffer, or the
// shared DISCOVER answer) as far as the socket takes it now, at most kWriteQuantum per
// turn; the connection closes once it is all written.
void RendezvousServer::answer(Conn& c, const Registry::Reply& reply) {
    Impl& m = *impl_;
    set_held(c, 0);  // the line is consumed
    char timeout_line[rdv::kRdvLineBytes];
    std::string_view text = reply.text;
    if (text.empty()) {
        std::size_t k = rdv::encode_error(timeout_line, sizeof timeout_line, rdv::kMsgTimeout);
        text = std::string_view(timeout_line, k);
    }
    ++m.requests;
    c.answered = true;
    c.shared = reply.shared;  // held (no copy) until it is written or the connection closes
    c.out = text;
    c.conn.close_when_flushed(platform::CloseReason::kByOwner);
    if (!c.conn.is_open()) return;  // all written (or failed): closed
    // The rest waits for the socket. Memory is charged to the budget for all
    // connections once per buffer: a thousand clients waiting for the same shared
    // answer hold one copy of it, and a client that does not read costs a reference.
    if (c.shared) {
        if (c.shared->writers == 0 &&
            m.pending_bytes + c.shared->text.size() > m.config.max_pending_output_bytes) {
            c.conn.close(platform::CloseReason::kByOwner);
            return;
        }
        if (c.shared->writers++ == 0) m.pending_bytes += c.shared->text.size();
        c.shared_charged = true;
    } else {
        if (m.pending_bytes + c.out.size() > m.config.max_pending_output_bytes) {
            c.conn.close(platform::CloseReason::kByOwner);
            return;
        }
        c.copy.assign(c.out);
        c.out = c.copy;
        c.out_copied = true;
        m.pending_bytes += c.out.size();
    }
    P2P_DEBUG("Rendezvous", "answer to %s:%u: %zu of %zu bytes wait for the socket", c.ip, c.port,
              c.out.size(), text.size());
    c.last_activity = m.loop.now();
}

std::size_t RendezvousServer::output(platform::Connection& cn, platform::ByteSlice* slices,
                                     std::size_t max) {
    Conn& c = conn_of(cn);
    if (c.out.empty() || max == 0) return 0;
    slices[0] = platform::ByteSlice{c.out.data(), c.out.size()};
    return 1;
}

void RendezvousServer::consumed(platform::Connection& cn, std::size_t bytes) {
    Impl& m = *impl_;
    Conn& c = conn_of(cn);
    c.out.remove_prefix(bytes);
    if (c.out_copied) m.pending_bytes -= bytes;
    if (c.out_copied || c.shared_charged) c.last_activity = m.loop.now();
}

void RendezvousServer::on_closed(platform::Connection& cn, platform::CloseReason) {
    Impl& m = *impl_;
    Conn& c = conn_of(cn);
    if (c.out_copied) {
        m.pending_bytes -= c.out.size();
        c.out_copied = false;
    }
    if (c.shared_charged && --c.shared->writers == 0) m.pending_bytes -= c.shared->text.size();
    c.shared_charged = false;
    c.shared.reset();  // the last writer of a replaced answer frees it
    c.out = {};
    c.answered = false;
    c.admitting = c.waiting = false;
    ++c.generation;
    set_held(c, 0);
    if (c.touched) {
        m.arena.release(c.partial, m.slot_stride);
        c.touched = false;
    }
    std::uint32_t index = static_cast<std::uint32_t>(cn.tag());
    (c.older == kNone ? m.oldest : slot(c.older).newer) = c.newer;
    (c.newer == kNone ? m.newest : slot(c.newer).older) = c.older;
    c.older = c.newer = kNone;
    --m.open_conns;
    m.free_slots.push_back(index);
}

}  // namespace p2p::shell
