#include "shell/runtime/redis_registry.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include "core/log.h"
#include "core/rendezvous_wire.h"
#include "shell/runtime/redis_registry_functions.h"

namespace p2p::shell {

namespace {

RedisLinkConfig link_config(const RedisRegistryConfig& c) {
    RedisLinkConfig lc;
    parse_redis_url(c.url, lc.url, nullptr);  // checked when the option was read
    lc.reply_timeout_ms = c.reply_timeout_ms;
    lc.max_in_flight = c.max_waiting;
    lc.hello = {{"FUNCTION", "LOAD", "REPLACE", kRedisRegistryLibrary}};
    return lc;
}

std::int64_t integer_at(const redisReply* r, std::size_t i) {
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) return -1;
    const redisReply* e = r->element[i];
    return e->type == REDIS_REPLY_INTEGER ? e->integer : -1;
}

// A number as a command argument, in `buf`.
std::string_view decimal(std::int64_t v, char (&buf)[24]) {
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return {buf, static_cast<std::size_t>(end - buf)};
}

}  // namespace

RedisRegistry::RedisRegistry(platform::EventLoop& loop, Waiter& waiter, RedisRegistryConfig config)
    : loop_(loop),
      waiter_(waiter),
      config_(std::move(config)),
      checker_(
          {config_.registry.default_ttl_s, config_.registry.min_ttl_s, config_.registry.max_ttl_s}),
      link_(loop, *this, link_config(config_)),
      jobs_(config_.max_waiting) {
    free_jobs_.reserve(jobs_.size());
    for (std::size_t i = jobs_.size(); i-- > 0;) {
        jobs_[i].ip.reserve(64);
        free_jobs_.push_back(static_cast<std::uint32_t>(i));
    }
}

RedisRegistry::~RedisRegistry() {
    stop();
}

void RedisRegistry::start() {
    link_.start();
}

void RedisRegistry::stop() {
    link_.stop();
}

std::string_view RedisRegistry::error_line(std::string_view message) {
    return {line_out_, rdv::encode_error(line_out_, sizeof line_out_, message)};
}

RedisRegistry::Job* RedisRegistry::take_job(Ticket ticket, Op op, std::string_view ip,
                                            std::uint16_t port) {
    if (!link_.up() || free_jobs_.empty()) return nullptr;
    Job& job = jobs_[free_jobs_.back()];
    job.ticket = ticket;
    job.op = op;
    job.ip.assign(ip);
    job.port = port;
    return &job;
}

bool RedisRegistry::send(Job* job, int argc, const char** argv, const std::size_t* lens) {
    auto index = static_cast<std::uint32_t>(job - jobs_.data());
    if (!link_.command(index, argc, argv, lens)) return false;
    free_jobs_.pop_back();  // take_job() handed out the last free one
    return true;
}

bool RedisRegistry::admit(std::string_view ip, std::uint16_t port, Ticket ticket,
                          Registry::Admission* out, std::string_view*) {
    *out = Registry::Admission::kAdmit;
    const RegistryConfig& rc = config_.registry;
    if (rc.rate_limit == 0) return true;
    Job* job = take_job(ticket, Op::kAdmit, ip, port);
    if (!job) return true;  // unknown: admitted; its request will say what is wrong
    char limit[24], window[24], block[24];
    std::string_view args[] = {"FCALL",
                               "p2pchat_rdv_admit",
                               "0",
                               ip,
                               decimal(rc.rate_limit, limit),
                               decimal(rc.rate_window_ms, window),
                               decimal(rc.block_ms, block)};
    const char* argv[7];
    std::size_t lens[7];
    for (int i = 0; i < 7; ++i) {
        argv[i] = args[i].data();
        lens[i] = args[i].size();
    }
    return !send(job, 7, argv, lens);
}

