#include "shell/runtime/control_server.h"

#include <unistd.h>

#include <charconv>

#include "core/line_framer.h"
#include "core/log.h"
#include "platform/net.h"
#include "platform/output_queue.h"
#include "platform/unix_socket.h"

namespace p2p::shell {

namespace {

constexpr const char* kModule = "Control";
// A request is a command line plus "run TAG ".
constexpr std::size_t kMaxRequestBytes = kMaxLineBytes + 64;
constexpr std::size_t kReadBytes = 16 * 1024;

std::string_view next_word(std::string_view& s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    std::size_t sp = s.find(' ');
    std::string_view w = s.substr(0, sp);
    s = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
    return w;
}

}  // namespace

// The client's socket: read through the framer, written through a queue on a dup of
// it (the loop watches each descriptor for one handler: reads here, writes there).
struct ControlClient::Io final : platform::IoHandler {
    Io(ControlServer& s, ControlClient& c, int socket, std::size_t queue_bytes)
        : server(s),
          client(c),
          fd(socket),
          out_fd(::dup(socket)),
          out(out_fd >= 0 ? out_fd : socket, queue_bytes),
          partial(new char[kMaxRequestBytes + 1]),
          framer(partial.get(), kMaxRequestBytes) {}
    ~Io() {
        out.detach();
        if (out_fd >= 0) ::close(out_fd);
        platform::close_fd(fd);
    }
    void on_io(int, std::uint32_t) override;

