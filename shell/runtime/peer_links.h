// The sockets behind the engine's peer links (core/node.h), on the reactor.
//
// The engine decides; this runs it: accept inbound connections and hand them
// to the Node, dial where the Node asks (platform TcpConnector: no blocking
// DNS or connect), read every readable link into one shared buffer and pass
// the bytes on (never more than the Node can hold: Node::read_room), stop
// reading a link while the Node has it paused (backpressure), and write what
// the Node queued. Writes are not made as they
// are queued: want_write() only marks the link, and flush() — called from the
// EventLoop's before-sleep hook — gathers each marked link's queued slices
// into one writev, so a burst of messages costs one system call per link.
//
// Slots are allocated at construction for the Node's link capacity; opening,
// using and closing links allocates nothing but the LinkId index node.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/node.h"
#include "platform/accept_pause.h"
#include "platform/connector.h"
#include "platform/event_loop.h"
#include "platform/net.h"
#include "platform/resolver.h"

namespace p2p::shell {

class PeerLinks final : public platform::IoHandler {
  public:
    static constexpr std::size_t kReadBufferBytes = 64 * 1024;
    static constexpr MonoMs kDialTimeoutMs = 5'000;
    // Slices gathered into one writev (the kernel takes at most IOV_MAX).
    static constexpr std::size_t kMaxSlices = 64;

    PeerLinks(platform::EventLoop& loop, platform::Resolver& resolver);
    ~PeerLinks();
    PeerLinks(const PeerLinks&) = delete;
    PeerLinks& operator=(const PeerLinks&) = delete;

    // The Node whose links these are; sizes the slots from its capacity.
    void attach(Node& node);

    // Starts accepting on `addr`. False with *err on failure.
    bool listen(const platform::SockAddr& addr, int backlog, std::string* err);
    // The bound address (port chosen by the kernel for port 0).
    platform::SockAddr listen_address() const;
    void stop_listening();

    // NodeHost duties, forwarded by the app. Called from inside the Node:
    // none of them calls back into it.
    bool dial(LinkId link, std::string_view host, std::uint16_t port);
    void close_link(LinkId link);
    void want_write(LinkId link);
    // Backpressure: stop or start watching `link` for reading. Its bytes wait
    // in the kernel, whose full buffer slows the sender (TCP flow control).
    void pause_reading(LinkId link, bool paused);

    // Writes what the Node has queued on every marked link. From the
    // before-sleep hook; calls into the Node (output/consumed/on_link_down).
    // True if links were marked again meanwhile and still wait: the caller
    // must not let the loop sleep on them (arm an immediate wake-up).
    bool flush();
    // Closes every socket without telling the Node (the app is exiting).
    void close_all();

    std::size_t open_sockets() const { return open_; }

    void on_io(int fd, std::uint32_t events) override;

  private:
    struct Slot {
        LinkId id = kNoLink;
        int fd = -1;
        bool dirty = false;          // queued in dirty_
        bool want_writable = false;  // watching kIoWrite (kernel buffer was full)
        bool read_paused = false;    // the Node asked us to stop reading it
        std::unique_ptr<platform::TcpConnector> connector;
    };

    int alloc_slot(LinkId id);
    void free_slot(int index);
    int slot_of(LinkId id) const;
    void on_dialed(int index, LinkId id, int fd, const std::string& error);
    void accept_all();
    void read_link(int index);
    void flush_slot(int index);
    void set_write_interest(Slot& slot, bool on);
    void update_interest(Slot& slot);
    // The socket failed or the peer closed: forget it, then tell the Node.
    void link_down(int index, LinkDownReason reason);

    platform::EventLoop& loop_;
    platform::Resolver& resolver_;
    platform::AcceptPause accept_pause_;
    Node* node_ = nullptr;

    int listen_fd_ = -1;
    std::vector<Slot> slots_;
    std::vector<int> free_;   // indices of unused slots
    std::vector<int> dirty_;  // slots with output to flush
    std::vector<int> flushing_;
    std::vector<int> by_fd_;  // fd -> slot index or -1
    std::unordered_map<LinkId, int> by_id_;
    std::unique_ptr<char[]> read_buf_;
    std::size_t open_ = 0;
};

}  // namespace p2p::shell
