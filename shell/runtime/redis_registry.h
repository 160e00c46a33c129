// The rendezvous registry in Redis, shared by any number of front-ends
// (`p2pchat rendezvous --registry redis://HOST:PORT[/DB]`, docs/rendezvous.md
// "Registry backends"). Requests are checked here exactly as the in-memory registry
// checks them (core/rendezvous_request.h): only a request that needs the registrations
// goes to Redis, as one FCALL of the library in redis_registry_functions.h, over a
// RedisLink on the loop. The server waits for the answer without blocking; at most
// max_waiting requests wait at once.
//
// When Redis is down, slow (no reply within reply_timeout_ms) or the queue is full, a
// request is answered {"status":"ERROR","message":"registry_unavailable"} and a new
// connection is admitted (the rate limit cannot be checked; its request gets that
// answer too), while the link reconnects with backoff.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/registry.h"
#include "core/rendezvous_request.h"
#include "shell/runtime/redis_link.h"
#include "shell/runtime/registry_backend.h"

namespace p2p::shell {

struct RedisRegistryConfig {
    std::string url;  // redis://HOST[:PORT][/DB], checked by the option table
    RegistryConfig registry;
    MonoMs reply_timeout_ms = 1'000;
    std::size_t max_waiting = 4'096;
};

class RedisRegistry final : public RegistryBackend, private RedisLink::User {
  public:
    RedisRegistry(platform::EventLoop& loop, Waiter& waiter, RedisRegistryConfig config);
    ~RedisRegistry() override;

    void start() override;
    void stop() override;
    bool admit(std::string_view ip, std::uint16_t port, Ticket ticket, Registry::Admission* out,
               std::string_view* reply) override;
    bool answer(char* line, std::size_t len, std::string_view ip, std::uint16_t port, Ticket ticket,
                Registry::Reply* out) override;
    std::size_t registrations() override { return last_count_; }
    std::size_t blocked_ips() override;

  private:
    enum class Op : std::uint8_t { kAdmit, kRegister, kDiscover, kErrorIfRegistered, kUnregister };
    // A request waiting for Redis: what its answer needs besides the reply.
    struct Job {
        Ticket ticket = 0;
        Op op = Op::kAdmit;
        std::string ip;
        std::uint16_t port = 0;      // the client's (blocked message)
        std::uint16_t reg_port = 0;  // REGISTER's
        std::int64_t ttl_s = 0;
        std::string error;  // kErrorIfRegistered
    };

    void on_reply(std::uint64_t cookie, const redisReply* reply) override;
    Job* take_job(Ticket ticket, Op op, std::string_view ip, std::uint16_t port);
    bool send(Job* job, int argc, const char** argv, const std::size_t* lens);
    std::string_view error_line(std::string_view message);
    void finish(const Job& job, const redisReply* reply);
    Registry::Reply discover_answer(const redisReply* reply);
    void note_blocked(std::string_view ip, MonoMs ms_left);

    platform::EventLoop& loop_;
    Waiter& waiter_;
    RedisRegistryConfig config_;
    RequestChecker checker_;
    RedisLink link_;
    std::vector<Job> jobs_;
    std::vector<std::uint32_t> free_jobs_;
    std::shared_ptr<SharedAnswer> answer_;  // DISCOVER answers, reused when unshared
    std::size_t last_count_ = 0;
    // IPs this front-end saw blocked, until when (bounded by max_tracked_ips).
    std::unordered_map<std::string, MonoMs> blocked_;
    char line_out_[4096];  // short answers (rdv::kRdvLineBytes)
};

}  // namespace p2p::shell