    ControlServer& server;
    ControlClient& client;
    int fd;
    int out_fd;
    platform::OutputQueue out;
    std::unique_ptr<char[]> partial;
    LineFramer framer;
    bool closed = false;   // hung up (EOF, EPIPE): close on the next sweep
    bool watched = false;  // the loop watches fd for reads
};

void ControlClient::send_raw(std::string_view a, std::string_view b) {
    if (doomed_) return;
    // Each write goes whole or not at all; after a refused one the client is gone,
    // so a line is never left half-written for the next.
    if (io_->out.write(a) && (b.empty() || io_->out.write(b))) return;
    doomed_ = true;
    if (io_->out.reader_gone())
        io_->closed = true;  // it hung up: nothing to report
    else
        P2P_WARN(kModule, "attached client dropped: it stopped reading (%zu bytes unread)",
                 io_->out.backlog());
    io_->server.sweep_soon();
}

void ControlClient::output(std::string_view lines) {
    while (!lines.empty() && !doomed_) {
        std::size_t nl = lines.find('\n');
        std::size_t end = nl == std::string_view::npos ? lines.size() : nl + 1;
        send_raw("o ", lines.substr(0, end));
        if (nl == std::string_view::npos) send_raw("\n");
        lines.remove_prefix(end);
    }
}

void ControlClient::peer_id(std::string_view id) {
    send_raw("p ", id);
    send_raw("\n");
}

void ControlClient::Io::on_io(int, std::uint32_t) {
    server.read_client(client);
}

ControlServer::ControlServer(platform::EventLoop& loop, ControlHandler& handler,
                             ControlServerConfig config)
    : loop_(loop), handler_(handler), config_(std::move(config)), read_buf_(new char[kReadBytes]) {}

ControlServer::~ControlServer() {
    stop();
}

bool ControlServer::start(std::string* err) {
    listen_fd_ = platform::unix_listen(config_.path, config_.mode, config_.group, err);
    if (listen_fd_ < 0) return false;
    if (!loop_.watch(listen_fd_, platform::kIoRead, this)) {
        if (err) *err = "cannot watch the control socket";
        platform::close_fd(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    clients_.reserve(config_.max_clients);
    P2P_INFO(kModule, "control socket %s (mode %04o)", config_.path.c_str(), config_.mode);
    return true;
}

void ControlServer::stop(std::string_view reason) {
    if (listen_fd_ < 0 && clients_.empty()) return;
    for (auto& c : clients_) {
        if (!c) continue;
        c->send_raw("bye ", reason);
        c->send_raw("\n");
        c->io_->out.flush();
    }
    while (!clients_.empty())
        close_client(clients_.size() - 1);
    if (sweep_timer_) loop_.cancel(sweep_timer_);
    sweep_timer_ = 0;
    if (listen_fd_ >= 0) {
        loop_.unwatch(listen_fd_);
        platform::close_fd(listen_fd_);
        listen_fd_ = -1;
        platform::unix_unlink(config_.path);
    }
}

std::size_t ControlServer::clients() const {
    std::size_t n = 0;
    for (const auto& c : clients_)
        if (c && !c->doomed_) ++n;
    return n;
}

void ControlServer::on_io(int, std::uint32_t) {
    accept_all();
}

void ControlServer::accept_all() {
    for (;;) {
        int fd = platform::unix_accept(listen_fd_);
        if (fd < 0) return;
        if (clients_.size() >= config_.max_clients) {
            const char full[] = "bye too many attached clients\n";
            iovec iov{const_cast<char*>(full), sizeof full - 1};
            std::size_t n = 0;
            platform::sock_writev(fd, &iov, 1, &n);
            platform::close_fd(fd);
            continue;
        }
        auto c = std::make_unique<ControlClient>();
        c->io_ = std::make_unique<ControlClient::Io>(*this, *c, fd, config_.queue_bytes);
        c->io_->out.attach(loop_);
        if (!loop_.watch(fd, platform::kIoRead, c->io_.get())) continue;
        c->io_->watched = true;
        c->send_raw("hello p2pchat-control 1 ", config_.what);
        c->send_raw("\n");
        clients_.push_back(std::move(c));
    }
}

void ControlServer::read_client(ControlClient& c) {
    ControlClient::Io& io = *c.io_;
    if (c.doomed_ || io.closed) return;
    std::size_t n = 0;
    platform::IoResult r = platform::sock_read(io.fd, read_buf_.get(), kReadBytes, &n);
    if (r == platform::IoResult::kAgain) return;
    if (r != platform::IoResult::kOk) {
        io.closed = true;
        loop_.unwatch(io.fd);
        io.watched = false;
        sweep_soon();
        return;
    }
    io.framer.feed(read_buf_.get(), n, [&](LineFramer::Event ev, char* line, std::size_t len) {
        if (c.doomed_) return;
        if (ev == LineFramer::Event::kTooLong) {
            c.send_raw("err - request too long\n");
            return;
        }
        handle_request(c, std::string_view(line, len));
    });
}

void ControlServer::handle_request(ControlClient& c, std::string_view line) {
    std::string_view rest = line;
    std::string_view verb = next_word(rest);
    if (verb == "run" || verb == "ids") {
        std::string_view tag = next_word(rest);
        if (tag.empty()) tag = "-";
        bool ok = true;
        if (verb == "run")
            ok = handler_.on_control_command(c, rest);
        else
            handler_.on_control_ids(c);
        c.send_raw(ok ? "ok " : "err ", tag);
        c.send_raw("\n");
    } else if (verb == "mode") {
        set_mode(c, rest);
    } else if (verb == "events") {
        c.events_ = rest != "off";
    } else if (!verb.empty()) {
        c.send_raw("err - unknown request (run, ids, mode, events)\n");
    }
    sweep_soon();
}

// A new width only changes where lines wrap (the client's console asks for it per
// line); a new mode or colour makes the program build the client's console anew.
void ControlServer::set_mode(ControlClient& c, std::string_view args) {
    std::string_view word = next_word(args);
    ControlMode mode = word == "json"  ? ControlMode::kJson
                       : word == "tty" ? ControlMode::kTty
                                       : ControlMode::kPlain;
    std::string_view width = next_word(args);
    int w = 0;
    auto [p, ec] = std::from_chars(width.data(), width.data() + width.size(), w);
    (void)p;
    c.width_ = ec == std::errc() && w >= 20 && w <= 1000 ? w : 80;
    bool colour = next_word(args) == "colour";
    if (mode == c.mode_ && colour == c.colour_) return;
    c.mode_ = mode;
    c.colour_ = colour;
    handler_.on_control_mode(c);
}

void ControlServer::sweep_soon() {
    bool any = false;
    for (const auto& c : clients_)
        if (c && (c->doomed_ || c->io_->closed)) any = true;
    if (any && sweep_timer_ == 0) sweep_timer_ = loop_.schedule_in(0, this, 0);
}

void ControlServer::on_timer(std::uint64_t) {
    sweep_timer_ = 0;
    sweep();
}

void ControlServer::sweep() {
    for (std::size_t i = clients_.size(); i-- > 0;) {
        ControlClient& c = *clients_[i];
        if (!c.doomed_ && !c.io_->closed) continue;
        if (c.doomed_ && !c.io_->closed) ++dropped_clients_;
        close_client(i);
    }
}

void ControlServer::close_client(std::size_t index) {
    ControlClient& c = *clients_[index];
    if (c.io_->watched) loop_.unwatch(c.io_->fd);
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
}

}  // namespace p2p::shell
