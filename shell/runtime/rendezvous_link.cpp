#include "shell/runtime/rendezvous_link.h"

#include <cstring>
#include <utility>

#include "core/invariant.h"
#include "core/log.h"
#include "core/rendezvous_wire.h"
#include "platform/net.h"

namespace p2p::shell {

namespace {
constexpr const char* kModule = "Rendezvous";
}  // namespace

// ---- RendezvousLink ---------------------------------------------------------------

RendezvousLink::RendezvousLink(platform::EventLoop& loop, platform::Resolver& resolver,
                               MonoMs timeout_ms, std::size_t max_response)
    : loop_(loop),
      connector_(loop, resolver),
      timeout_ms_(timeout_ms),
      read_buf_(kReadBytes + 1),
      response_(max_response + 1) {
    platform::ConnectionConfig cc;
    cc.read_buf = read_buf_.data();
    cc.read_cap = kReadBytes;
    cc.framing = platform::Framing::kLines;
    cc.line_buf = response_.data();
    cc.line_limit = max_response;
    cc.max_output = kMaxRequestBytes + 1;
    conn_.setup(loop, *this, cc);
}

RendezvousLink::~RendezvousLink() {
    reset();
}

bool RendezvousLink::start(std::uint64_t id, std::string_view request, Done done) {
    if (busy() || request.size() > kMaxRequestBytes) return false;
    std::memcpy(request_, request.data(), request.size());
    request_[request.size()] = '\n';
    request_len_ = request.size() + 1;
    id_ = id;
    done_ = std::move(done);
    ++generation_;
    phase_ = Phase::kConnecting;
    // One deadline for the whole exchange; the connector's own is the same
    // length, so whichever fires first reports.
    timer_ = loop_.schedule_in(timeout_ms_, this, generation_);
    if (!connector_.connect(
            server_.host, server_.port, timeout_ms_,
            [this](int fd, const std::string& error) { on_connected(fd, error); })) {
        reset();
        done_ = nullptr;
        return false;
    }
    return true;
}

void RendezvousLink::cancel() {
    reset();
    done_ = nullptr;
}

void RendezvousLink::reset() {
    connector_.cancel();
    conn_.discard();
    if (timer_) {
        loop_.cancel(timer_);
        timer_ = 0;
    }
    phase_ = Phase::kIdle;
    ++generation_;
}

void RendezvousLink::on_connected(int fd, const std::string& error) {
    // Every way out of kConnecting goes through reset(), which cancels the connector:
    // no answer comes for an abandoned attempt.
    P2P_ASSERT(phase_ == Phase::kConnecting);
    if (fd < 0) {
        finish_fail(RdvFailure::kConnect, error);
        return;
    }
    if (!conn_.open(fd)) {
        finish_fail(RdvFailure::kIo, "cannot watch the socket");
        return;
    }
    phase_ = Phase::kExchanging;
    // The request is far below the socket buffer: it goes now, or a failure closes the
    // connection on the next turn of the loop (on_closed).
    conn_.write(std::string_view(request_, request_len_));
}

void RendezvousLink::on_line(platform::Connection&, char* line, std::size_t len) {
    finish_ok(line, len);
}

void RendezvousLink::on_line_too_long(platform::Connection&) {
    finish_fail(RdvFailure::kTooLong, "answer longer than " + std::to_string(response_.size() - 1));
}

// An answer missing only its '\n' is still an answer; nothing at all is how a server
// that blocks us (or is not a rendezvous) says no.
void RendezvousLink::on_eof(platform::Connection& c) {
    // The framer keeps one byte past the limit for a '\r' whose '\n' is still to come.
    std::size_t held = c.partial_bytes();
    bool ends_in_cr = held > 0 && response_[held - 1] == '\r';
    std::size_t len = 0;
    char* line = c.partial_line(&len);
    if (!line) {
        finish_fail(RdvFailure::kClosed, "closed without an answer");
        return;
    }
    if (ends_in_cr) {
        len = held - 1;
    } else if (held > len) {
        on_line_too_long(c);
        return;
    }
    line[len] = '\0';
    finish_ok(line, len);
}

void RendezvousLink::on_closed(platform::Connection&, platform::CloseReason reason) {
    finish_fail(RdvFailure::kIo, platform::close_reason_name(reason));
}

void RendezvousLink::on_timer(std::uint64_t tag) {
    if (tag != generation_ || phase_ == Phase::kIdle) return;
    timer_ = 0;
    bool connected = phase_ != Phase::kConnecting;
    finish_fail(connected ? RdvFailure::kTimeout : RdvFailure::kConnect,
                connected ? "no answer in time" : "connect timed out");
}

// `line` (NUL-terminated, writable) is in read_buf_ or response_, which nothing touches
// until the next exchange is connected: it stays valid through the callback.
void RendezvousLink::finish_ok(char* line, std::size_t len) {
    Done done = std::move(done_);
    done_ = nullptr;
    std::uint64_t id = id_;
    reset();  // idle before the callback, so it may start the next request
    Outcome outcome;
    outcome.ok = true;
    outcome.line = line;
    outcome.len = len;
    if (done) done(id, outcome);
}

void RendezvousLink::finish_fail(RdvFailure failure, std::string detail) {
    Done done = std::move(done_);
    done_ = nullptr;
    std::uint64_t id = id_;
    reset();
    Outcome outcome;
    outcome.ok = false;
    outcome.failure = failure;
    outcome.detail = std::move(detail);
    if (done) done(id, outcome);
}

// ---- requests ---------------------------------------------------------------------

std::size_t encode_rdv_request(const RdvRequest& request, char* out, std::size_t cap) {
    std::size_t n = 0;
    switch (request.kind) {
        case RdvRequestKind::kRegister:
            n = rdv::encode_register(out, cap, request.ns, request.name, request.port,
                                     request.ttl_s);
            break;
        case RdvRequestKind::kDiscover:
            n = rdv::encode_discover(out, cap, request.ns);
            break;
        case RdvRequestKind::kUnregister:
            n = rdv::encode_unregister(out, cap, request.ns, request.name, request.port);
            break;
    }
    // The encoders end the line; the link adds its own '\n'.
    return n > 0 && out[n - 1] == '\n' ? n - 1 : n;
}

// ---- RendezvousDriver -----------------------------------------------------------------

RendezvousDriver::RendezvousDriver(platform::EventLoop& loop, RendezvousClient& client,
                                   RendezvousLink& link)
    : loop_(loop), client_(client), link_(link) {}

RendezvousDriver::~RendezvousDriver() {
    if (timer_) loop_.cancel(timer_);
    link_.cancel();
}

void RendezvousDriver::pump() {
    if (in_pump_) return;  // an outcome delivered synchronously lands here again
    in_pump_ = true;
    // shutdown() abandons the client's request in flight; drop its socket too.
    if (!client_.in_flight() && link_.busy()) link_.cancel();

    RdvRequest req;
    while (!link_.busy() && client_.next_request(req)) {
        char line[RendezvousLink::kMaxRequestBytes];
        std::size_t len = encode_rdv_request(req, line, sizeof line);
        if (len == 0 || !link_.start(req.id, std::string_view(line, len),
                                     [this](std::uint64_t id, RendezvousLink::Outcome& o) {
                                         on_outcome(id, o);
                                     })) {
            client_.on_failure(req.id, RdvFailure::kIo);
        }
    }

    MonoMs deadline = client_.next_deadline();
    if (deadline != timer_at_) {
        if (timer_) loop_.cancel(timer_);
        timer_ = 0;
        timer_at_ = deadline;
        if (deadline != kNeverMs) timer_ = loop_.schedule_at(deadline, this, 0);
    }
    in_pump_ = false;
}

void RendezvousDriver::on_timer(std::uint64_t) {
    timer_ = 0;
    timer_at_ = kNeverMs;
    client_.tick();
    pump();
}

void RendezvousDriver::on_outcome(std::uint64_t id, RendezvousLink::Outcome& outcome) {
    if (!outcome.ok) {
        P2P_DEBUG(kModule, "request %llu to %s failed: %s (%s)",
                  static_cast<unsigned long long>(id), link_.server().to_string().c_str(),
                  rdv_failure_name(outcome.failure), outcome.detail.c_str());
        client_.on_failure(id, outcome.failure, platform::connect_error_cause(outcome.detail));
    } else {
        client_.on_response_line(id, outcome.line, outcome.len, arena_);
    }
    pump();
}

}  // namespace p2p::shell