bool RedisRegistry::answer(char* line, std::size_t len, std::string_view ip, std::uint16_t port,
                           Ticket ticket, Registry::Reply* out) {
    CheckedRequest req = checker_.check(line, len);
    using Kind = CheckedRequest::Kind;
    if (req.kind == Kind::kReply) {
        *out = error_line(req.error);
        return true;
    }
    static constexpr Op kOps[] = {Op::kAdmit, Op::kErrorIfRegistered, Op::kRegister, Op::kDiscover,
                                  Op::kUnregister};
    Job* job = take_job(ticket, kOps[static_cast<int>(req.kind)], ip, port);
    char n1[24], n2[24], n3[24];
    std::string_view args[9] = {"FCALL", "", "0", ip};
    int argc = 4;
    if (job) {
        switch (req.kind) {
            case Kind::kReply:
                break;
            case Kind::kErrorIfRegistered:
                job->error.assign(req.error);
                args[1] = "p2pchat_rdv_discover";
                args[argc++] = "check";
                break;
            case Kind::kRegister:
                job->reg_port = req.port;
                job->ttl_s = req.ttl_s;
                args[1] = "p2pchat_rdv_register";
                args[argc++] = req.ns;
                args[argc++] = req.name;
                args[argc++] = decimal(req.port, n1);
                args[argc++] = decimal(req.ttl_s, n2);
                args[argc++] =
                    decimal(static_cast<std::int64_t>(config_.registry.max_registrations), n3);
                break;
            case Kind::kDiscover:
                args[1] = "p2pchat_rdv_discover";
                args[argc++] = req.all ? "all" : "ns";
                if (!req.all) args[argc++] = req.ns;
                break;
            case Kind::kUnregister:
                args[1] = "p2pchat_rdv_unregister";
                args[argc++] = req.ns;
                args[argc++] = req.name;
                args[argc++] = req.any_name ? "1" : "0";
                args[argc++] = decimal(req.any_port ? 0 : req.port, n1);
                break;
        }
        const char* argv[9];
        std::size_t lens[9];
        for (int i = 0; i < argc; ++i) {
            argv[i] = args[i].data();
            lens[i] = args[i].size();
        }
        if (send(job, argc, argv, lens)) return false;
    }
    *out = error_line(rdv::kMsgRegistryUnavailable);
    return true;
}

void RedisRegistry::on_reply(std::uint64_t cookie, const redisReply* reply) {
    Job& job = jobs_[cookie];
    free_jobs_.push_back(static_cast<std::uint32_t>(cookie));
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        P2P_ERROR("Redis", "request refused: %.*s", static_cast<int>(reply->len), reply->str);
        reply = nullptr;
    }
    finish(job, reply);
}

