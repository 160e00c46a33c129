#include "core/registry.h"

// First, so RapidJSON gets json_util's UBSan exemption (see there).
#include "core/json_util.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/civil_time.h"
#include "core/log.h"
#include "core/python_compat.h"
#include "core/rendezvous_wire.h"
#include "core/text.h"

namespace p2p {

namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr MonoMs kNever = std::numeric_limits<MonoMs>::max();
// Namespaces whose DISCOVER answer is kept between requests, and the size up to
// which a stale one keeps its buffer (see invalidate_answers()).
constexpr std::size_t kKeptAnswers = 64;
constexpr std::size_t kKeptAnswerBytes = 16 * 1024;

}  // namespace

Registry::Registry(const Clock& clock, RegistryConfig config)
    : clock_(clock),
      config_(config),
      checker_({config.default_ttl_s, config.min_ttl_s, config.max_ttl_s}),
      head_(kNone),
      tail_(kNone),
      next_expiry_(kNever) {
    slab_.reserve(config_.max_registrations);
    free_.reserve(config_.max_registrations);
}

Registry::~Registry() = default;

// ---- rate limiting -----------------------------------------------------------

Registry::IpState* Registry::ip_state(std::string_view ip, bool create, bool force) {
    auto it = ips_.find(ip);
    if (it != ips_.end()) return &it->second;
    if (!create) return nullptr;
    if (!force && ips_.size() - ips_with_registrations_ >= config_.max_tracked_ips) {
        // Forget IPs whose history no longer matters (outside the window,
        // not blocked, nothing registered). Only when the table is full.
        MonoMs now = clock_.mono_ms();
        for (auto i = ips_.begin(); i != ips_.end();) {
            const IpState& s = i->second;
            bool idle = s.registrations == 0 && s.blocked_until <= now &&
                        s.last_seen + config_.rate_window_ms <= now;
            i = idle ? ips_.erase(i) : std::next(i);
        }
        if (ips_.size() - ips_with_registrations_ >= config_.max_tracked_ips) {
            P2P_WARN("Registry", "tracking %zu IPs already; %.*s is not rate limited", ips_.size(),
                     static_cast<int>(ip.size()), ip.data());
            return nullptr;
        }
    }
    IpState& s = ips_[std::string(ip)];
    if (config_.rate_limit > 0) s.ring = std::make_unique<MonoMs[]>(config_.rate_limit);
    return &s;
}

std::size_t Registry::encode_blocked(char* out, std::size_t cap, std::string_view ip,
                                     std::uint16_t port, std::uint32_t limit, std::int64_t left_s) {
    char text[256];
    int n = std::snprintf(text, sizeof text,
                          "Connection from %.*s:%u has been blocked due to excessive login "
                          "attempts (limit: %u). The block will be lifted in %lld seconds.",
                          static_cast<int>(std::min<std::size_t>(ip.size(), 64)), ip.data(),
                          static_cast<unsigned>(port), limit, static_cast<long long>(left_s));
    return rdv::encode_error(
        out, cap,
        std::string_view(text,
                         std::min<std::size_t>(static_cast<std::size_t>(n), sizeof text - 1)));
}

Registry::Admission Registry::admit(std::string_view ip, std::uint16_t port,
                                    std::string_view* reply) {
    if (config_.rate_limit == 0) return Admission::kAdmit;
    IpState* s = ip_state(ip, true, false);
    if (!s) return Admission::kAdmit;
    if (!s->ring) s->ring = std::make_unique<MonoMs[]>(config_.rate_limit);
    MonoMs now = clock_.mono_ms();
    s->last_seen = now;
    if (s->blocked_until != 0) {
        if (now < s->blocked_until) {
            std::size_t len = encode_blocked(line_out_, sizeof line_out_, ip, port,
                                             config_.rate_limit, (s->blocked_until - now) / 1000);
            if (reply) *reply = std::string_view(line_out_, len);
            return Admission::kBlocked;
        }
        // The block is over: the IP starts with a clean history.
        s->blocked_until = 0;
        s->ring_count = 0;
    }
    while (s->ring_count > 0 && s->ring[s->ring_head] + config_.rate_window_ms <= now) {
        s->ring_head = (s->ring_head + 1) % config_.rate_limit;
        --s->ring_count;
    }
    if (s->ring_count >= config_.rate_limit) {
        s->blocked_until = now + config_.block_ms;
        if (s->blocked_until == 0) s->blocked_until = 1;
        s->ring_count = 0;
        return Admission::kCloseSilently;
    }
    s->ring[(s->ring_head + s->ring_count) % config_.rate_limit] = now;
    ++s->ring_count;
    return Admission::kAdmit;
}

