#include "core/rendezvous_request.h"

#include <algorithm>

#include "core/limits.h"
#include "core/python_compat.h"
#include "core/rendezvous_wire.h"
#include "core/text.h"

namespace p2p {

namespace {

// A repaired line may grow: each invalid byte becomes the 3-byte U+FFFD.
constexpr std::size_t kRepairedBytes = 3 * kMaxLineBytes + 1;

using Kind = CheckedRequest::Kind;

CheckedRequest reply(std::string_view message, Kind kind = Kind::kReply) {
    CheckedRequest r;
    r.kind = kind;
    r.error = message;
    return r;
}

// The reference's rule (a string of 1..64) plus valid UTF-8: a lone
// "\udc00" escape decodes to a surrogate, which stored and listed would make
// every DISCOVER answer invalid for strict clients (issue 9.5). Refused with
// the reference's code for that field (bad_name / bad_namespace).
bool valid_label(const LooseValue& v) {
    return v.kind == LooseValue::Kind::kString && !v.str.empty() && v.str.size() <= kMaxNameBytes &&
           is_valid_utf8(v.str);
}

bool absent(const LooseValue& v) {
    return v.kind == LooseValue::Kind::kMissing || v.kind == LooseValue::Kind::kNull;
}

}  // namespace

CheckedRequest RequestChecker::check(char* line, std::size_t len) {
    std::string_view text(line, len);
    if (py::is_blank(text)) return reply(rdv::kMsgEmptyLine);
    char* parse = line;
    std::size_t parse_len = len;
    if (!is_valid_utf8(text)) {
        // The reference decodes with errors="replace" before parsing.
        if (!repaired_) repaired_.reset(new char[kRepairedBytes]);
        RepairedUtf8 repaired = repair_utf8(text, repaired_.get(), kRepairedBytes - 1);
        if (!repaired.complete || repaired.len > kMaxLineBytes)
            return reply(rdv::kMsgUnknownCommand);
        parse_len = repaired.len;
        parse = repaired_.get();
    }
    RendezvousRequest req;
    if (decode_rendezvous_request(parse, parse_len, arena_, req) != RequestParse::kOk)
        return reply(rdv::kMsgUnknownCommand);
    char upper[16];
    std::string_view command(upper, py::upper_ascii(req.type, upper, sizeof upper));
    if (command == "REGISTER") return check_register(req);
    if (command == "DISCOVER") return check_discover(req);
    if (command == "UNREGISTER") return check_unregister(req);
    return reply(rdv::kMsgUnknownCommand);
}

CheckedRequest RequestChecker::check_register(const RendezvousRequest& req) {
    // The reference checks in this order: name, ttl, namespace, port.
    if (!valid_label(req.name)) return reply("bad_name");
    std::int64_t ttl = ttl_.default_ttl_s;
    if (req.ttl.kind != LooseValue::Kind::kMissing) {
        py::IntResult t = py::to_int(req.ttl);
        if (!t.ok()) return reply("bad_ttl");
        ttl = std::clamp(t.value, ttl_.min_ttl_s, ttl_.max_ttl_s);
    }
    if (!valid_label(req.ns)) return reply("bad_namespace");
    py::IntResult p = py::to_int(req.port);
    if (!p.ok() || p.value < 1 || p.value > 65535) return reply("bad_port");
    CheckedRequest r;
    r.kind = Kind::kRegister;
    r.ns = req.ns.str;
    r.name = req.name.str;
    r.port = static_cast<std::uint16_t>(p.value);
    r.ttl_s = ttl;
    return r;
}

CheckedRequest RequestChecker::check_discover(const RendezvousRequest& req) {
    CheckedRequest r;
    r.kind = Kind::kDiscover;
    r.all = absent(req.ns);
    if (!r.all && !valid_label(req.ns)) return reply("bad_namespace", Kind::kErrorIfRegistered);
    if (!r.all) r.ns = req.ns.str;
    return r;
}

CheckedRequest RequestChecker::check_unregister(const RendezvousRequest& req) {
    if (absent(req.ns)) return reply("namespace_required", Kind::kErrorIfRegistered);
    if (!valid_label(req.ns)) return reply("bad_namespace", Kind::kErrorIfRegistered);
    CheckedRequest r;
    r.kind = Kind::kUnregister;
    r.ns = req.ns.str;
    r.any_port = absent(req.port);
    if (!r.any_port) {
        py::IntResult p = py::to_int(req.port);
        if (!p.ok() || p.value < 1 || p.value > 65535) {
            message_ = "bad_port (";
            py::append_str(req.port, message_);
            message_ += ')';
            return reply(message_, Kind::kErrorIfRegistered);
        }
        r.port = static_cast<std::uint16_t>(p.value);
    }
    r.any_name = absent(req.name);
    // A name that is not a string never equals a stored name (Python ==): nothing
    // matches.
    if (!r.any_name && req.name.kind != LooseValue::Kind::kString)
        return reply("peer_credentials_do_not_match", Kind::kErrorIfRegistered);
    r.name = req.name.str;
    return r;
}

}  // namespace p2p
