// Before anything else, so RapidJSON gets json_util's UBSan exemption and
// clang sees the exemption before any standard header it would also cover.
#include "core/json_util.h"
// clang-format off
#include "core/rendezvous_client.h"
// clang-format on

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/backoff.h"
#include "core/log.h"
#include "core/number.h"
#include "core/text.h"

namespace p2p {

namespace {

constexpr const char* kModule = "Rendezvous";
constexpr MonoMs kBudgetWindowMs = 60'000;
// Added to the wait a server states when it blocks us: it rounds the
// remaining time, and arriving a moment early would restart the block.
constexpr MonoMs kBlockMarginMs = 1'000;
// A blocked answer without a number still means "go away for a while":
// the reference server blocks for 60 s.
constexpr std::int64_t kDefaultBlockSeconds = 60;
// Whatever ttl a server grants, REGISTER again no sooner than this: a granted
// ttl of 1 s must not spend the whole per-minute budget on REGISTERs and
// starve DISCOVER (issue 9.9). Such a registration lapses between renewals;
// a server that grants so little is broken or hostile.
constexpr MonoMs kMinReregisterMs = 10'000;
// The longest wait a server's "blocked ... lifted in N seconds" may impose
// (the reference blocks for 60 s); a larger N is a lie or a typo.
constexpr std::int64_t kMaxBlockSeconds = 600;

// ---- answers longer than a protocol line ------------------------------------------
//
// The shared codec parses at most kMaxLineBytes into a fixed arena, which
// covers every request and every answer but a DISCOVER listing many peers.
// Such an answer (rare: at most one per discovery interval, and only from a
// busy server) is parsed here into a heap-backed document, with the codec's
// tolerance: errors under `message` or `error`, `ip`/`port` or the older
// `observed_*`, numbers also as numeric strings, entries lacking
// ip/port/name/namespace skipped.

using LargeDoc = rapidjson::Document;
using LargeValue = LargeDoc::ValueType;

const LargeValue* large_member(const LargeValue& object, std::string_view key) {
    if (!object.IsObject()) return nullptr;
    const LargeValue* found = nullptr;  // the last of duplicates, as Python's json
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it)
        if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == key)
            found = &it->value;
    return found;
}

std::string_view large_string(const LargeValue* v) {
    return v && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                              : std::string_view();
}

std::int64_t large_int(const LargeValue* v, std::int64_t fallback) {
    if (!v) return fallback;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsDouble()) {
        double d = v->GetDouble();
        return d >= -9.2e18 && d <= 9.2e18 ? static_cast<std::int64_t>(d) : fallback;
    }
    std::string_view s = large_string(v);
    // Up to 18 digits, no sign: what a hand-made server writes for a count.
    std::int64_t n = 0;
    if (s.size() > 18 || !parse_decimal(s, 0, INT64_MAX, n)) return fallback;
    return n;
}

template <class OnPeer>
bool decode_large_answer(char* line, std::size_t len, RendezvousResponse& out, OnPeer&& on_peer) {
    out = RendezvousResponse{};
    line[len] = '\0';
    LargeDoc doc;
    doc.ParseInsitu<rapidjson::kParseIterativeFlag>(line);
    if (doc.HasParseError() || !doc.IsObject()) return false;
    out.ok = large_string(large_member(doc, "status")) == "OK";
    if (!out.ok) {
        out.error = json::repair_in_place(large_string(large_member(doc, "message")));
        if (out.error.empty())
            out.error = json::repair_in_place(large_string(large_member(doc, "error")));
    }
    out.ttl = large_int(large_member(doc, "ttl"), 0);
    out.observed_ip = large_string(large_member(doc, "ip"));
    if (out.observed_ip.empty()) out.observed_ip = large_string(large_member(doc, "observed_ip"));
    out.observed_port = large_int(large_member(doc, "port"), 0);
    if (out.observed_port == 0)
        out.observed_port = large_int(large_member(doc, "observed_port"), 0);
    if (!is_valid_name(out.observed_ip)) out.observed_ip = {};
    clamp_response(out);
    const LargeValue* peers = large_member(doc, "peers");
    if (!peers || !peers->IsArray()) return true;
    out.has_peers = true;
    for (const LargeValue& entry : peers->GetArray()) {
        if (!entry.IsObject()) continue;
        const LargeValue* ip = large_member(entry, "ip");
        const LargeValue* name = large_member(entry, "name");
        const LargeValue* ns = large_member(entry, "namespace");
        std::int64_t port = large_int(large_member(entry, "port"), 0);
        if (!ip || !ip->IsString() || !name || !name->IsString() || !ns || !ns->IsString() ||
            port < 1 || port > 65535)
            continue;
        DiscoveredPeer peer;
        peer.ip = large_string(ip);
        peer.port = port;
        peer.name = large_string(name);
        peer.ns = large_string(ns);
        peer.ttl = large_int(large_member(entry, "ttl"), 0);
        peer.expires_in = large_int(large_member(entry, "expires_in"), -1);
        clamp_discovered(peer);
        on_peer(peer);
    }
    return true;
}

}  // namespace

