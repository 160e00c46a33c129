// Rendezvous codec (docs/protocol.md §3): the server's view of a request, the
// node's view of an answer, and the encoders of core/rendezvous_wire.h.
#include <algorithm>
#include <cstring>

#include "core/codec.h"
#include "core/json_util.h"
#include "core/number.h"
#include "core/rendezvous_wire.h"
#include "core/text.h"

namespace p2p {

namespace {

// A field as Python's json module would hand it to the reference handler.
// Strings, numbers and literals are kept; arrays and objects only by kind
// ("[]" / "{}" in str, for the bad_port message).
LooseValue loose(const json::Value* v) {
    LooseValue out;
    if (!v) return out;
    if (v->IsNull()) {
        out.kind = LooseValue::Kind::kNull;
    } else if (v->IsBool()) {
        out.kind = LooseValue::Kind::kBool;
        out.i = v->GetBool() ? 1 : 0;
    } else if (v->IsInt64()) {
        out.kind = LooseValue::Kind::kInt;
        out.i = v->GetInt64();
    } else if (v->IsNumber()) {
        // Doubles, and integers beyond int64 (RapidJSON keeps those as
        // uint64 or double); both saturate the same way under int().
        out.kind = LooseValue::Kind::kDouble;
        out.d = v->GetDouble();
    } else if (v->IsString()) {
        out.kind = LooseValue::Kind::kString;
        out.str = json::view(*v);
    } else {
        out.kind = LooseValue::Kind::kOther;
        out.str = v->IsObject() ? std::string_view("{}") : std::string_view("[]");
    }
    return out;
}

std::int64_t int_or(const json::Value* v, std::int64_t fallback) {
    if (!v) return fallback;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsDouble()) {
        double d = v->GetDouble();
        if (d >= -9.2e18 && d <= 9.2e18) return static_cast<std::int64_t>(d);
    }
    // Old servers and hand-made ones sometimes send numbers as strings.
    if (v->IsString()) {
        std::string_view s = json::view(*v);
        // Up to 18 digits, no sign: what a hand-made server writes for a count.
        std::int64_t n = 0;
        if (s.size() > 18 || !parse_decimal(s, 0, INT64_MAX, n)) return fallback;
        return n;
    }
    return fallback;
}

std::string_view string_or_empty(const json::Value* v) {
    return v && v->IsString() ? json::view(*v) : std::string_view();
}

// Text we only show or compare (status, error message): made valid UTF-8 in
// place, as answers are parsed with RawUtf8::kAccept.
std::string_view text_or_empty(const json::Value* v) {
    return json::repair_in_place(string_or_empty(v));
}

// An address we show or dial: the characters of a name (no controls, no
// spaces, valid UTF-8), else nothing.
std::string_view address_or_empty(const json::Value* v) {
    std::string_view s = string_or_empty(v);
    return is_valid_name(s) ? s : std::string_view();
}

std::size_t finish_line(json::FixedWriter& w) {
    w.put_raw('\n');
    return w.failed() ? 0 : w.size();
}

}  // namespace

RequestParse decode_rendezvous_request(char* line, std::size_t len, JsonArena& arena,
                                       RendezvousRequest& out) {
    out = RendezvousRequest{};
    const json::Value* root = json::parse_line(arena, line, len);
    if (!root || !root->IsObject()) return RequestParse::kNotJsonOrNoType;
    const json::Value* type = json::string_member(*root, "type");
    if (!type) return RequestParse::kNotJsonOrNoType;
    out.type = json::view(*type);
    out.ns = loose(json::member(*root, "namespace"));
    out.name = loose(json::member(*root, "name"));
    out.port = loose(json::member(*root, "port"));
    out.ttl = loose(json::member(*root, "ttl"));
    return RequestParse::kOk;
}

bool decode_rendezvous_response(char* line, std::size_t len, JsonArena& arena,
                                RendezvousResponse& out, DiscoveredPeerFn on_peer, void* ctx,
                                std::size_t* skipped) {
    out = RendezvousResponse{};
    if (skipped) *skipped = 0;
    // Servers before this fix wrote a stored invalid name byte for byte: one
    // bad entry must cost only that entry, not the whole answer.
    const json::Value* root = json::parse_line(arena, line, len, json::RawUtf8::kAccept);
    if (!root || !root->IsObject()) return false;

    std::string_view status = string_or_empty(json::member(*root, "status"));
    out.ok = status == "OK";
    if (!out.ok) {
        // The current server writes the code under `message`, older ones
        // under `error`.
        out.error = text_or_empty(json::member(*root, "message"));
        if (out.error.empty()) out.error = text_or_empty(json::member(*root, "error"));
    }
    out.ttl = int_or(json::member(*root, "ttl"), 0);
    out.observed_ip = address_or_empty(json::member(*root, "ip"));
    if (out.observed_ip.empty())
        out.observed_ip = address_or_empty(json::member(*root, "observed_ip"));
    out.observed_port = int_or(json::member(*root, "port"), 0);
    if (out.observed_port == 0) out.observed_port = int_or(json::member(*root, "observed_port"), 0);
    clamp_response(out);

    const json::Value* peers = json::member(*root, "peers");
    if (!peers || !peers->IsArray()) return true;
    out.has_peers = true;
    for (const json::Value& entry : peers->GetArray()) {
        DiscoveredPeer peer;
        const json::Value* ip = entry.IsObject() ? json::string_member(entry, "ip") : nullptr;
        const json::Value* name = entry.IsObject() ? json::string_member(entry, "name") : nullptr;
        const json::Value* ns =
            entry.IsObject() ? json::string_member(entry, "namespace") : nullptr;
        std::int64_t port = entry.IsObject() ? int_or(json::member(entry, "port"), 0) : 0;
        if (!ip || !name || !ns || port < 1 || port > 65535) {
            if (skipped) ++*skipped;
            continue;
        }
        // Names are passed on as sent: the client applies the name rule (and
        // logs what it skips, escaped by the log sinks).
        peer.ip = json::view(*ip);
        peer.port = port;
        peer.name = json::view(*name);
        peer.ns = json::view(*ns);
        peer.ttl = int_or(json::member(entry, "ttl"), 0);
        peer.expires_in = int_or(json::member(entry, "expires_in"), -1);
        clamp_discovered(peer);
        if (on_peer) on_peer(ctx, peer);
    }
    return true;
}

