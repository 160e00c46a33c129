// The sockets behind the engine's peer links (core/node.h), on the reactor.
//
// The engine decides; this runs it on the platform's connection layer
// (platform/connection.h, platform/listener.h): accept inbound connections and
// hand them to the Node, dial where the Node asks (platform TcpConnector: no
// blocking DNS or connect), pass every readable link's bytes from one shared
// read buffer to Node::on_bytes (never more than Node::read_room), stop
// reading a link while the Node has it paused (backpressure), and write what
// the Node queued. Writes are not made as they are queued: want_write() only
// marks the link, and flush() — called from the EventLoop's before-sleep hook —
// has each marked link gather the Node's queued slices into one writev, so a
// burst of messages costs one system call per link.
//
// Each slot is one Connection (the loop's record for its descriptor, so there
// is no fd map here) with its connector. Slots are allocated at attach() for
// the Node's link capacity; opening, using and closing links allocates nothing
// but the LinkId index node. A slot's Connection is constructed in its storage
// on the slot's first use, so a node sized for thousands of links keeps the
// storage of those never opened untouched (not resident).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/node.h"
#include "platform/connection.h"
#include "platform/connector.h"
#include "platform/event_loop.h"
#include "platform/listener.h"
#include "platform/net.h"
#include "platform/resolver.h"
#include "platform/secure_transform.h"

namespace p2p::shell {

class PeerLinks final : private platform::ConnectionOwner, private platform::ListenerOwner {
  public:
    static constexpr std::size_t kReadBufferBytes = 64 * 1024;
    static constexpr MonoMs kDialTimeoutMs = 5'000;

    PeerLinks(platform::EventLoop& loop, platform::Resolver& resolver);
    ~PeerLinks();
    PeerLinks(const PeerLinks&) = delete;
    PeerLinks& operator=(const PeerLinks&) = delete;

    // The Node whose links these are; sizes the slots from its capacity.
    void attach(Node& node);
    // The node's key material (docs/protocol.md §8), before the first connection; without
    // it no link is secured. `on_secured` hears of each link whose handshake completed.
    void set_credentials(const NoiseCredentials* credentials,
                         std::function<void(LinkId, const IdentityPublic&)> on_secured);
    // The Noise handshake must be done by then after the HELLO / HELLO_OK.
    static constexpr MonoMs kSecureHandshakeMs = 10'000;
    // NodeHost::secure_link: start the handshake on `link`.
    bool secure(LinkId link, bool initiator);
    // The identity the peer of `link` proved, or nullptr when the link is not secured.
    const IdentityPublic* peer_identity(LinkId link) const;

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

  private:
    struct Slot {
        LinkId id = kNoLink;
        bool dirty = false;                    // queued in dirty_
        bool read_paused = false;              // the Node asked us to stop reading it
        platform::Connection* conn = nullptr;  // in conn_storage_, from the first use on
        std::unique_ptr<platform::TcpConnector> connector;
        // The link's channel, made with the Connection when there are credentials.
        std::unique_ptr<platform::SecureTransform> secure;
        bool secured_told = false;  // on_secured_ heard of this connection's handshake
    };
    // Room for one Connection, left uninitialised until the slot is first used.
    struct alignas(platform::Connection) ConnStorage {
        unsigned char bytes[sizeof(platform::Connection)];
    };

    Slot& slot(std::size_t index);
    Slot& slot_of(platform::Connection& c);
    // The slot's Connection, constructed on the first call.
    platform::Connection& connection(std::size_t index);
    int alloc_slot(LinkId id);
    void free_slot(std::size_t index);
    int index_of(LinkId id) const;
    void on_dialed(std::size_t index, LinkId id, int fd, const std::string& error);
    // The slot's connection is up (accepted or dialed): start reading it.
    bool open_slot(std::size_t index, int fd);

    // platform::ConnectionOwner: the Node is the reader and the output queue.
    void on_bytes(platform::Connection& c, char* data, std::size_t len) override;
    std::size_t read_room(platform::Connection& c) override;
    void on_read(platform::Connection& c) override;
    std::size_t output(platform::Connection& c, platform::ByteSlice* slices,
                       std::size_t max) override;
    void consumed(platform::Connection& c, std::size_t bytes) override;
    void on_closed(platform::Connection& c, platform::CloseReason reason) override;
    // platform::ListenerOwner
    void on_accept(int fd, const platform::SockAddr& peer) override;
    std::size_t open_connections() const override;
    bool on_full(const platform::SockAddr& peer) override;

    platform::EventLoop& loop_;
    platform::Resolver& resolver_;
    platform::Listener listener_;
    Node* node_ = nullptr;

    std::unique_ptr<Slot[]> slots_;
    // Never moved: the loop points at each Connection.
    std::unique_ptr<ConnStorage[]> conn_storage_;
    platform::ConnectionConfig conn_config_;
    std::size_t slot_count_ = 0;
    std::vector<std::size_t> free_;   // indices of unused slots
    std::vector<std::size_t> dirty_;  // slots with output to flush
    std::vector<std::size_t> flushing_;
    std::unordered_map<LinkId, std::size_t> by_id_;
    std::unique_ptr<char[]> read_buf_;
    const NoiseCredentials* credentials_ = nullptr;
    std::function<void(LinkId, const IdentityPublic&)> on_secured_;
};

}  // namespace p2p::shell
