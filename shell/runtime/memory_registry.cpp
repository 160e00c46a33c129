#include "shell/runtime/memory_registry.h"

#include "core/log.h"
#include "platform/files.h"

namespace p2p::shell {

MemoryRegistry::MemoryRegistry(platform::EventLoop& loop, MemoryRegistryConfig config)
    : loop_(loop), config_(std::move(config)), registry_(loop.clock(), config_.registry) {}

MemoryRegistry::~MemoryRegistry() {
    stop();
}

void MemoryRegistry::start() {
    load_db();
    running_ = true;
}

void MemoryRegistry::stop() {
    running_ = false;
    if (db_timer_) {
        loop_.cancel(db_timer_);
        db_timer_ = 0;
    }
    if (registry_.dirty()) flush_db();
}

bool MemoryRegistry::admit(std::string_view ip, std::uint16_t port, Ticket,
                           Registry::Admission* out, std::string_view* reply) {
    *out = registry_.admit(ip, port, reply);
    return true;
}

bool MemoryRegistry::answer(char* line, std::size_t len, std::string_view ip, std::uint16_t port,
                            Ticket, Registry::Reply* out) {
    *out = registry_.answer(line, len, ip, port);
    after_request();
    return true;
}

void MemoryRegistry::on_timer(std::uint64_t) {
    flush_db();
}

void MemoryRegistry::load_db() {
    if (config_.db_path.empty()) {
        P2P_INFO("Rendezvous", "no --db: registrations are kept in memory only");
        return;
    }
    std::string text, err;
    bool missing = false;
    bool keep_aside = false;
    if (!platform::read_file(config_.db_path, text, &err, &missing)) {
        if (missing) {
            P2P_INFO("Rendezvous", "db %s does not exist yet; starting empty",
                     config_.db_path.c_str());
            return;
        }
        P2P_ERROR("Rendezvous", "cannot read db %s: %s; starting empty", config_.db_path.c_str(),
                  err.c_str());
        keep_aside = true;
    } else {
        Registry::LoadResult r = registry_.load(text);
        if (!r.ok) {
            P2P_ERROR("Rendezvous", "db %s is corrupt (%s); starting empty",
                      config_.db_path.c_str(), r.error.c_str());
            keep_aside = true;
        } else {
            P2P_INFO("Rendezvous", "loaded %zu registration(s) from %s (%zu expired, %zu skipped)",
                     r.loaded, config_.db_path.c_str(), r.expired, r.skipped);
            if (r.skipped > 0) {
                P2P_WARN("Rendezvous", "db %s had %zu malformed entries", config_.db_path.c_str(),
                         r.skipped);
                keep_aside = true;
            }
        }
    }
    if (keep_aside) {
        // Never overwrite what we could not use: keep the file for a human.
        std::string aside = platform::move_aside(config_.db_path, &err);
        if (aside.empty()) {
            P2P_ERROR("Rendezvous", "cannot move %s aside: %s", config_.db_path.c_str(),
                      err.c_str());
        } else {
            P2P_WARN("Rendezvous", "kept the old db as %s", aside.c_str());
        }
        // Whatever was usable is written back under the real name at once.
        if (registry_.size() > 0) flush_db();
    }
}

void MemoryRegistry::flush_db() {
    db_timer_ = 0;
    if (config_.db_path.empty()) {
        registry_.clear_dirty();
        return;
    }
    registry_.serialize(db_text_);
    std::string err;
    if (platform::write_file_atomic(config_.db_path, db_text_, &err)) {
        registry_.clear_dirty();
        return;
    }
    P2P_ERROR("Rendezvous", "cannot write db %s: %s (retrying)", config_.db_path.c_str(),
              err.c_str());
    if (running_) db_timer_ = loop_.schedule_in(db_retry_ms_, this, 0);
}

void MemoryRegistry::after_request() {
    if (!registry_.dirty() || db_timer_ != 0) return;
    db_timer_ = loop_.schedule_in(config_.db_write_delay_ms, this, 0);
}

}  // namespace p2p::shell
