// A peer that speaks the protocol by hand, for wire-level tests (Mosquitto's
// black-box tests are the model): connect to a node or accept its dial, write
// exact bytes, read exact lines back, with timeouts and never a fixed sleep.
//
// Everything is blocking-with-deadline on 127.0.0.1; one RawPeer is used from
// one thread.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rapidjson/document.h"

namespace p2p::test {

using std::chrono::milliseconds;

// One received line seen as JSON, for field-level checks where exact bytes
// cannot be known in advance (msg_ids and timestamps the node generates).
class JsonLine {
  public:
    explicit JsonLine(std::string_view line);
    bool is_object() const { return doc_.IsObject(); }
    bool has(const char* key) const;
    // The string value of `key`, or "" if absent or not a string.
    std::string str(const char* key) const;
    // The integer value of `key`, if it is an integer.
    std::optional<std::int64_t> integer(const char* key) const;
    bool boolean(const char* key) const;  // false if absent or not a bool
    bool is_number(const char* key) const;
    bool is_string_array(const char* key) const;
    std::vector<std::string> strings(const char* key) const;  // string array elements
    const std::string& text() const { return text_; }
    std::string type() const { return str("type"); }

  private:
    std::string text_;
    rapidjson::Document doc_;
};

class RawPeer {
  public:
    RawPeer() = default;
    explicit RawPeer(int fd) : fd_(fd) {}
    ~RawPeer();
    RawPeer(RawPeer&& other) noexcept;
    RawPeer& operator=(RawPeer&& other) noexcept;
    RawPeer(const RawPeer&) = delete;
    RawPeer& operator=(const RawPeer&) = delete;

    // Dials 127.0.0.1:port. False (and not connected) on failure.
    bool connect(std::uint16_t port, milliseconds timeout = milliseconds(5000));
    // The same from a chosen local address (e.g. "127.0.0.2": another host
    // on loopback, for tests that need two source addresses).
    bool connect_from(const std::string& local_ip, std::uint16_t port,
                      milliseconds timeout = milliseconds(5000));
    bool connected() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    void close();

    // Writes exactly these bytes in one send() (looping only if the kernel
    // takes part of them). False if the link is closed.
    bool send_raw(std::string_view bytes);
    bool send_line(std::string_view line) { return send_raw(std::string(line) + "\n"); }

    // The next complete line (without '\n' or a preceding '\r'); nullopt on
    // timeout or when the node closed the link first.
    std::optional<std::string> read_line(milliseconds timeout = milliseconds(5000));
    // Reads lines until one whose `type` is `type`; others are appended to
    // *skipped when given. nullopt on timeout or close.
    std::optional<JsonLine> read_type(std::string_view type,
                                      milliseconds timeout = milliseconds(5000),
                                      std::vector<std::string>* skipped = nullptr);
    // True once the node has closed the link (EOF or reset) within `timeout`;
    // lines arriving meanwhile are appended to *drained when given.
    bool wait_closed(milliseconds timeout = milliseconds(5000),
                     std::vector<std::string>* drained = nullptr);
    // True if nothing at all arrives within `quiet` (and the link is open).
    bool silent_for(milliseconds quiet);

    // Dialer-side handshake: HELLO with `features`, then HELLO_OK expected.
    std::optional<JsonLine> hello(std::string_view peer_id,
                                  const std::vector<std::string>& features = {"ack", "metrics",
                                                                              "relay", "who_has"},
                                  milliseconds timeout = milliseconds(5000));
    // Acceptor side: expects HELLO, answers HELLO_OK with `features`.
    std::optional<JsonLine> accept_hello(std::string_view peer_id,
                                         const std::vector<std::string>& features = {"ack",
                                                                                     "metrics"},
                                         milliseconds timeout = milliseconds(5000));

  private:
    // Fills in_ with more bytes; false on timeout/EOF (sets eof_).
    bool fill(std::chrono::steady_clock::time_point deadline);
    std::optional<std::string> take_line();

    int fd_ = -1;
    std::string in_;
    bool eof_ = false;
};

// A listening socket on 127.0.0.1 with an ephemeral port, for nodes to dial.
class RawListener {
  public:
    RawListener();  // binds 127.0.0.1:0; check ok()
    // Listens on a socket already bound (a DeadPort's, released): the
    // address that refused connections starts accepting them.
    explicit RawListener(int bound_fd);
    ~RawListener();
    RawListener(const RawListener&) = delete;
    RawListener& operator=(const RawListener&) = delete;
    bool ok() const { return fd_ >= 0; }
    std::uint16_t port() const { return port_; }
    // Waits for one inbound connection.
    std::optional<RawPeer> accept(milliseconds timeout = milliseconds(5000));

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// Protocol line builders: exact bytes in the spec's field order, `ttl` last,
// each ending in "\n" (send them with send_raw).
std::string make_hello(std::string_view type, std::string_view peer_id,
                       const std::vector<std::string>& features);
std::string make_send(std::string_view msg_id, std::string_view src, std::string_view dst,
                      std::string_view payload, bool require_ack = true, int ttl = 1);
std::string make_pub(std::string_view msg_id, std::string_view src, std::string_view dst,
                     std::string_view payload, int ttl = 1);
std::string make_ping(std::string_view msg_id);

// Sends `count` SENDs from src to dst (msg_ids prefix0, prefix1, ..., no ACK asked),
// in 64 KiB writes: a flood of chat lines for the receiving node's console.
bool flood_sends(RawPeer& peer, std::string_view prefix, std::string_view src, std::string_view dst,
                 std::string_view payload, int count);
// JSON string literal (with quotes) for arbitrary text.
std::string json_quote(std::string_view text);

}  // namespace p2p::test
