// A raw TCP client for process-level tests: connect (to 127.0.0.1 by
// default), send bytes, read a line, notice the peer closing — every wait
// bounded by a timeout, no fixed sleeps. Blocking in style, non-blocking
// underneath (poll), so a misbehaving server fails the test instead of
// hanging it.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace p2p::test {

class TcpClient {
  public:
    enum class Read { kLine, kTimeout, kClosed, kError };

    TcpClient() = default;
    ~TcpClient() { close(); }
    TcpClient(TcpClient&& other) noexcept;
    TcpClient& operator=(TcpClient&& other) noexcept;
    TcpClient(const TcpClient&) = delete;
    TcpClient& operator=(const TcpClient&) = delete;

    // Connects within `timeout`. False with *err on refusal/timeout.
    bool connect(std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                 const std::string& host = "127.0.0.1", std::string* err = nullptr);
    bool connected() const { return fd_ >= 0; }
    int fd() const { return fd_; }

    // Sends every byte within `timeout`; false on error or timeout.
    bool send(std::string_view bytes,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    bool send_line(std::string_view line,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    // Reads one line ('\n' and a preceding '\r' removed) into *line. kClosed
    // when the peer closed (or reset) before a full line; a last
    // unterminated fragment is left in pending().
    Read read_line(std::string* line,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    // Convenience: the line, or nullopt on timeout/close/error.
    std::optional<std::string> read_line(
        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    // Waits until the peer closes the connection, discarding (but keeping in
    // pending()) any bytes that arrive. True if it closed within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    // Bytes received but not yet returned as a line.
    const std::string& pending() const { return buffer_; }

    void shutdown_write();
    void close();

  private:
    // One read into buffer_; kLine means "got bytes".
    Read fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
};

// One rendezvous-style exchange: connect, send `line` + '\n', read one line.
// nullopt if any step fails or times out.
std::optional<std::string> request_line(
    std::uint16_t port, std::string_view line,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace p2p::test