std::int64_t parse_block_seconds(std::string_view text) {
    static constexpr std::string_view kLifted = "lifted in ";
    std::size_t at = text.find(kLifted);
    if (at != std::string_view::npos) {
        std::size_t pos = at + kLifted.size();
        std::int64_t seconds = 0;
        std::size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 9) {
            seconds = seconds * 10 + (text[pos] - '0');
            ++pos;
            ++digits;
        }
        if (digits > 0) return std::min(seconds, kMaxBlockSeconds);
    }
    if (text.find("has been blocked") != std::string_view::npos) return kDefaultBlockSeconds;
    return -1;
}

const char* rdv_request_name(RdvRequestKind kind) {
    switch (kind) {
        case RdvRequestKind::kRegister:
            return "REGISTER";
        case RdvRequestKind::kDiscover:
            return "DISCOVER";
        case RdvRequestKind::kUnregister:
            return "UNREGISTER";
    }
    return "?";
}

const char* rdv_failure_name(RdvFailure failure) {
    switch (failure) {
        case RdvFailure::kResolve:
            return "cannot resolve host";
        case RdvFailure::kConnect:
            return "unreachable";
        case RdvFailure::kTimeout:
            return "no answer in time";
        case RdvFailure::kClosed:
            return "closed without an answer";
        case RdvFailure::kIo:
            return "i/o error";
        case RdvFailure::kTooLong:
            return "answer too long";
        case RdvFailure::kMalformed:
            return "answer is not a JSON object";
    }
    return "?";
}

RendezvousClient::RendezvousClient(Config config, const Clock& clock, Rng& rng,
                                   RendezvousClientListener& listener)
    : config_(std::move(config)), clock_(clock), rng_(rng), listener_(listener) {
    self_id_ = config_.name + "@" + config_.ns;
    if (config_.max_requests_per_minute < 1) config_.max_requests_per_minute = 1;
    // "Long ago" so an empty ring never holds a request back.
    recent_.assign(static_cast<std::size_t>(config_.max_requests_per_minute),
                   std::numeric_limits<MonoMs>::min() / 2);
    peers_.resize(config_.max_tracked_peers);
    spare_.resize(kSparesPerSlot * config_.max_tracked_peers);
}

void RendezvousClient::start() {
    if (started_) return;
    started_ = true;
    register_due_ = clock_.mono_ms();
}

void RendezvousClient::request_discover() {
    if (shutting_down_) return;
    discover_due_ = clock_.mono_ms();
    // The user asked for it now: skip a failure backoff, but never a block.
    if (!hold_is_block_) hold_until_ = 0;
}

void RendezvousClient::shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    in_flight_ = false;  // its outcome no longer matters; the id goes stale
    if (!register_ever_sent_) done_ = true;
}

MonoMs RendezvousClient::budget_free_at(MonoMs) const {
    // The ring's next slot holds the oldest of the last N send times.
    return recent_[recent_next_] + kBudgetWindowMs;
}

void RendezvousClient::note_request(MonoMs now) {
    recent_[recent_next_] = now;
    recent_next_ = (recent_next_ + 1) % recent_.size();
}