void clamp_response(RendezvousResponse& r) {
    r.ttl = std::clamp<std::int64_t>(r.ttl, 0, kMaxRendezvousTtlSeconds);
    if (r.observed_port < 0 || r.observed_port > 65535) r.observed_port = 0;
}

void clamp_discovered(DiscoveredPeer& p) {
    p.ttl = std::clamp<std::int64_t>(p.ttl, 0, kMaxRendezvousTtlSeconds);
    // Negative: the server did not say (the codec's -1).
    p.expires_in = p.expires_in < 0 ? -1 : std::min(p.expires_in, kMaxRendezvousTtlSeconds);
}

namespace rdv {

std::size_t encode_register(char* out, std::size_t cap, std::string_view ns, std::string_view name,
                            std::uint16_t port, std::int64_t ttl_s) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "type", "REGISTER");
    json::put(w, "namespace", ns);
    json::put(w, "name", name);
    json::put_int(w, "port", port);
    json::put_int(w, "ttl", ttl_s);
    w.note(w->EndObject());
    return finish_line(w);
}

std::size_t encode_discover(char* out, std::size_t cap, std::string_view ns) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "type", "DISCOVER");
    if (!ns.empty()) json::put(w, "namespace", ns);
    w.note(w->EndObject());
    return finish_line(w);
}

std::size_t encode_unregister(char* out, std::size_t cap, std::string_view ns,
                              std::string_view name, std::uint16_t port) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "type", "UNREGISTER");
    json::put(w, "namespace", ns);
    if (!name.empty()) json::put(w, "name", name);
    if (port != 0) json::put_int(w, "port", port);
    w.note(w->EndObject());
    return finish_line(w);
}

std::size_t encode_ok(char* out, std::size_t cap) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "status", "OK");
    w.note(w->EndObject());
    return finish_line(w);
}

std::size_t encode_register_ok(char* out, std::size_t cap, std::int64_t ttl_s, std::string_view ip,
                               std::int64_t port) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "status", "OK");
    json::put_int(w, "ttl", ttl_s);
    json::put(w, "ip", ip);
    json::put_int(w, "port", port);
    w.note(w->EndObject());
    return finish_line(w);
}

std::size_t encode_error(char* out, std::size_t cap, std::string_view message) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "status", "ERROR");
    json::put(w, "message", message);
    w.note(w->EndObject());
    return finish_line(w);
}

std::size_t encode_line_too_long(char* out, std::size_t cap, std::size_t limit) {
    json::FixedWriter w(out, cap);
    w.note(w->StartObject());
    json::put(w, "status", "ERROR");
    json::put(w, "message", kMsgLineTooLong);
    json::put_uint(w, "limit", limit);
    w.note(w->EndObject());
    return finish_line(w);
}

DiscoverAnswerBuilder::DiscoverAnswerBuilder(std::string& out) : out_(out) {
    out_.clear();
    out_ += R"({"status":"OK","peers":[)";
}

bool DiscoverAnswerBuilder::add(const PeerEntry& peer) {
    char entry[kRdvLineBytes];
    json::FixedWriter w(entry, sizeof entry);
    w.note(w->StartObject());
    json::put(w, "ip", peer.ip);
    json::put_int(w, "port", peer.port);
    json::put(w, "name", peer.name);
    json::put(w, "namespace", peer.ns);
    json::put_int(w, "ttl", peer.ttl_s);
    json::put_int(w, "expires_in", peer.expires_in_s);
    w.note(w->EndObject());
    if (w.failed()) return false;
    if (!first_) out_ += ',';
    first_ = false;
    out_.append(entry, w.size());
    return true;
}

std::string_view DiscoverAnswerBuilder::finish() {
    out_ += "]}\n";
    return out_;
}

}  // namespace rdv
}  // namespace p2p
