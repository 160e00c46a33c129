#include "shell/runtime/control_server.h"

#include <algorithm>
#include <charconv>

#include "core/limits.h"
#include "core/log.h"
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

// The client's connection: lines in through its own partial-line buffer, output
// bounded by ControlServerConfig::queue_bytes.
struct ControlClient::Io final : platform::ConnectionOwner {
    Io(ControlServer& s, ControlClient& c)
        : server(s), client(c), line_buf(new char[kMaxRequestBytes + 1]) {
        platform::ConnectionConfig cc;
        cc.read_buf = s.read_buf_.get();
        cc.read_cap = kReadBytes;
        cc.framing = platform::Framing::kLines;
        cc.line_buf = line_buf.get();
        cc.line_limit = kMaxRequestBytes;
        cc.max_output = s.config_.queue_bytes;
        conn.setup(s.loop_, *this, cc);
    }
    void on_line(platform::Connection&, char* line, std::size_t len) override {
        server.handle_request(client, std::string_view(line, len));
    }
    void on_line_too_long(platform::Connection&) override {
        client.send_raw("err - request too long\n");
    }
    void on_closed(platform::Connection&, platform::CloseReason reason) override {
        server.on_client_closed(client, reason);
    }

    ControlServer& server;
    ControlClient& client;
    std::unique_ptr<char[]> line_buf;
    platform::Connection conn;  // last: closed before the buffers it uses go
};

void ControlClient::send_raw(std::string_view a, std::string_view b) {
    if (doomed_) return;
    // Each write goes whole or not at all; after a refused one the connection closes on
    // the next turn of the loop without writing anything more, so a line is never left
    // half-written for the next.
    platform::Connection& conn = io_->conn;
    if (conn.write(a) && (b.empty() || conn.write(b))) return;
    doomed_ = true;
    unread_ = conn.pending_output();
}

void ControlClient::output(std::string_view lines) {
    ++screen_writes_;
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

ControlServer::ControlServer(platform::EventLoop& loop, ControlHandler& handler,
                             ControlServerConfig config)
    : loop_(loop),
      handler_(handler),
      config_(std::move(config)),
      listener_(loop, *this,
                {.module = kModule,
                 .max_connections = config_.max_clients,
                 .refusal = "bye too many attached clients\n"}),
      read_buf_(new char[kReadBytes + 1]) {}

ControlServer::~ControlServer() {
    stop();
}

bool ControlServer::start(std::string* err) {
    int fd = platform::unix_listen(config_.path, config_.mode, config_.group, err);
    if (fd < 0 || !listener_.adopt(fd, err)) return false;
    clients_.reserve(config_.max_clients);
    P2P_INFO(kModule, "control socket %s (mode %04o)", config_.path.c_str(), config_.mode);
    return true;
}

void ControlServer::stop(std::string_view reason) {
    if (!listener_.listening() && clients_.empty()) return;
    for (auto& c : clients_) {
        c->send_raw("bye ", reason);
        c->send_raw("\n");
        c->io_->conn.flush();
    }
    clients_.clear();  // each connection closes without a report
    if (sweep_timer_) loop_.cancel(sweep_timer_);
    sweep_timer_ = 0;
    if (listener_.listening()) {
        listener_.stop();
        platform::unix_unlink(config_.path);
    }
}

std::size_t ControlServer::clients() const {
    std::size_t n = 0;
    for (const auto& c : clients_)
        if (!c->doomed_) ++n;
    return n;
}

void ControlServer::on_accept(int fd, const platform::SockAddr&) {
    auto c = std::make_unique<ControlClient>();
    c->io_ = std::make_unique<ControlClient::Io>(*this, *c);
    if (!c->io_->conn.open(fd)) return;
    c->send_raw("hello p2pchat-control 1 ", config_.what);
    c->send_raw("\n");
    clients_.push_back(std::move(c));
}

void ControlServer::handle_request(ControlClient& c, std::string_view line) {
    std::string_view rest = line;
    std::string_view verb = next_word(rest);
    if (verb == "run" || verb == "ids") {
        std::string_view tag = next_word(rest);
        if (tag.empty()) tag = "-";
        bool ok = true;
        if (verb == "run") {
            // The typed line is on the client's screen now.
            ++c.screen_writes_;
            c.typed_rows_ = c.pending_typed_rows_;
            c.typed_at_ = c.screen_writes_;
            c.pending_typed_rows_ = 0;
            ok = handler_.on_control_command(c, rest);
        } else {
            handler_.on_control_ids(c);
        }
        c.send_raw(ok ? "ok " : "err ", tag);
        c.send_raw("\n");
    } else if (verb == "mode") {
        set_mode(c, rest);
    } else if (verb == "events") {
        c.events_ = rest != "off";
    } else if (verb == "readonly") {
        c.read_only_ = true;
    } else if (verb == "typed") {
        int rows = 0;
        std::from_chars(rest.data(), rest.data() + rest.size(), rows);
        c.pending_typed_rows_ = rows > 0 && rows <= 1000 ? rows : 0;
    } else if (!verb.empty()) {
        c.send_raw("err - unknown request (run, ids, mode, events, readonly, typed)\n");
    }
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

// A client's connection closed (it hung up, its output overflowed, a write failed). The
// client goes on the next turn of the loop: never in the middle of a callback or of a
// write to it.
void ControlServer::on_client_closed(ControlClient& c, platform::CloseReason reason) {
    if (reason == platform::CloseReason::kOutputFull)
        P2P_WARN(kModule, "attached client dropped: it stopped reading (%zu bytes unread)",
                 c.unread_);
    c.doomed_ = true;
    if (sweep_timer_ == 0) sweep_timer_ = loop_.schedule_in(0, this, 0);
}

void ControlServer::on_timer(std::uint64_t) {
    sweep_timer_ = 0;
    sweep();
}

void ControlServer::sweep() {
    std::erase_if(clients_, [](const auto& c) { return !c->io_->conn.is_open(); });
}

}  // namespace p2p::shell