// ---- the slab of registrations ----------------------------------------------

std::size_t Registry::key_of(std::string_view ip, std::string_view ns, std::string_view name,
                             char* out) const {
    // Length-prefixed parts: names may contain any byte, even NUL.
    std::size_t n = 0;
    for (std::string_view part : {ip, ns, name}) {
        out[n++] = static_cast<char>(part.size());
        std::memcpy(out + n, part.data(), part.size());
        n += part.size();
    }
    return n;
}

std::uint32_t Registry::insert(std::string_view ip, std::string_view ns, std::string_view name,
                               std::uint16_t port, std::int64_t ttl_s, MonoMs expires_at,
                               WallMs registered_wall) {
    char key[3 + 64 + 2 * kMaxNameBytes];
    std::size_t key_len = key_of(ip, ns, name, key);
    std::string_view key_view(key, key_len);
    std::uint32_t slot;
    auto found = by_key_.find(key_view);
    if (found != by_key_.end()) {
        slot = found->second;
        Record& r = slab_[slot];
        // Unlink: a renewed registration moves to the end of the listing,
        // as the reference's remove-then-append does.
        (r.prev == kNone ? head_ : slab_[r.prev].next) = r.next;
        (r.next == kNone ? tail_ : slab_[r.next].prev) = r.prev;
    } else {
        if (live_ >= config_.max_registrations) return kNone;
        if (!free_.empty()) {
            slot = free_.back();
            free_.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(slab_.size());
            slab_.emplace_back();
        }
        Record& r = slab_[slot];
        r.ip_len = static_cast<std::uint8_t>(ip.size());
        std::memcpy(r.ip, ip.data(), ip.size());
        r.ns_len = static_cast<std::uint8_t>(ns.size());
        std::memcpy(r.ns, ns.data(), ns.size());
        r.name_len = static_cast<std::uint8_t>(name.size());
        std::memcpy(r.name, name.data(), name.size());
        r.live = true;
        by_key_.emplace(std::string(key_view), slot);
        IpState* s = ip_state(ip, true, true);
        if (s->registrations++ == 0) ++ips_with_registrations_;
        ++live_;
    }
    Record& r = slab_[slot];
    r.port = port;
    r.ttl_s = ttl_s;
    r.expires_at = expires_at;
    r.registered_wall = registered_wall;
    r.registered_mono = expires_at - ttl_s * 1000;
    r.prev = tail_;
    r.next = kNone;
    (tail_ == kNone ? head_ : slab_[tail_].next) = slot;
    tail_ = slot;
    next_expiry_ = std::min(next_expiry_, expires_at);
    invalidate_answers(ns);
    return slot;
}

void Registry::remove(std::uint32_t slot) {
    Record& r = slab_[slot];
    invalidate_answers(r.ns_view());
    (r.prev == kNone ? head_ : slab_[r.prev].next) = r.next;
    (r.next == kNone ? tail_ : slab_[r.next].prev) = r.prev;
    char key[3 + 64 + 2 * kMaxNameBytes];
    std::size_t key_len = key_of(r.ip_view(), r.ns_view(), r.name_view(), key);
    auto found = by_key_.find(std::string_view(key, key_len));
    if (found != by_key_.end()) by_key_.erase(found);
    if (IpState* s = ip_state(r.ip_view(), false, false)) {
        if (--s->registrations == 0) --ips_with_registrations_;
    }
    r.live = false;
    free_.push_back(slot);
    --live_;
}

