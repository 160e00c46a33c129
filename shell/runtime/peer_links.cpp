#include "shell/runtime/peer_links.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "core/log.h"
#include "core/log_throttle.h"

namespace p2p::shell {

namespace {
constexpr const char* kModule = "Links";
// Reads per readiness event: enough for a burst, fair to the other links.
constexpr int kReadsPerEvent = 4;
// Connections accepted per readiness event of the listening socket.
constexpr int kAcceptsPerEvent = 64;
// Flush passes per before-sleep: writing may make the Node queue more (a
// BYE after a flushed reply) and that must not wait for the next wake-up.
constexpr int kFlushPasses = 4;
}  // namespace

PeerLinks::PeerLinks(platform::EventLoop& loop, platform::Resolver& resolver)
    : loop_(loop),
      resolver_(resolver),
      accept_pause_(loop, kModule),
      read_buf_(new char[kReadBufferBytes + 1]) {}

PeerLinks::~PeerLinks() {
    close_all();
    stop_listening();
}

void PeerLinks::attach(Node& node) {
    node_ = &node;
    std::size_t n = node.link_slots();
    slots_.resize(n);
    free_.clear();
    free_.reserve(n);
    for (std::size_t i = n; i-- > 0;)
        free_.push_back(static_cast<int>(i));
    dirty_.reserve(n);
    flushing_.reserve(n);
    by_id_.reserve(n * 2);
    for (Slot& s : slots_)
        s.connector = std::make_unique<platform::TcpConnector>(loop_, resolver_);
}

bool PeerLinks::listen(const platform::SockAddr& addr, int backlog, std::string* err) {
    listen_fd_ = platform::tcp_listen(addr, backlog, err);
    if (listen_fd_ < 0) return false;
    if (!loop_.watch(listen_fd_, platform::kIoRead, this)) {
        if (err) *err = "cannot watch the listening socket";
        platform::close_fd(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    return true;
}

platform::SockAddr PeerLinks::listen_address() const {
    return platform::local_addr(listen_fd_);
}

void PeerLinks::stop_listening() {
    if (listen_fd_ < 0) return;
    if (!accept_pause_.paused()) loop_.unwatch(listen_fd_);
    accept_pause_.cancel();
    platform::close_fd(listen_fd_);
    listen_fd_ = -1;
}

// ---- slots -----------------------------------------------------------------------------

int PeerLinks::alloc_slot(LinkId id) {
    if (free_.empty()) return -1;
    int index = free_.back();
    free_.pop_back();
    Slot& s = slots_[static_cast<std::size_t>(index)];
    s.id = id;
    s.fd = -1;
    s.dirty = false;
    s.want_writable = false;
    s.read_paused = false;
    by_id_[id] = index;
    return index;
}

void PeerLinks::free_slot(int index) {
    Slot& s = slots_[static_cast<std::size_t>(index)];
    if (s.id == kNoLink) return;
    s.connector->cancel();
    if (s.fd >= 0) {
        loop_.unwatch(s.fd);
        if (static_cast<std::size_t>(s.fd) < by_fd_.size())
            by_fd_[static_cast<std::size_t>(s.fd)] = -1;
        platform::close_fd(s.fd);
        s.fd = -1;
        --open_;
    }
    by_id_.erase(s.id);
    s.id = kNoLink;
    s.want_writable = false;
    // A stale entry in dirty_ is skipped by flush() (id no longer matches).
    free_.push_back(index);
}

int PeerLinks::slot_of(LinkId id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? -1 : it->second;
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
    Slot& s = slots_[static_cast<std::size_t>(index)];
    bool started = s.connector->connect(std::string(host), port, kDialTimeoutMs,
                                        [this, index, link](int fd, const std::string& error) {
                                            on_dialed(index, link, fd, error);
                                        });
    if (!started) {
        free_slot(index);
        return false;
    }
    return true;
}

void PeerLinks::on_dialed(int index, LinkId id, int fd, const std::string& error) {
    Slot& s = slots_[static_cast<std::size_t>(index)];
    if (s.id != id) {  // closed meanwhile (the connector is cancelled then; belt and braces)
        if (fd >= 0) platform::close_fd(fd);
        return;
    }
    if (fd < 0) {
        P2P_DEBUG(kModule, "dial failed: %s", error.c_str());
        free_slot(index);
        node_->on_link_down(id, LinkDownReason::kConnectFailed);
        return;
    }
    s.fd = fd;
    ++open_;
    if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(fd + 1, -1);
    by_fd_[static_cast<std::size_t>(fd)] = index;
    if (!loop_.watch(fd, platform::kIoRead, this)) {
        link_down(index, LinkDownReason::kError);
        return;
    }
    node_->on_link_connected(id);
}

void PeerLinks::close_link(LinkId link) {
    int index = slot_of(link);
    if (index >= 0) free_slot(index);
}

void PeerLinks::want_write(LinkId link) {
    int index = slot_of(link);
    if (index < 0) return;
    Slot& s = slots_[static_cast<std::size_t>(index)];
    if (s.dirty) return;
    s.dirty = true;
    dirty_.push_back(index);
}

void PeerLinks::pause_reading(LinkId link, bool paused) {
    int index = slot_of(link);
    if (index < 0) return;
    Slot& s = slots_[static_cast<std::size_t>(index)];
    if (s.read_paused == paused) return;
    s.read_paused = paused;
    update_interest(s);
}

void PeerLinks::close_all() {
    for (std::size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].id != kNoLink) free_slot(static_cast<int>(i));
    dirty_.clear();
}

// ---- I/O ------------------------------------------------------------------------------------

void PeerLinks::on_io(int fd, std::uint32_t events) {
    if (fd == listen_fd_) {
        accept_all();
        return;
    }
    if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size()) return;
    int index = by_fd_[static_cast<std::size_t>(fd)];
    if (index < 0) return;
    Slot& s = slots_[static_cast<std::size_t>(index)];
    LinkId id = s.id;
    if (events & platform::kIoWrite) {
        set_write_interest(s, false);
        flush_slot(index);
        if (s.id != id) return;
    }
    if (!(events & (platform::kIoRead | platform::kIoHangup))) return;
    if (s.read_paused) {
        // Not watched for reading, so only a reset or full hang-up wakes us:
        // nothing more can come, and waiting would spin the loop.
        if (events & platform::kIoHangup) link_down(index, LinkDownReason::kError);
        return;
    }
    read_link(index);
}

void PeerLinks::accept_all() {
    for (int i = 0; i < kAcceptsPerEvent; ++i) {
        platform::SockAddr peer;
        int error = 0;
        int fd = platform::tcp_accept(listen_fd_, &peer, &error);
        if (fd < 0) {
            // Out of descriptors: stop watching the listener for a moment rather than
            // spin on it at full CPU (the established links must keep being served).
            accept_pause_.on_accept_failed(listen_fd_, this, error);
            return;
        }
        accept_pause_.on_accepted();
        char ip[64];
        peer.ip(ip, sizeof ip);
        LinkId id = node_->on_link_accepted(ip, peer.port());
        if (id == kNoLink) {
            // The engine logged why (throttled): too many waiting for a HELLO.
            platform::close_fd(fd);
            continue;
        }
        int index = alloc_slot(id);
        if (index < 0) {
            platform::close_fd(fd);
            node_->on_link_down(id, LinkDownReason::kError);
            continue;
        }
        Slot& s = slots_[static_cast<std::size_t>(index)];
        s.fd = fd;
        ++open_;
        if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(fd + 1, -1);
        by_fd_[static_cast<std::size_t>(fd)] = index;
        if (!loop_.watch(fd, platform::kIoRead, this)) link_down(index, LinkDownReason::kError);
    }
}

void PeerLinks::read_link(int index) {
    Slot& s = slots_[static_cast<std::size_t>(index)];
    LinkId id = s.id;
    for (int i = 0; i < kReadsPerEvent && s.id == id && !s.read_paused; ++i) {
        // Never more than the engine can hold if it has to pause mid-read.
        std::size_t want = std::min(kReadBufferBytes, node_->read_room(id));
        if (want == 0) return;
        std::size_t n = 0;
        switch (platform::sock_read(s.fd, read_buf_.get(), want, &n)) {
            case platform::IoResult::kOk:
                // The engine parses in place and may write read_buf_[n].
                node_->on_bytes(id, read_buf_.get(), n);
                if (n < want) return;  // drained
                break;
            case platform::IoResult::kAgain:
                return;
            case platform::IoResult::kClosed:
                link_down(index, LinkDownReason::kClosedByPeer);
                return;
            case platform::IoResult::kError:
                link_down(index, LinkDownReason::kError);
                return;
        }
    }
}

void PeerLinks::set_write_interest(Slot& s, bool on) {
    if (s.want_writable == on || s.fd < 0) return;
    s.want_writable = on;
    update_interest(s);
}

void PeerLinks::update_interest(Slot& s) {
    if (s.fd < 0) return;
    std::uint32_t interest = 0;
    if (!s.read_paused) interest |= platform::kIoRead;
    if (s.want_writable) interest |= platform::kIoWrite;
    loop_.rewatch(s.fd, interest, this);
}

bool PeerLinks::flush() {
    for (int pass = 0; pass < kFlushPasses && !dirty_.empty(); ++pass) {
        flushing_.swap(dirty_);
        dirty_.clear();
        for (int index : flushing_) {
            Slot& s = slots_[static_cast<std::size_t>(index)];
            if (!s.dirty) continue;  // freed (and maybe reused) since it was marked
            s.dirty = false;
            flush_slot(index);
        }
        flushing_.clear();
    }
    // Still more after several passes: the next iteration takes the rest,
    // after the loop has polled the other sockets once.
    return !dirty_.empty();
}

void PeerLinks::flush_slot(int index) {
    Slot& s = slots_[static_cast<std::size_t>(index)];
    LinkId id = s.id;
    if (id == kNoLink || s.fd < 0 || s.want_writable) return;  // dialing, or kernel full
    OutSlice slices[kMaxSlices];
    iovec iov[kMaxSlices];
    for (;;) {
        std::size_t count = node_->output(id, slices, kMaxSlices);
        if (s.id != id || count == 0) return;
        std::size_t total = 0;
        for (std::size_t i = 0; i < count; ++i) {
            iov[i].iov_base = const_cast<char*>(slices[i].data);
            iov[i].iov_len = slices[i].len;
            total += slices[i].len;
        }
        std::size_t written = 0;
        platform::IoResult r = platform::sock_writev(s.fd, iov, static_cast<int>(count), &written);
        if (r == platform::IoResult::kClosed || r == platform::IoResult::kError) {
            link_down(index, LinkDownReason::kError);
            return;
        }
        if (written > 0) {
            node_->consumed(id, written);
            if (s.id != id) return;  // the Node closed it (e.g. its BYE went out)
        }
        if (written < total) {
            set_write_interest(s, true);  // the rest when the kernel has room
            return;
        }
    }
}

void PeerLinks::link_down(int index, LinkDownReason reason) {
    LinkId id = slots_[static_cast<std::size_t>(index)].id;
    free_slot(index);
    node_->on_link_down(id, reason);
}

}  // namespace p2p::shell