void RedisRegistry::finish(const Job& job, const redisReply* reply) {
    if (job.op == Op::kAdmit) {
        std::int64_t code = reply ? integer_at(reply, 0) : 0;
        if (code == 2) {
            std::int64_t ms_left = integer_at(reply, 1);
            note_blocked(job.ip, ms_left);
            std::size_t n = Registry::encode_blocked(line_out_, sizeof line_out_, job.ip, job.port,
                                                     config_.registry.rate_limit, ms_left / 1000);
            return waiter_.admitted(job.ticket, Registry::Admission::kBlocked, {line_out_, n});
        }
        if (code == 1) note_blocked(job.ip, config_.registry.block_ms);
        return waiter_.admitted(
            job.ticket,
            code == 1 ? Registry::Admission::kCloseSilently : Registry::Admission::kAdmit, {});
    }
    if (!reply) return waiter_.answered(job.ticket, error_line(rdv::kMsgRegistryUnavailable));
    switch (job.op) {
        case Op::kRegister: {
            std::int64_t ok = integer_at(reply, 0), count = integer_at(reply, 1);
            if (count >= 0) last_count_ = static_cast<std::size_t>(count);
            if (ok != 1) {
                P2P_WARN("Registry", "full (%lld registrations): refusing %s",
                         static_cast<long long>(count), job.ip.c_str());
                return waiter_.answered(job.ticket, error_line("registry_full"));
            }
            std::size_t n = rdv::encode_register_ok(line_out_, sizeof line_out_, job.ttl_s, job.ip,
                                                    job.reg_port);
            return waiter_.answered(job.ticket, std::string_view(line_out_, n));
        }
        case Op::kUnregister: {
            std::int64_t removed = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
            if (removed < 0) return waiter_.answered(job.ticket, error_line("peer_not_registered"));
            if (removed == 0)
                return waiter_.answered(job.ticket, error_line("peer_credentials_do_not_match"));
            std::size_t n = rdv::encode_ok(line_out_, sizeof line_out_);
            return waiter_.answered(job.ticket, std::string_view(line_out_, n));
        }
        case Op::kDiscover:
        case Op::kErrorIfRegistered: {
            std::int64_t count = integer_at(reply, 0);
            if (count >= 0) last_count_ = static_cast<std::size_t>(count);
            if (integer_at(reply, 2) != 1)
                return waiter_.answered(job.ticket, error_line("peer_not_registered"));
            if (job.op == Op::kErrorIfRegistered)
                return waiter_.answered(job.ticket, error_line(job.error));
            return waiter_.answered(job.ticket, discover_answer(reply));
        }
        case Op::kAdmit:
            break;
    }
}

// {count, now, 1, key, "port ttl expiry", ...} -> the listing, in the bytes the
// in-memory registry writes.
Registry::Reply RedisRegistry::discover_answer(const redisReply* reply) {
    if (!answer_ || answer_.use_count() > 1) answer_ = std::make_shared<SharedAnswer>();
    std::int64_t now = integer_at(reply, 1);
    rdv::DiscoverAnswerBuilder builder(answer_->text);
    for (std::size_t i = 3; i + 1 < reply->elements; i += 2) {
        const redisReply* k = reply->element[i];
        const redisReply* v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        // The key: char(#ip) ip char(#ns) ns name.
        std::string_view key(k->str, k->len), value(v->str, v->len);
        std::size_t ip_len = key.empty() ? 0 : static_cast<unsigned char>(key[0]);
        if (key.size() < 2 + ip_len) continue;
        std::size_t ns_len = static_cast<unsigned char>(key[1 + ip_len]);
        if (key.size() < 2 + ip_len + ns_len) continue;
        std::int64_t fields[3] = {};
        const char* p = value.data();
        const char* end = value.data() + value.size();
        bool ok = true;
        for (std::int64_t& f : fields) {
            auto r = std::from_chars(p, end, f);
            ok = ok && r.ec == std::errc();
            p = r.ptr + (r.ptr < end ? 1 : 0);
        }
        if (!ok || now > fields[2]) continue;  // expired, not pruned yet
        rdv::PeerEntry e;
        e.ip = key.substr(1, ip_len);
        e.ns = key.substr(2 + ip_len, ns_len);
        e.name = key.substr(2 + ip_len + ns_len);
        e.port = fields[0];
        e.ttl_s = fields[1];
        e.expires_in_s = (fields[2] - now) / 1000;
        builder.add(e);
    }
    builder.finish();
    return SharedAnswerPtr(answer_);
}

void RedisRegistry::note_blocked(std::string_view ip, MonoMs ms_left) {
    MonoMs now = loop_.now();
    if (blocked_.size() >= config_.registry.max_tracked_ips)
        std::erase_if(blocked_, [now](const auto& kv) { return kv.second <= now; });
    if (blocked_.size() < config_.registry.max_tracked_ips)
        blocked_[std::string(ip)] = now + ms_left;
}

std::size_t RedisRegistry::blocked_ips() {
    MonoMs now = loop_.now();
    std::erase_if(blocked_, [now](const auto& kv) { return kv.second <= now; });
    return blocked_.size();
}

}  // namespace p2p::shell