void Registry::clear() {
    while (head_ != kNone)
        remove(head_);
}

void Registry::sweep_expired() {
    MonoMs now = clock_.mono_ms();
    if (now <= next_expiry_) return;
    MonoMs next = kNever;
    std::size_t removed = 0;
    for (std::uint32_t slot = head_; slot != kNone;) {
        std::uint32_t after = slab_[slot].next;
        if (now > slab_[slot].expires_at) {
            remove(slot);
            ++removed;
        } else {
            next = std::min(next, slab_[slot].expires_at);
        }
        slot = after;
    }
    next_expiry_ = next;
    if (removed) P2P_INFO("Registry", "expired %zu registration(s)", removed);
}

bool Registry::has_live_registration(std::string_view ip) {
    IpState* s = ip_state(ip, false, false);
    return s && s->registrations > 0;
}

std::size_t Registry::size() {
    sweep_expired();
    return live_;
}

std::size_t Registry::blocked_ips() const {
    MonoMs now = clock_.mono_ms();
    std::size_t n = 0;
    for (const auto& [ip, state] : ips_)
        if (state.blocked_until > now) ++n;
    return n;
}

// ---- requests ------------------------------------------------------------------

std::string_view Registry::reply_error(std::string_view message) {
    return {line_out_, rdv::encode_error(line_out_, sizeof line_out_, message)};
}

Registry::Reply Registry::answer(char* line, std::size_t len, std::string_view ip,
                                 std::uint16_t port) {
    (void)port;  // the reference keys and answers by IP only
    sweep_expired();
    CheckedRequest req = checker_.check(line, len);
    switch (req.kind) {
        case CheckedRequest::Kind::kReply:
            return reply_error(req.error);
        case CheckedRequest::Kind::kErrorIfRegistered:
            return reply_error(has_live_registration(ip) ? req.error : "peer_not_registered");
        case CheckedRequest::Kind::kRegister:
            return do_register(req, ip);
        case CheckedRequest::Kind::kDiscover:
            return do_discover(req, ip);
        case CheckedRequest::Kind::kUnregister:
            return do_unregister(req, ip);
    }
    return reply_error(rdv::kMsgUnknownCommand);
}

std::string_view Registry::do_register(const CheckedRequest& req, std::string_view ip) {
    if (ip.size() > sizeof(Record::ip)) return reply_error("bad_ip");
    MonoMs now = clock_.mono_ms();
    std::uint32_t slot =
        insert(ip, req.ns, req.name, req.port, req.ttl_s, now + req.ttl_s * 1000, clock_.wall_ms());
    if (slot == kNone) {
        P2P_WARN("Registry", "full (%zu registrations): refusing %.*s", live_,
                 static_cast<int>(ip.size()), ip.data());
        return reply_error("registry_full");
    }
    dirty_ = true;
    return {line_out_,
            rdv::encode_register_ok(line_out_, sizeof line_out_, req.ttl_s, ip, req.port)};
}