MonoMs RendezvousClient::next_deadline() const {
    MonoMs deadline = kNeverMs;
    for (const TrackedPeer& p : peers_)
        if (p.used) deadline = std::min(deadline, p.expires_at + 1);
    deadline = std::min(deadline, refill_due_);
    if (!started_ || done_ || in_flight_) return deadline;
    MonoMs now = clock_.mono_ms();
    if (shutting_down_) return unregister_sent_ ? deadline : now;
    MonoMs want = registered_ ? std::min(register_due_, discover_due_) : now;
    if (want == kNeverMs) return deadline;
    want = std::max({want, hold_until_, budget_free_at(now)});
    return std::min(deadline, want);
}

void RendezvousClient::tick() {
    MonoMs now = clock_.mono_ms();
    if (now >= refill_due_) replace_unwanted();
    expire_peers(now);
}

bool RendezvousClient::next_request(RdvRequest& out) {
    if (!started_ || done_ || in_flight_) return false;
    MonoMs now = clock_.mono_ms();
    expire_peers(now);

    RdvRequestKind kind;
    if (shutting_down_) {
        if (unregister_sent_) return false;
        if (hold_is_block_ && now < hold_until_) {
            // The server would refuse it and extend nothing useful.
            done_ = true;
            listener_.on_unregistered(false, "blocked by the server");
            return false;
        }
        kind = RdvRequestKind::kUnregister;
        unregister_sent_ = true;
    } else {
        if (now < hold_until_ || now < budget_free_at(now)) return false;
        if (!registered_ || now >= register_due_) {
            kind = RdvRequestKind::kRegister;
            register_ever_sent_ = true;
        } else if (now >= discover_due_) {
            kind = RdvRequestKind::kDiscover;
            ++round_;
            round_listed_ = round_usable_ = round_invalid_ = round_dropped_full_ = 0;
            spare_count_ = spare_next_ = round_overflow_ = round_unwanted_ = 0;
            refill_due_ = kNeverMs;
        } else {
            return false;
        }
    }

    out = RdvRequest{};
    out.kind = kind;
    out.id = next_id_++;
    out.name = config_.name;
    out.ns = config_.ns;
    out.port = config_.listen_port;
    if (kind == RdvRequestKind::kRegister) out.ttl_s = config_.ttl_s;
    if (kind == RdvRequestKind::kDiscover && config_.discover_all_namespaces) out.ns = {};
    in_flight_ = true;
    in_flight_kind_ = kind;
    in_flight_id_ = out.id;
    note_request(now);
    P2P_DEBUG(kModule, "sending %s (request %llu)", rdv_request_name(kind),
              static_cast<unsigned long long>(out.id));
    return true;
}

MonoMs RendezvousClient::backoff_delay(int failures) {
    return p2p::backoff_delay({config_.backoff_initial_ms, config_.backoff_max_ms, Jitter::kEqual},
                              failures, rng_);
}

void RendezvousClient::fail(RdvRequestKind kind, std::string_view reason, std::int64_t blocked_s) {
    MonoMs now = clock_.mono_ms();
    ++failures_;
    bool blocked = blocked_s >= 0;
    MonoMs delay = blocked ? blocked_s * 1000 + kBlockMarginMs : backoff_delay(failures_);
    hold_until_ = now + delay;
    hold_is_block_ = blocked;
    // The listener shows this as a console event: logged at DEBUG only, so
    // it is printed once.
    if (blocked) {
        P2P_DEBUG(kModule, "%s: server blocked us, waiting %lld s: %.*s", rdv_request_name(kind),
                  static_cast<long long>(delay / 1000), static_cast<int>(reason.size()),
                  reason.data());
    } else {
        P2P_DEBUG(kModule, "%s failed (%.*s), retry %d in %lld ms", rdv_request_name(kind),
                  static_cast<int>(reason.size()), reason.data(), failures_,
                  static_cast<long long>(delay));
    }
    listener_.on_request_failed(kind, reason, blocked, delay);
}

