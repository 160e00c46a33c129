// One connection to Redis on the reactor, without blocking it: our TcpConnector and
// platform::Connection (raw framing) carry the bytes, hiredis only formats commands
// (redisFormatCommandArgv) and parses replies (redisReader). Commands queued in one turn
// of the loop go out together in one write (a pipeline); replies come back in order
// and go to the user with the cookie of their command.
//
// Faults: a connect that fails, a reply later than reply_timeout_ms, a protocol error
// or a closed socket fail every command in flight (on_reply with nullptr) and the link
// reconnects with backoff (core/backoff.h); meanwhile command() refuses at once, so the
// caller can answer at once. While a connection is being made (at start, and at each
// retry) commands wait for it, at most the connect timeout. At most max_in_flight
// commands wait for replies.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/redis_url.h"
#include "core/rng.h"
#include "platform/connection.h"
#include "platform/connector.h"
#include "platform/event_loop.h"
#include "platform/resolver.h"

struct redisReader;
struct redisReply;

namespace p2p::shell {

// Memory for the objects of one reply at a time: allocations are carved from chunks that
// are kept, reset() makes them all free again.
class ReplyArena {
  public:
    void* alloc(std::size_t bytes);
    void reset() { chunk_ = used_ = 0; }

  private:
    static constexpr std::size_t kChunkBytes = 64 * 1024;
    std::vector<std::unique_ptr<char[]>> chunks_;
    std::vector<std::size_t> sizes_;
    std::size_t chunk_ = 0, used_ = 0;  // the chunk being carved, bytes used in it
};

struct RedisLinkConfig {
    RedisUrl url;
    MonoMs reply_timeout_ms = 1'000;  // also the connect timeout
    std::size_t max_in_flight = 4'096;
    BackoffPolicy backoff{.initial_ms = 100, .max_ms = 5'000, .jitter = Jitter::kEqual};
    // Commands (each its words) sent first on every new connection, after SELECT, e.g.
    // FUNCTION LOAD: a reply that is an error fails the link.
    std::vector<std::vector<std::string>> hello;
};

class RedisLink final : private platform::ConnectionOwner, private platform::TimerHandler {
  public:
    class User {
      public:
        // The reply to the command queued with `cookie`; nullptr when the link failed
        // before it came. Valid during the call only.
        virtual void on_reply(std::uint64_t cookie, const redisReply* reply) = 0;

      protected:
        ~User() = default;
    };

    RedisLink(platform::EventLoop& loop, User& user, RedisLinkConfig config);
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    void start();
    void stop();  // closes; commands in flight get no reply (nor a callback)
    // Connected or connecting: command() takes commands.
    bool up() const { return state_ != State::kDown; }

    // Queues one command (argv with lengths, binary-safe). False, nothing queued and no
    // callback, when the link is down or max_in_flight commands wait already.
    bool command(std::uint64_t cookie, int argc, const char** argv, const std::size_t* lens);

  private:
    enum Timer : std::uint64_t { kFlush = 1, kReconnect = 2 };
    struct InFlight {
        std::uint64_t cookie;
        MonoMs sent_at;
        bool internal;  // a hello command: checked here, not given to the user
    };

    // ConnectionOwner
    void on_bytes(platform::Connection& c, char* data, std::size_t len) override;
    std::size_t read_room(platform::Connection& c) override;
    void on_deadline(platform::Connection& c) override;
    void on_closed(platform::Connection& c, platform::CloseReason reason) override;
    void on_timer(std::uint64_t tag) override;

    enum class State : std::uint8_t { kDown, kConnecting, kUp };
    void connect();
    void fail_all();
    void on_connected(int fd, const std::string& error);
    bool enqueue(std::uint64_t cookie, bool internal, int argc, const char** argv,
                 const std::size_t* lens);
    void fail(const char* why);
    void arm_deadline();
    void schedule_reconnect();

    platform::EventLoop& loop_;
    User& user_;
    RedisLinkConfig config_;
    platform::Resolver resolver_;
    platform::TcpConnector connector_;
    platform::Connection conn_;
    redisReader* reader_ = nullptr;
    ReplyArena arena_;  // the reply being read
    std::vector<char> read_buf_;
    std::string batch_;  // formatted commands of this turn, written at its end
    platform::TimerId flush_timer_ = 0, reconnect_timer_ = 0;
    std::vector<InFlight> ring_;  // max_in_flight + hello entries
    std::size_t head_ = 0, count_ = 0;
    State state_ = State::kDown;
    bool running_ = false;
    bool reported_down_ = false;  // the outage was logged (once per outage)
    int attempt_ = 0;
    Rng rng_;
};

}  // namespace p2p::shell