Registry::Reply Registry::do_discover(const CheckedRequest& req, std::string_view ip) {
    if (!has_live_registration(ip)) return reply_error("peer_not_registered");
    if (req.all) {
        if (!fresh(all_answer_)) encode_discover(all_answer_, true, {});
        return SharedAnswerPtr(all_answer_.answer);
    }
    auto found = ns_answers_.find(req.ns);
    if (found != ns_answers_.end()) {
        SharedAnswerPtr answer = found->second.answer;
        if (fresh(found->second)) return answer;
        answer.reset();  // so that an unshared buffer is re-encoded in place
        std::size_t listed = encode_discover(found->second, false, req.ns);
        answer = found->second.answer;
        if (listed == 0) ns_answers_.erase(found);  // the namespace is gone
        return answer;
    }
    // Only a namespace somebody is registered in gets a cache entry, so the entries
    // are bounded by the registrations, whatever namespaces clients ask for.
    if (encode_discover(scratch_answer_, false, req.ns) == 0)
        return SharedAnswerPtr(scratch_answer_.answer);
    if (ns_answers_.size() >= kKeptAnswers) {
        std::erase_if(ns_answers_, [](const auto& kv) { return !kv.second.valid; });
        if (ns_answers_.size() >= kKeptAnswers) return SharedAnswerPtr(scratch_answer_.answer);
    }
    CachedAnswer& cached = ns_answers_[std::string(req.ns)];
    std::swap(cached, scratch_answer_);
    return SharedAnswerPtr(cached.answer);
}

bool Registry::fresh(const CachedAnswer& cache) const {
    // sweep_expired() has run: an expiry since built_at invalidated it already.
    return cache.valid && clock_.mono_ms() - cache.built_at < config_.discover_cache_ms;
}

std::size_t Registry::encode_discover(CachedAnswer& cache, bool all, std::string_view ns) {
    // A buffer some connection is still writing is never touched: the next one is new.
    if (!cache.answer || cache.answer.use_count() > 1)
        cache.answer = std::make_shared<SharedAnswer>();
    MonoMs now = clock_.mono_ms();
    rdv::DiscoverAnswerBuilder answer(cache.answer->text);
    std::size_t listed = 0;
    for (std::uint32_t slot = head_; slot != kNone; slot = slab_[slot].next) {
        const Record& r = slab_[slot];
        if (!all && r.ns_view() != ns) continue;
        rdv::PeerEntry e;
        e.ip = r.ip_view();
        e.port = r.port;
        e.name = r.name_view();
        e.ns = r.ns_view();
        e.ttl_s = r.ttl_s;
        e.expires_in_s = std::max<std::int64_t>(0, (r.expires_at - now) / 1000);
        if (answer.add(e)) ++listed;
    }
    answer.finish();
    cache.built_at = now;
    cache.valid = true;
    ++discover_encodings_;
    return listed;
}

void Registry::invalidate_answers(std::string_view ns) {
    all_answer_.valid = false;
    auto found = ns_answers_.find(ns);
    if (found == ns_answers_.end()) return;
    // A small answer keeps its entry and buffer, re-encoded in place when next asked
    // (no allocation in steady state); a large one is given back, so the answers of
    // namespaces that are gone hold at most kKeptAnswers x kKeptAnswerBytes.
    if (found->second.answer && found->second.answer->text.capacity() > kKeptAnswerBytes)
        ns_answers_.erase(found);
    else
        found->second.valid = false;
}

std::string_view Registry::do_unregister(const CheckedRequest& req, std::string_view ip) {
    if (!has_live_registration(ip)) return reply_error("peer_not_registered");
    std::size_t removed = 0;
    for (std::uint32_t slot = head_; slot != kNone;) {
        const Record& r = slab_[slot];
        std::uint32_t after = r.next;
        bool match = r.ip_view() == ip && r.ns_view() == req.ns &&
                     (req.any_name || r.name_view() == req.name) &&
                     (req.any_port || r.port == req.port);
        if (match) {
            remove(slot);
            ++removed;
        }
        slot = after;
    }
    if (removed == 0) return reply_error("peer_credentials_do_not_match");
    dirty_ = true;
    return {line_out_, rdv::encode_ok(line_out_, sizeof line_out_)};
}

// ---- persistence -----------------------------------------------------------------