void RendezvousClient::on_failure(std::uint64_t id, RdvFailure failure, std::string_view detail) {
    if (!in_flight_ || id != in_flight_id_) return;
    in_flight_ = false;
    RdvRequestKind kind = in_flight_kind_;
    // "unreachable: Connection refused": the kind of failure and its cause,
    // so the user is told why, not only that (issue 15.6).
    char reason[256];
    if (detail.empty())
        std::snprintf(reason, sizeof reason, "%s", rdv_failure_name(failure));
    else
        std::snprintf(reason, sizeof reason, "%s: %.*s", rdv_failure_name(failure),
                      static_cast<int>(std::min<std::size_t>(detail.size(), 200)), detail.data());
    if (kind == RdvRequestKind::kUnregister) {
        done_ = true;
        listener_.on_unregistered(false, reason);
        return;
    }
    if (kind == RdvRequestKind::kDiscover && failure == RdvFailure::kTooLong &&
        config_.discover_all_namespaces) {
        // Every namespace together is more than we can hold: ask for ours only.
        config_.discover_all_namespaces = false;
        P2P_WARN(kModule, "DISCOVER of every namespace is too long; listing %s only",
                 config_.ns.c_str());
    }
    fail(kind, reason, -1);
}

void RendezvousClient::on_response(std::uint64_t id, const RendezvousResponse& response) {
    if (!in_flight_ || id != in_flight_id_) return;
    in_flight_ = false;
    RdvRequestKind kind = in_flight_kind_;
    MonoMs now = clock_.mono_ms();

    if (!response.ok) {
        std::string_view error = response.error.empty() ? "error without a reason" : response.error;
        if (kind == RdvRequestKind::kUnregister) {
            done_ = true;
            listener_.on_unregistered(false, error);
            return;
        }
        // Our registration vanished (server restarted empty, or it lapsed):
        // register again before discovering.
        if (kind == RdvRequestKind::kDiscover && error == "peer_not_registered")
            registered_ = false;
        fail(kind, error, parse_block_seconds(error));
        return;
    }

    failures_ = 0;
    hold_until_ = 0;
    hold_is_block_ = false;
    switch (kind) {
        case RdvRequestKind::kRegister: {
            registered_ = true;
            // The codec clamped ttl into 0..kMaxRendezvousTtlSeconds; a runtime
            // calling on_response directly gets the same bound here.
            granted_ttl_s_ =
                response.ttl > 0 ? std::min(response.ttl, kMaxRendezvousTtlSeconds) : config_.ttl_s;
            register_due_ = now + std::max(granted_ttl_s_ * 1000 / 2, kMinReregisterMs);
            if (discover_due_ == kNeverMs) discover_due_ = now;  // first registration
            P2P_DEBUG(kModule, "registered %s port %u ttl %lld s; server sees us at %.*s:%lld",
                      self_id_.c_str(), static_cast<unsigned>(config_.listen_port),
                      static_cast<long long>(granted_ttl_s_),
                      static_cast<int>(response.observed_ip.size()), response.observed_ip.data(),
                      static_cast<long long>(response.observed_port));
            listener_.on_registered(response.observed_ip, response.observed_port, granted_ttl_s_);
            break;
        }
        case RdvRequestKind::kDiscover:
            discover_due_ = now + config_.discovery_interval_ms;
            finish_discover_round();
            break;
        case RdvRequestKind::kUnregister:
            registered_ = false;
            done_ = true;
            P2P_DEBUG(kModule, "unregistered %s", self_id_.c_str());
            listener_.on_unregistered(true, {});
            break;
    }
}

void RendezvousClient::on_response_line(std::uint64_t id, char* line, std::size_t len,
                                        JsonArena& arena) {
    if (len > kMaxLineBytes) {
        RendezvousResponse response;
        bool parsed = decode_large_answer(
            line, len, response, [&](const DiscoveredPeer& peer) { on_discover_entry(id, peer); });
        if (parsed)
            on_response(id, response);
        else
            on_failure(id, RdvFailure::kMalformed);
        return;
    }
    struct Ctx {
        RendezvousClient* client;
        std::uint64_t id;
    } ctx{this, id};
    RendezvousResponse response;
    std::size_t skipped = 0;
    bool parsed = decode_rendezvous_response(
        line, len, arena, response,
        [](void* c, const DiscoveredPeer& peer) {
            auto* x = static_cast<Ctx*>(c);
            x->client->on_discover_entry(x->id, peer);
        },
        &ctx, &skipped);
    if (skipped > 0)
        P2P_DEBUG(kModule, "%zu DISCOVER entries lacked ip, port, name or namespace", skipped);
    if (parsed)
        on_response(id, response);
    else
        on_failure(id, RdvFailure::kMalformed);
}

}  // namespace p2p
