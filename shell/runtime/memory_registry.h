// The rendezvous registry in this process (core/registry.h), persisted to the --db
// file: loaded at start (a corrupt file kept aside), rewritten atomically a moment
// after each change and at stop. Answers every call at once.
#pragma once
#include <memory>
#include <string>

#include "core/registry.h"
#include "platform/event_loop.h"
#include "shell/runtime/registry_backend.h"

namespace p2p::shell {

struct MemoryRegistryConfig {
    RegistryConfig registry;
    std::string db_path;  // empty: memory only
    MonoMs db_write_delay_ms = 100;
};

class MemoryRegistry final : public RegistryBackend, private platform::TimerHandler {
  public:
    MemoryRegistry(platform::EventLoop& loop, MemoryRegistryConfig config);
    ~MemoryRegistry() override;

    void start() override;
    void stop() override;
    bool admit(std::string_view ip, std::uint16_t port, Ticket ticket, Registry::Admission* out,
               std::string_view* reply) override;
    bool answer(char* line, std::size_t len, std::string_view ip, std::uint16_t port, Ticket ticket,
                Registry::Reply* out) override;
    std::size_t registrations() override { return registry_.size(); }
    std::size_t blocked_ips() override { return registry_.blocked_ips(); }

  private:
    void on_timer(std::uint64_t tag) override;
    void load_db();
    void flush_db();
    void after_request();

    platform::EventLoop& loop_;
    MemoryRegistryConfig config_;
    Registry registry_;
    platform::TimerId db_timer_ = 0;
    MonoMs db_retry_ms_ = 1'000;
    std::string db_text_;  // serialization buffer, reused
    bool running_ = false;
};

}  // namespace p2p::shell
