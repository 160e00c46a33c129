// The rendezvous server's logic, sans-I/O (docs/protocol.md §3): registrations
// keyed by (source IP, namespace, name) with expiry, the answers to REGISTER,
// DISCOVER and UNREGISTER exactly as the reference server gives them, the
// per-IP connection rate limit, and persistence to/from JSON text.
//
// The server calls admit() once per accepted connection and handle() with the
// one request line it reads; both return the line to send (with '\n'). Time
// comes from the Clock: monotonic for expiry and rate limiting, wall time
// only for what is persisted.
//
// Memory: registrations live in a slab sized at construction
// (max_registrations); short answers are built in a buffer reused across
// requests. A DISCOVER answer is encoded once per change of what it lists and
// handed out as a shared, immutable buffer (SharedAnswer): a flood of DISCOVERs
// costs a lookup each, not an encoding of the whole registry each, and every
// connection writes the same bytes without a copy (docs/rendezvous.md "What a
// DISCOVER costs"). Per-IP state is bounded by max_tracked_ips.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/codec.h"
#include "core/limits.h"
#include "core/rendezvous_request.h"

namespace p2p {

struct RegistryConfig {
    std::size_t max_registrations = 16384;
    std::int64_t default_ttl_s = 7200;
    std::int64_t min_ttl_s = 1;
    std::int64_t max_ttl_s = 86400;
    // Connections per source IP in a sliding window; 0 disables the limit.
    std::uint32_t rate_limit = 50;
    MonoMs rate_window_ms = 60'000;
    MonoMs block_ms = 60'000;
    // IPs whose rate-limit history is remembered. IPs holding registrations
    // are always tracked on top of these.
    std::size_t max_tracked_ips = 8192;
    // How long an encoded DISCOVER answer is handed out again while nothing it
    // lists changed. Its `expires_in` values are those of the moment it was
    // encoded, so they may be up to this much older than the request (0:
    // encode for every request, exact to the millisecond as before).
    MonoMs discover_cache_ms = 1'000;
};

// A DISCOVER answer, encoded once, never changed after it is handed out, and
// kept alive by every connection still writing it.
struct SharedAnswer {
    std::string text;  // the whole line, '\n' included
    // Connections still writing it: the server's count, so the bytes are
    // charged once to its pending-output budget however many share them.
    mutable std::size_t writers = 0;
};
using SharedAnswerPtr = std::shared_ptr<const SharedAnswer>;

class Registry {
  public:
    enum class Admission {
        kAdmit,          // read the request
        kCloseSilently,  // the connection that crossed the limit: no reply
        kBlocked,        // send the blocked message (returned) and close
    };

    struct LoadResult {
        bool ok = false;  // false: not a JSON array (error says why)
        std::string error;
        std::size_t loaded = 0;   // live registrations restored
        std::size_t expired = 0;  // dropped: expired while we were down
        std::size_t skipped = 0;  // dropped: malformed or over capacity
    };

    explicit Registry(const Clock& clock, RegistryConfig config = {});
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Rate limiting of a new connection from ip:port. For kBlocked, *reply
    // receives the reference's message (valid until the next call).
    Admission admit(std::string_view ip, std::uint16_t port, std::string_view* reply);

    // The reference's answer to a connection from a blocked IP, block lifted in left_s.
    static std::size_t encode_blocked(char* out, std::size_t cap, std::string_view ip,
                                      std::uint16_t port, std::uint32_t limit, std::int64_t left_s);

    // An answer: `text` (including '\n') is valid until the next call, or for as
    // long as `shared` is held when it is set (DISCOVER answers).
    struct Reply {
        Reply(std::string_view t = {}) : text(t) {}  // NOLINT: a short answer converts
        Reply(const SharedAnswerPtr& s) : text(s->text), shared(s) {}  // NOLINT
        std::string_view text;
        SharedAnswerPtr shared;
    };
    // Answers one request line (without its '\n'). `line` is parsed in place:
    // it must be writable, with line[len] writable too.
    Reply answer(char* line, std::size_t len, std::string_view ip, std::uint16_t port);
    // The same, for callers that copy the text before the next call.
    std::string_view handle(char* line, std::size_t len, std::string_view ip, std::uint16_t port) {
        return answer(line, len, ip, port).text;
    }
    // DISCOVER answers encoded since construction (each one walked the registry).
    std::uint64_t discover_encodings() const { return discover_encodings_; }

