#include "shell/runtime/rendezvous_link.h"

#include <cstring>
#include <utility>

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
      response_(max_response + 1) {}

RendezvousLink::~RendezvousLink() {
    reset();
}

bool RendezvousLink::start(std::uint64_t id, std::string_view request, Done done) {
    if (busy() || request.size() > kMaxRequestBytes) return false;
    std::memcpy(request_, request.data(), request.size());
    request_[request.size()] = '\n';
    request_len_ = request.size() + 1;
    written_ = 0;
    received_ = 0;
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
    if (fd_ >= 0) {
        loop_.unwatch(fd_);
        platform::close_fd(fd_);
        fd_ = -1;
    }
    if (timer_) {
        loop_.cancel(timer_);
        timer_ = 0;
    }
    phase_ = Phase::kIdle;
    ++generation_;
}

void RendezvousLink::on_connected(int fd, const std::string& error) {
    if (phase_ != Phase::kConnecting) {
        if (fd >= 0) platform::close_fd(fd);
        return;
    }
    if (fd < 0) {
        finish_fail(RdvFailure::kConnect, error);
        return;
    }
    fd_ = fd;
    if (!loop_.watch(fd_, platform::kIoWrite, this)) {
        finish_fail(RdvFailure::kIo, "cannot watch the socket");
        return;
    }
    phase_ = Phase::kWriting;
    try_write();
}

void RendezvousLink::on_io(int fd, std::uint32_t events) {
    if (fd != fd_) return;
    if (phase_ == Phase::kWriting && (events & (platform::kIoWrite | platform::kIoHangup)))
        try_write();
    else if (phase_ == Phase::kReading)
        try_read();
}

void RendezvousLink::try_write() {
    iovec iov{request_ + written_, request_len_ - written_};
    std::size_t n = 0;
    platform::IoResult r = platform::sock_writev(fd_, &iov, 1, &n);
    if (r == platform::IoResult::kOk || r == platform::IoResult::kAgain) written_ += n;
    if (r == platform::IoResult::kClosed || r == platform::IoResult::kError) {
        finish_fail(RdvFailure::kIo, "write failed");
        return;
    }
    if (written_ < request_len_) return;  // the rest when writable again
    phase_ = Phase::kReading;
    loop_.rewatch(fd_, platform::kIoRead, this);
}

void RendezvousLink::try_read() {
    // Level-triggered: one read per readiness keeps the loop fair to others.
    std::size_t cap = response_.size() - 1;
    if (received_ >= cap) {
        finish_fail(RdvFailure::kTooLong, "answer longer than " + std::to_string(cap));
        return;
    }
    std::size_t n = 0;
    platform::IoResult r =
        platform::sock_read(fd_, response_.data() + received_, cap - received_, &n);
    if (r == platform::IoResult::kAgain) return;
    if (r == platform::IoResult::kError) {
        finish_fail(RdvFailure::kIo, "read failed");
        return;
    }
    if (r == platform::IoResult::kClosed) {
        // An answer missing only its '\n' is still an answer; nothing at all
        // is how a server that blocks us (or is not a rendezvous) says no.
        if (received_ > 0) {
            finish_ok(received_);
        } else {
            finish_fail(RdvFailure::kClosed, "closed without an answer");
        }
        return;
    }
    char* start = response_.data() + received_;
    received_ += n;
    if (void* nl = std::memchr(start, '\n', n)) {
        finish_ok(static_cast<std::size_t>(static_cast<char*>(nl) - response_.data()));
        return;
    }
    if (received_ >= cap)
        finish_fail(RdvFailure::kTooLong, "answer longer than " + std::to_string(cap));
}

void RendezvousLink::on_timer(std::uint64_t tag) {
    if (tag != generation_ || phase_ == Phase::kIdle) return;
    timer_ = 0;
    bool connected = phase_ != Phase::kConnecting;
    finish_fail(connected ? RdvFailure::kTimeout : RdvFailure::kConnect,
                connected ? "no answer in time" : "connect timed out");
}

void RendezvousLink::finish_ok(std::size_t line_len) {
    if (line_len > 0 && response_[line_len - 1] == '\r') --line_len;
    response_[line_len] = '\0';
    Done done = std::move(done_);
    done_ = nullptr;
    std::uint64_t id = id_;
    reset();  // idle before the callback, so it may start the next request
    Outcome outcome;
    outcome.ok = true;
    outcome.line = response_.data();
    outcome.len = line_len;
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
        client_.on_failure(id, outcome.failure);
    } else {
        client_.on_response_line(id, outcome.line, outcome.len, arena_);
    }
    pump();
}

}  // namespace p2p::shell
