// The answers to /peers /conn /rtt /routes /metrics /help: tables of at most
// 79 columns in plain and tty mode, one JSON object in JSON mode.
#include <cstdio>

#include "shell/ui/console_impl.h"
#include "shell/ui/help_text.h"

namespace p2p::shell {

using namespace console_detail;

// ---- tables ------------------------------------------------------------------------

namespace {

// "host:port" of a peer, "-" when it has no dial address.
std::string_view address_of(const PeerView& p, char (&out)[96]) {
    int n = p.host.empty() ? std::snprintf(out, sizeof out, "-")
                           : std::snprintf(out, sizeof out, "%.*s:%u", int(p.host.size()),
                                           p.host.data(), unsigned(p.port));
    return {out, static_cast<std::size_t>(n)};
}

// Under the row of a secured link: the peer's fingerprint, grouped for reading (a
// 64-column value does not fit a column of a 79-column table).
void secured_line(LineBuilder& o, std::string_view fingerprint) {
    if (fingerprint.empty()) return;
    o.text("  secured ");
    o.text(fingerprint);
    o.end_line({}, true);
}

}  // namespace

void Console::peers(std::span<const PeerView> peers, MonoMs now, std::string_view ns) {
    Impl& im = *impl_;
    auto wanted = [&](const PeerView& p) { return ns.empty() || p.ns == ns; };
    if (mode() == ConsoleMode::kJson) {
        im.begin_json_rows("peers", "peers");
        for (const PeerView& p : peers) {
            if (!wanted(p)) continue;
            if (!im.room_for_row(1024)) break;
            im.writer.StartObject();
            im.peer_id_field(p.peer_id);
            im.field("host", p.host);
            im.key("port");
            im.writer.Uint(p.port);
            im.field("state", peer_state_name(p.state));
            if (p.link != kNoLink) im.field("direction", link_direction_name(p.direction));
            im.key("rtt_ms");
            im.writer.Double(p.rtt_count > 0 ? p.rtt_mean_ms : -1);
            im.key("reconnect_attempts");
            im.writer.Int(p.reconnect_attempts);
            im.key("static");
            im.writer.Bool(p.is_static);
            im.key("said_bye");
            im.writer.Bool(p.said_bye);
            im.key("secured");
            im.writer.Bool(!p.fingerprint.empty());
            if (!p.fingerprint.empty()) im.field("fingerprint", p.fingerprint);
            im.writer.EndObject();
        }
        im.end_json_rows();
        return;
    }
    LineBuilder& o = im.out;
    // 22 + 1 + 21 + 1 + 10 + 1 + 4 + 7 + 2 + 10 = 79 columns.
    im.header_row({{.title = "PEER", .width = 22},
                   {.title = "ADDRESS", .width = 21, .pad_before = 1},
                   {.title = "STATE", .width = 10, .pad_before = 1},
                   {.title = "LINK", .width = 4, .pad_before = 1},
                   {.title = "RTT ms", .width = 7, .right = true},
                   {.title = "NOTE", .width = 10, .pad_before = 2}});
    std::size_t shown = 0;
    for (const PeerView& p : peers) {
        if (!wanted(p)) continue;
        if (o.nearly_full(256)) break;
        ++shown;
        char addr[96];
        char rtt[16];
        char note[16];
        char dur[16];
        std::string_view note_text;
        if (p.said_bye) {
            note_text = "bye";
        } else if (p.next_attempt_at > 0) {
            int m = std::snprintf(note, sizeof note, "dial %.*s",
                                  int(format_duration(p.next_attempt_at - now, dur).size()), dur);
            note_text = std::string_view(note, static_cast<std::size_t>(m));
        } else if (p.is_static) {
            note_text = "static";
        }
        o.cell(or_dash(p.peer_id), 22);
        o.pad(1);
        o.cell(address_of(p, addr), 21);
        o.pad(1);
        o.cell(peer_state_name(p.state), 10);
        o.pad(1);
        o.cell(p.link == kNoLink ? "-" : (p.direction == LinkDirection::kInbound ? "in" : "out"),
               4);
        o.cell(p.rtt_count > 0 ? format_ms(p.rtt_mean_ms, rtt) : "-", 7, true);
        o.pad(2);
        o.cell(note_text, 10);
        o.end_line({}, true);
        secured_line(o, p.fingerprint);
    }
    char total[48];
    int n = std::snprintf(total, sizeof total, "%zu peer%s", shown, shown == 1 ? "" : "s");
    o.label(std::string_view(total, static_cast<std::size_t>(n)));
    o.end_line();
    im.sink.write_lines(o.view());
}

void Console::links(std::span<const LinkView> links, MonoMs now) {
    Impl& im = *impl_;
    if (mode() == ConsoleMode::kJson) {
        im.begin_json_rows("conn", "links");
        for (const LinkView& l : links) {
            if (!im.room_for_row(1024)) break;
            im.writer.StartObject();
            im.key("link");
            im.writer.Uint(l.id);
            im.field("peer_id", l.peer_id);
            im.field("remote", l.remote);
            im.field("direction", link_direction_name(l.direction));
            im.field("state", link_state_name(l.state));
            im.key("active");
            im.writer.Bool(l.active);
            im.key("legacy");
            im.writer.Bool(l.legacy);
            im.key("features");
            im.writer.StartArray();
            if (l.features & kFeatureAck) im.str("ack");
            if (l.features & kFeatureMetrics) im.str("metrics");
            if (l.features & kFeatureRelay) im.str("relay");
            if (l.features & kFeatureWhoHas) im.str("who_has");
            if (l.features & kFeatureNoise) im.str("noise");
            im.writer.EndArray();
            im.key("secured");
            im.writer.Bool(!l.fingerprint.empty());
            if (!l.fingerprint.empty()) im.field("fingerprint", l.fingerprint);
            im.key("queued_bytes");
            im.writer.Uint64(l.queued_bytes);
            im.key("queued_msgs");
            im.writer.Uint64(l.queued_msgs);
            im.key("up_ms");
            im.writer.Int64(l.state == LinkState::kEstablished ? now - l.established_at : 0);
            im.writer.EndObject();
        }
        im.end_json_rows();
        return;
    }
    LineBuilder& o = im.out;
    // 23 + 1 + 21 + 1 + 3 + 1 + 7 + 1 + 4 + 8 + 2 + 7 = 79 columns.
    im.header_row({{.title = "PEER", .width = 23},
                   {.title = "REMOTE", .width = 21, .pad_before = 1},
                   {.title = "DIR", .width = 3, .pad_before = 1},
                   {.title = "STATE", .width = 7, .pad_before = 1},
                   {.title = "FEAT", .width = 4, .pad_before = 1},
                   {.title = "QUEUED", .width = 8, .right = true},
                   {.title = "UP", .width = 7, .pad_before = 2}});
    std::size_t shown = 0;
    for (const LinkView& l : links) {
        if (o.nearly_full(256)) break;
        ++shown;
        char feat[5] = {(l.features & kFeatureAck) ? 'a' : '-',
                        (l.features & kFeatureMetrics) ? 'm' : '-',
                        (l.features & kFeatureRelay) ? 'r' : '-',
                        (l.features & kFeatureWhoHas) ? 'w' : '-', '\0'};
        char queued[24];
        char dur[16];
        o.cell(or_dash(l.peer_id), 23);
        o.pad(1);
        o.cell(or_dash(l.remote), 21);
        o.pad(1);
        o.cell(l.direction == LinkDirection::kInbound ? "in" : "out", 3);
        o.pad(1);
        o.cell(short_link_state(l), 7);
        o.pad(1);
        o.cell(feat, 4);
        o.cell(format_u64(l.queued_bytes, queued), 8, true);
        o.pad(2);
        o.cell(l.state == LinkState::kEstablished ? format_duration(now - l.established_at, dur)
                                                  : std::string_view("-"),
               7);
        o.end_line({}, true);
        secured_line(o, l.fingerprint);
    }
    char total[80];
    int n =
        std::snprintf(total, sizeof total, "%zu link%s (FEAT: a=ack m=metrics r=relay w=who_has)",
                      shown, shown == 1 ? "" : "s");
    o.label(std::string_view(total, static_cast<std::size_t>(n)));
    o.end_line();
    im.sink.write_lines(o.view());
}

void Console::rtt(std::span<const PeerView> peers) {
    Impl& im = *impl_;
    if (mode() == ConsoleMode::kJson) {
        im.begin_json_rows("rtt", "peers");
        for (const PeerView& p : peers) {
            if (!im.room_for_row(512)) break;
            im.writer.StartObject();
            im.peer_id_field(p.peer_id);
            im.field("host", p.host);
            im.key("port");
            im.writer.Uint(p.port);
            im.key("mean_ms");
            im.writer.Double(p.rtt_count > 0 ? p.rtt_mean_ms : -1);
            im.key("last_ms");
            im.writer.Int64(p.rtt_count > 0 ? p.last_rtt_ms : -1);
            im.key("samples");
            im.writer.Int(p.rtt_count);
            im.writer.EndObject();
        }
        im.end_json_rows();
        return;
    }
    LineBuilder& o = im.out;
    // 44 + 1 + 10 + 1 + 10 + 1 + 8 = 75 columns.
    im.header_row({{.title = "PEER", .width = 44},
                   {.title = "MEAN ms", .width = 10, .right = true, .pad_before = 1},
                   {.title = "LAST ms", .width = 10, .right = true, .pad_before = 1},
                   {.title = "SAMPLES", .width = 8, .right = true, .pad_before = 1}});
    std::size_t shown = 0;
    for (const PeerView& p : peers) {
        if (o.nearly_full(256)) break;
        ++shown;
        char mean[16];
        char last[16];
        char count[24];
        char addr[96];
        o.cell(p.peer_id.empty() ? address_of(p, addr) : p.peer_id, 44);
        o.pad(1);
        o.cell(p.rtt_count > 0 ? format_ms(p.rtt_mean_ms, mean) : "-", 10, true);
        o.pad(1);
        o.cell(p.rtt_count > 0 ? format_ms(static_cast<double>(p.last_rtt_ms), last) : "-", 10,
               true);
        o.pad(1);
        o.cell(format_u64(static_cast<std::uint64_t>(p.rtt_count), count), 8, true);
        o.end_line({}, true);
    }
    if (shown == 0) {
        o.label("no RTT samples yet (PING every ping interval on each link)");
        o.end_line({}, true);
    }
    im.sink.write_lines(o.view());
}

void Console::routes(std::span<const RouteRow> routes) {
    Impl& im = *impl_;
    if (mode() == ConsoleMode::kJson) {
        im.begin_json_rows("routes", "routes");
        for (const RouteRow& r : routes) {
            if (!im.room_for_row(768)) break;
            im.writer.StartObject();
            im.field("dst", r.dst);
            im.field("via", r.via.empty() ? std::string_view("direct") : r.via);
            im.key("rtt_ms");
            im.writer.Double(r.rtt_ms);
            im.key("age_ms");
            im.writer.Int64(r.age_ms);
            im.key("dropped");
            im.writer.Uint64(r.dropped);
            im.key("slow_reader");
            im.writer.Bool(r.slow_reader);
            im.writer.EndObject();
        }
        im.end_json_rows();
        return;
    }
    LineBuilder& o = im.out;
    // 30 + 1 + 30 + 1 + 8 + 1 + 7 = 78 columns.
    im.header_row({{.title = "DESTINATION", .width = 30},
                   {.title = "VIA", .width = 30, .pad_before = 1},
                   {.title = "RTT ms", .width = 8, .right = true, .pad_before = 1},
                   {.title = "AGE", .width = 7, .pad_before = 1}});
    std::size_t shown = 0;
    for (const RouteRow& r : routes) {
        if (o.nearly_full(256)) break;
        ++shown;
        char rtt[16];
        char age[16];
        char via[48];
        std::string_view via_text = r.via.empty() ? std::string_view("direct") : r.via;
        if (r.via.empty() && (r.dropped > 0 || r.slow_reader)) {
            char n[24];
            int len = std::snprintf(via, sizeof via, "direct%s, %s dropped",
                                    r.slow_reader ? ", slow" : "", format_u64(r.dropped, n).data());
            via_text = std::string_view(via, static_cast<std::size_t>(len));
        }
        o.cell(or_dash(r.dst), 30);
        o.pad(1);
        o.cell(via_text, 30);
        o.pad(1);
        o.cell(format_ms(r.rtt_ms, rtt), 8, true);
        o.pad(1);
        o.cell(r.age_ms < 0 ? std::string_view("-") : format_duration(r.age_ms, age), 7);
        o.end_line({}, true);
    }
    if (shown == 0) {
        o.label("no routes: no peer is linked");
        o.end_line({}, true);
    }
    im.sink.write_lines(o.view());
}

void Console::metrics(const MetricsView& m) {
    Impl& im = *impl_;
    if (mode() == ConsoleMode::kJson) {
        im.begin_json("metrics");
        im.field("peer_id", m.peer_id);
        im.key("rtt_ms");
        im.writer.Double(m.rtt_ms);
        im.key("sent_count");
        im.writer.Uint64(m.sent_count);
        im.key("recv_count");
        im.writer.Uint64(m.recv_count);
        im.field("last_seen", m.last_seen);
        if (m.dropped > 0) {  // only a slow reader has it
            im.key("dropped");
            im.writer.Uint64(m.dropped);
        }
        im.finish_json();
        return;
    }
    im.begin_event(EventKind::kInfo);
    LineBuilder& o = im.out;
    char rtt[16];
    char sent[24];
    char recv[24];
    o.label("metrics ");
    o.text(or_dash(m.peer_id));
    o.label(": rtt ");
    o.label(format_ms(m.rtt_ms, rtt));
    o.label(" ms, sent ");
    o.label(format_u64(m.sent_count, sent));
    o.label(", received ");
    o.label(format_u64(m.recv_count, recv));
    o.label(", last seen ");
    o.text(or_dash(m.last_seen));
    if (m.dropped > 0) {
        char dropped[24];
        o.label("; we dropped ");
        o.label(format_u64(m.dropped, dropped));
        o.label(" relayed copies to it (slow reader)");
    }
    im.finish_text();
}

// One row per forwarded kind, one column per verdict of the gate
// (core/forward_gate.h).
void Console::forwarding(const ForwardCounts& counts) {
    Impl& im = *impl_;
    constexpr ForwardVerdict kVerdicts[] = {ForwardVerdict::kPass, ForwardVerdict::kNotNegotiated,
                                            ForwardVerdict::kTtlExpired,
                                            ForwardVerdict::kOverQuota};
    if (mode() == ConsoleMode::kJson) {
        im.begin_json_rows("forwarding", "forwarding");
        for (std::size_t k = 0; k < kForwardKinds; ++k) {
            im.writer.StartObject();
            im.field("kind", forward_kind_name(static_cast<Forward>(k)));
            for (ForwardVerdict v : kVerdicts) {
                im.key(forward_verdict_name(v));
                im.writer.Uint64(counts.at(static_cast<Forward>(k), v));
            }
            im.writer.EndObject();
        }
        im.end_json_rows();
        return;
    }
    LineBuilder& o = im.out;
    // 12 + 4 * (1 + 12) = 64 columns.
    im.header_row({{.title = "FORWARDED", .width = 12},
                   {.title = "ADMITTED", .width = 12, .right = true, .pad_before = 1},
                   {.title = "NOT AGREED", .width = 12, .right = true, .pad_before = 1},
                   {.title = "TTL SPENT", .width = 12, .right = true, .pad_before = 1},
                   {.title = "OVER QUOTA", .width = 12, .right = true, .pad_before = 1}});
    for (std::size_t k = 0; k < kForwardKinds; ++k) {
        o.cell(forward_kind_name(static_cast<Forward>(k)), 12);
        for (ForwardVerdict v : kVerdicts) {
            char n[24];
            o.pad(1);
            o.cell(format_u64(counts.at(static_cast<Forward>(k), v), n), 12, true);
        }
        o.end_line({}, true);
    }
    im.sink.write_lines(o.view());
}

void Console::help(CommandKind topic) {
    Impl& im = *impl_;
    HelpLines lines = topic == CommandKind::kEmpty ? help_overview() : help_for(topic);
    if (mode() == ConsoleMode::kJson) {
        im.begin_json("help");
        im.key("lines");
        im.writer.StartArray();
        for (std::size_t i = 0; i < lines.count; ++i)
            im.str(lines.lines[i]);
        im.writer.EndArray();
        im.finish_json();
        return;
    }
    LineBuilder& o = im.out;
    o.reset();
    for (std::size_t i = 0; i < lines.count; ++i) {
        o.label(lines.lines[i]);
        o.end_line({}, true);
    }
    im.sink.write_lines(o.view());
}

}  // namespace p2p::shell
