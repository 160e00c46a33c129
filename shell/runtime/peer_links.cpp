#include "shell/runtime/peer_links.h"

#include <algorithm>
#include <memory>
#include <new>

#include "core/invariant.h"
#include "core/log.h"
#include "core/log_throttle.h"
#include "platform/random.h"

namespace p2p::shell {

namespace {
constexpr const char* kModule = "Links";
// Reads per readiness event: enough for a burst, fair to the other links.
constexpr int kReadsPerEvent = 4;
// Flush passes per before-sleep: writing may make the Node queue more (a
// BYE after a flushed reply) and that must not wait for the next wake-up.
constexpr int kFlushPasses = 4;

platform::ListenerConfig listener_config() {
    platform::ListenerConfig c;
    c.module = kModule;
    c.max_connections = 0;  // no slots until attach()
    return c;
}
}  // namespace

PeerLinks::PeerLinks(platform::EventLoop& loop, platform::Resolver& resolver)
    : loop_(loop),
      resolver_(resolver),
      listener_(loop, *this, listener_config()),
      read_buf_(new char[kReadBufferBytes + 1]) {}

PeerLinks::~PeerLinks() {
    close_all();
    stop_listening();
    for (std::size_t i = 0; i < slot_count_; ++i)
        if (slots_[i].conn) std::destroy_at(slots_[i].conn);
}

void PeerLinks::attach(Node& node) {
    P2P_ASSERT(node_ == nullptr);  // once: the slots are sized for this Node
    node_ = &node;
    std::size_t n = node.link_slots();
    slots_ = std::make_unique<Slot[]>(n);
    // Default-initialised (no constructor, no zeroing): pages of slots never used
    // are not written, so they cost address space only.
    conn_storage_.reset(new ConnStorage[n]);
    slot_count_ = n;
    free_.clear();
    free_.reserve(n);
    for (std::size_t i = n; i-- > 0;)
        free_.push_back(i);
    dirty_.reserve(n);
    flushing_.reserve(n);
    by_id_.reserve(n * 2);
    conn_config_.read_buf = read_buf_.get();
    conn_config_.read_cap = kReadBufferBytes;
    conn_config_.framing = platform::Framing::kRaw;  // the Node frames its own lines
    conn_config_.owner_output = true;                // the Node's queue is the output
    conn_config_.reads_per_event = kReadsPerEvent;
    for (std::size_t i = 0; i < n; ++i)
        slots_[i].connector = std::make_unique<platform::TcpConnector>(loop_, resolver_);
    // Every slot may be an accepted link; the Node refuses past its own limits.
    listener_.set_max_connections(n);
}

bool PeerLinks::listen(const platform::SockAddr& addr, int backlog, std::string* err) {
    return listener_.listen_tcp(addr, backlog, err);
}

platform::SockAddr PeerLinks::listen_address() const {
    return listener_.address();
}

void PeerLinks::stop_listening() {
    listener_.stop();
}

// ---- slots -----------------------------------------------------------------------------

PeerLinks::Slot& PeerLinks::slot(std::size_t index) {
    P2P_ASSERT(index < slot_count_);
    return slots_[index];
}

PeerLinks::Slot& PeerLinks::slot_of(platform::Connection& c) {
    std::size_t index = static_cast<std::size_t>(c.tag());
    P2P_ASSERT(index < slot_count_ && slots_[index].conn == &c);
    return slots_[index];
}

platform::Connection& PeerLinks::connection(std::size_t index) {
    Slot& s = slot(index);
    if (!s.conn) {
        platform::ConnectionConfig config = conn_config_;
        if (credentials_) {
            s.secure = std::make_unique<platform::SecureTransform>(credentials_);
            config.transform = s.secure.get();
        }
        s.conn = new (&conn_storage_[index]) platform::Connection(loop_, *this, config);
        s.conn->set_tag(index);
    }
    return *s.conn;
}

int PeerLinks::alloc_slot(LinkId id) {
    if (free_.empty()) return -1;
    std::size_t index = free_.back();
    free_.pop_back();
    Slot& s = slot(index);
    s.id = id;
    s.dirty = false;
    s.read_paused = false;
    by_id_[id] = index;
    return static_cast<int>(index);
}

void PeerLinks::free_slot(std::size_t index) {
    Slot& s = slot(index);
    if (s.id == kNoLink) return;
    s.connector->cancel();
    if (s.conn) s.conn->discard();  // no report: the caller tells the Node, or the Node asked
    by_id_.erase(s.id);
    s.id = kNoLink;
    // A stale entry in dirty_ is skipped by flush() (its flag was cleared here).
    s.dirty = false;
    free_.push_back(index);
}

int PeerLinks::index_of(LinkId id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? -1 : static_cast<int>(it->second);
}

std::size_t PeerLinks::open_connections() const {
    return slot_count_ - free_.size();
}

// Every slot is a link (up, handshaking or dialing): the connection is refused before
// the Node sees it, which it would have to turn away anyway.
bool PeerLinks::on_full(const platform::SockAddr& peer) {
    char ip[64];
    peer.ip(ip, sizeof ip);
    P2P_WARN_LIMITED(kModule, "inbound connections refused (every socket slot in use)", ip,
                     "%zu socket slots in use: refusing a connection from %s", slot_count_, ip);
    return false;
}

bool PeerLinks::open_slot(std::size_t index, int fd) {
    platform::Connection& c = connection(index);
    Slot& s = slot(index);
    if (s.secure) s.secure->channel().reset();  // plaintext until the engine secures it
    s.secured_told = false;
    if (!c.open(fd)) return false;  // fd closed
    if (slot(index).read_paused) c.pause_reading(true);
    return true;
}

// ---- NodeHost duties ---------------------------------------------------------------------

bool PeerLinks::dial(LinkId link, std::string_view host, std::uint16_t port) {
    int index = alloc_slot(link);
    if (index < 0) {
        P2P_WARN_LIMITED(kModule, "dials without a socket slot", host,
                         "no socket slot for a dial to %.*s:%u", static_cast<int>(host.size()),
                         host.data(), static_cast<unsigned>(port));
        return false;
    }
    std::size_t i = static_cast<std::size_t>(index);
    bool started = slot(i).connector->connect(
        std::string(host), port, kDialTimeoutMs,
        [this, i, link](int fd, const std::string& error) { on_dialed(i, link, fd, error); });
    if (!started) {
        free_slot(i);
        return false;
    }
    return true;
}

void PeerLinks::on_dialed(std::size_t index, LinkId id, int fd, const std::string& error) {
    Slot& s = slot(index);
    if (s.id != id) {  // closed meanwhile (the connector is cancelled then; belt and braces)
        if (fd >= 0) platform::close_fd(fd);
        return;
    }
    if (fd < 0) {
        P2P_DEBUG(kModule, "dial failed: %s", error.c_str());
        free_slot(index);
        node_->on_link_down(id, LinkDownReason::kConnectFailed,
                            platform::connect_error_cause(error));
        return;
    }
    if (!open_slot(index, fd)) {
        free_slot(index);
        node_->on_link_down(id, LinkDownReason::kError);
        return;
    }
    node_->on_link_connected(id);
}

void PeerLinks::close_link(LinkId link) {
    int index = index_of(link);
    if (index >= 0) free_slot(static_cast<std::size_t>(index));
}

void PeerLinks::want_write(LinkId link) {
    int index = index_of(link);
    if (index < 0) return;
    Slot& s = slot(static_cast<std::size_t>(index));
    if (s.dirty) return;
    s.dirty = true;
    dirty_.push_back(static_cast<std::size_t>(index));
}

void PeerLinks::pause_reading(LinkId link, bool paused) {
    int index = index_of(link);
    if (index < 0) return;
    Slot& s = slot(static_cast<std::size_t>(index));
    s.read_paused = paused;  // kept for a dial still connecting
    if (s.conn && s.conn->is_open()) s.conn->pause_reading(paused);
}

void PeerLinks::close_all() {
    for (std::size_t i = 0; i < slot_count_; ++i)
        if (slots_[i].id != kNoLink) free_slot(i);
    dirty_.clear();
}

bool PeerLinks::flush() {
    for (int pass = 0; pass < kFlushPasses && !dirty_.empty(); ++pass) {
        flushing_.swap(dirty_);
        dirty_.clear();
        for (std::size_t index : flushing_) {
            Slot& s = slot(index);
            if (!s.dirty) continue;  // freed (and maybe reused) since it was marked
            s.dirty = false;
            // Still dialing: the Node's queue waits for the connect. Kernel full:
            // the writable event takes the rest.
            if (s.conn && s.conn->is_open()) s.conn->flush();
        }
        flushing_.clear();
    }
    // Still more after several passes: the next iteration takes the rest,
    // after the loop has polled the other sockets once.
    return !dirty_.empty();
}

// ---- the connection layer's calls ------------------------------------------------------

void PeerLinks::on_accept(int fd, const platform::SockAddr& peer) {
    char ip[64];
    peer.ip(ip, sizeof ip);
    LinkId id = node_->on_link_accepted(ip, peer.port());
    if (id == kNoLink) {
        // The engine logged why (throttled): too many waiting for a HELLO.
        platform::close_fd(fd);
        return;
    }
    int index = alloc_slot(id);
    if (index < 0) {
        platform::close_fd(fd);
        node_->on_link_down(id, LinkDownReason::kError);
        return;
    }
    if (!open_slot(static_cast<std::size_t>(index), fd)) {
        free_slot(static_cast<std::size_t>(index));
        node_->on_link_down(id, LinkDownReason::kError);
    }
}

void PeerLinks::on_bytes(platform::Connection& c, char* data, std::size_t len) {
    // The engine parses in place and may write data[len].
    node_->on_bytes(slot_of(c).id, data, len);
}

std::size_t PeerLinks::read_room(platform::Connection& c) {
    Slot& s = slot_of(c);
    std::size_t room = node_->read_room(s.id);
    // A frame that came in pieces is decrypted with what follows it: leave it room.
    if (s.secure) room = std::min(room, s.secure->channel().read_room(kReadBufferBytes));
    return room;
}

void PeerLinks::on_read(platform::Connection& c) {
    Slot& s = slot_of(c);
    if (!s.secure || s.secured_told || !s.secure->channel().secured()) return;
    s.secured_told = true;
    c.set_deadline(0);  // the handshake is done
    // What the engine queued meanwhile (after its HELLO_OK) can go now: the responder
    // finished on reading message 3, which writes nothing of its own to carry it.
    want_write(s.id);
    if (on_secured_) on_secured_(s.id, s.secure->channel().peer_identity());
}

void PeerLinks::set_credentials(const NoiseCredentials* credentials,
                                std::function<void(LinkId, const IdentityPublic&)> on_secured) {
    credentials_ = credentials;
    on_secured_ = std::move(on_secured);
}

bool PeerLinks::secure(LinkId link, bool initiator) {
    int index = index_of(link);
    if (index < 0 || !credentials_) return false;
    Slot& s = slot(static_cast<std::size_t>(index));
    if (!s.secure || !s.conn || !s.conn->is_open()) return false;
    noise::Key ephemeral;
    std::string error;
    if (!platform::random_bytes(ephemeral.data(), ephemeral.size())) {
        P2P_WARN(kModule, "no random bytes for a handshake key: link not secured");
        return false;
    }
    bool ok = s.secure->channel().begin(initiator, ephemeral, &error);
    ephemeral.fill(0);
    if (!ok) {
        P2P_WARN(kModule, "cannot secure a link: %s", error.c_str());
        return false;
    }
    s.conn->set_deadline(loop_.now() + kSecureHandshakeMs);
    want_write(link);  // the dialer's message 1 (the writes happen before the loop sleeps)
    return true;
}

const IdentityPublic* PeerLinks::peer_identity(LinkId link) const {
    int index = index_of(link);
    if (index < 0) return nullptr;
    const Slot& s = slots_[static_cast<std::size_t>(index)];
    if (!s.secure || !s.secure->channel().secured()) return nullptr;
    return &s.secure->channel().peer_identity();
}

std::size_t PeerLinks::output(platform::Connection& c, platform::ByteSlice* slices,
                              std::size_t max) {
    return node_->output(slot_of(c).id, slices, max);
}

void PeerLinks::consumed(platform::Connection& c, std::size_t bytes) {
    // The Node may close the link from here (its BYE went out).
    node_->consumed(slot_of(c).id, bytes);
}

// The socket failed or the peer closed: forget the slot, then tell the Node.
void PeerLinks::on_closed(platform::Connection& c, platform::CloseReason reason) {
    std::size_t index = static_cast<std::size_t>(c.tag());
    Slot& s = slot_of(c);
    LinkId id = s.id;
    if (reason == platform::CloseReason::kTransform && s.secure)
        P2P_WARN(kModule, "secured link closed: %s", s.secure->channel().failure());
    else if (reason == platform::CloseReason::kTimeout && s.secure &&
             s.secure->channel().upgrading() && !s.secure->channel().secured())
        P2P_WARN(kModule, "secured link closed: the handshake did not finish in time");
    free_slot(index);
    node_->on_link_down(id, reason == platform::CloseReason::kPeerClosed
                                ? LinkDownReason::kClosedByPeer
                                : LinkDownReason::kError);
}

}  // namespace p2p::shell