void Registry::serialize(std::string& out) const {
    MonoMs now = clock_.mono_ms();
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    w.StartArray();
    for (std::uint32_t slot = head_; slot != kNone; slot = slab_[slot].next) {
        const Record& r = slab_[slot];
        if (now > r.expires_at) continue;
        // Exactly the reference's fields, keys sorted as it writes them, so
        // either server can load the other's file.
        char ts_buf[kIsoTimePythonBytes];
        std::string_view ts = format_iso8601_python(r.registered_wall, ts_buf);
        w.StartObject();
        w.Key("ip");
        w.String(r.ip, r.ip_len);
        w.Key("name");
        w.String(r.name, r.name_len);
        w.Key("namespace");
        w.String(r.ns, r.ns_len);
        w.Key("port");
        w.Int(r.port);
        w.Key("timestamp");
        w.String(ts.data(), static_cast<rapidjson::SizeType>(ts.size()));
        w.Key("ttl");
        w.Int64(r.ttl_s);
        w.EndObject();
    }
    w.EndArray();
    out.assign(buf.GetString(), buf.GetSize());
    out += '\n';
}

Registry::LoadResult Registry::load(std::string_view text) {
    LoadResult result;
    clear();
    next_expiry_ = kNever;
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(text.data(),
                                                                                  text.size());
    if (doc.HasParseError()) {
        result.error = "not valid JSON";
        return result;
    }
    if (!doc.IsArray()) {
        result.error = "not a JSON array";
        return result;
    }
    MonoMs now = clock_.mono_ms();
    WallMs wall = clock_.wall_ms();
    for (const auto& e : doc.GetArray()) {
        auto str = [&](const char* key, std::size_t max) -> std::string_view {
            if (!e.IsObject()) return {};
            auto m = e.FindMember(key);
            if (m == e.MemberEnd() || !m->value.IsString()) return {};
            std::string_view v(m->value.GetString(), m->value.GetStringLength());
            // A db written before names were checked may hold a surrogate.
            return v.size() <= max && is_valid_utf8(v) ? v : std::string_view();
        };
        auto integer = [&](const char* key, std::int64_t* v) {
            auto m = e.FindMember(key);
            if (m == e.MemberEnd()) return false;
            if (m->value.IsInt64()) {
                *v = m->value.GetInt64();
                return true;
            }
            if (m->value.IsString()) {
                py::IntResult r = py::parse_int({m->value.GetString(), m->value.GetStringLength()});
                *v = r.value;
                return r.ok();
            }
            return false;
        };
        std::string_view ip = str("ip", sizeof(Record::ip)), name = str("name", kMaxNameBytes),
                         ns = str("namespace", kMaxNameBytes);
        std::int64_t port = 0, ttl = 0;
        WallMs stamp = 0;
        bool ok = !ip.empty() && !name.empty() && !ns.empty() && integer("port", &port) &&
                  port >= 1 && port <= 65535 && integer("ttl", &ttl);
        if (ok) {
            auto m = e.FindMember("timestamp");
            if (m == e.MemberEnd()) {
                ok = false;
            } else if (m->value.IsString()) {
                ok = parse_iso8601({m->value.GetString(), m->value.GetStringLength()}, stamp);
            } else if (m->value.IsNumber() && std::fabs(m->value.GetDouble()) < 1e15) {
                stamp = static_cast<WallMs>(m->value.GetDouble() * 1000.0);
            } else {
                ok = false;
            }
        }
        if (!ok) {
            ++result.skipped;
            continue;
        }
        ttl = std::clamp(ttl, config_.min_ttl_s, config_.max_ttl_s);
        // A timestamp in the future (clock skew) never extends a registration
        // beyond its ttl from now.
        WallMs expires_wall = std::min(stamp + ttl * 1000, wall + ttl * 1000);
        if (wall > expires_wall) {
            ++result.expired;
            continue;
        }
        std::size_t before = live_;
        if (insert(ip, ns, name, static_cast<std::uint16_t>(port), ttl, now + (expires_wall - wall),
                   stamp) == kNone) {
            ++result.skipped;
            continue;
        }
        if (live_ > before) ++result.loaded;
    }
    result.ok = true;
    dirty_ = false;
    return result;
}

}  // namespace p2p