    // True once a change (REGISTER, a removal) has not been persisted yet.
    bool dirty() const { return dirty_; }
    void clear_dirty() { dirty_ = false; }
    // The live registrations as a JSON array in the reference server's file
    // format (ip, name, namespace, port, timestamp ISO-8601, ttl).
    void serialize(std::string& out) const;
    // Replaces the registrations with those in `text`, dropping expired and
    // malformed entries. Accepts the reference server's peers.json. On a
    // text that is not a JSON array the registry is left empty.
    LoadResult load(std::string_view text);

    // Live registrations (expired ones are dropped first).
    std::size_t size();
    // Source IPs blocked right now for exceeding the rate limit (for `stats`).
    std::size_t blocked_ips() const;
    const RegistryConfig& config() const { return config_; }

  private:
    struct Record {
        char ip[64];
        char ns[kMaxNameBytes];
        char name[kMaxNameBytes];
        std::uint8_t ip_len, ns_len, name_len;
        std::uint16_t port;
        std::int64_t ttl_s;
        MonoMs expires_at;  // expired once now > expires_at
        WallMs registered_wall;
        MonoMs registered_mono;
        std::uint32_t prev, next;  // registration order (the reference lists in it)
        bool live;
        std::string_view ip_view() const { return {ip, ip_len}; }
        std::string_view ns_view() const { return {ns, ns_len}; }
        std::string_view name_view() const { return {name, name_len}; }
    };
    struct IpState {
        std::uint32_t registrations = 0;
        MonoMs blocked_until = 0;  // 0: not blocked
        MonoMs last_seen = 0;
        std::uint32_t ring_head = 0, ring_count = 0;
        std::unique_ptr<MonoMs[]> ring;  // admission times, oldest at head
    };
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    template <class V>
    using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

    // A DISCOVER answer as encoded for one namespace (or all) at built_at.
    struct CachedAnswer {
        std::shared_ptr<SharedAnswer> answer;
        MonoMs built_at = 0;
        bool valid = false;
    };

    std::string_view reply_error(std::string_view message);
    std::string_view do_register(const CheckedRequest& req, std::string_view ip);
    Reply do_discover(const CheckedRequest& req, std::string_view ip);
    std::string_view do_unregister(const CheckedRequest& req, std::string_view ip);
    // Encodes the live registrations of `ns` (all when `all`) into `cache`, reusing its
    // buffer when no connection holds it any more. Returns the number listed.
    std::size_t encode_discover(CachedAnswer& cache, bool all, std::string_view ns);
    bool fresh(const CachedAnswer& cache) const;
    // A registration of `ns` came, went or changed: the answers listing it are stale.
    void invalidate_answers(std::string_view ns);

    void sweep_expired();
    bool has_live_registration(std::string_view ip);
    std::uint32_t insert(std::string_view ip, std::string_view ns, std::string_view name,
                         std::uint16_t port, std::int64_t ttl_s, MonoMs expires_at,
                         WallMs registered_wall);
    void remove(std::uint32_t slot);
    void clear();
    // create: also make it if absent (within max_tracked_ips unless force).
    IpState* ip_state(std::string_view ip, bool create, bool force);
    std::size_t key_of(std::string_view ip, std::string_view ns, std::string_view name,
                       char* out) const;

    const Clock& clock_;
    RegistryConfig config_;
    RequestChecker checker_;
    std::vector<Record> slab_;
    std::vector<std::uint32_t> free_;
    std::uint32_t head_, tail_;  // registration order; kNone when empty
    std::size_t live_ = 0;
    MonoMs next_expiry_;
    StringMap<std::uint32_t> by_key_;
    StringMap<IpState> ips_;
    std::size_t ips_with_registrations_ = 0;
    bool dirty_ = false;

    CachedAnswer all_answer_;  // DISCOVER without a namespace
    // Namespaces that had live registrations when asked for, at most kKeptAnswers.
    StringMap<CachedAnswer> ns_answers_;
    CachedAnswer scratch_answer_;  // a namespace nobody is registered in
    std::uint64_t discover_encodings_ = 0;

    char line_out_[4096];  // short answers (rdv::kRdvLineBytes)
};

}  // namespace p2p
