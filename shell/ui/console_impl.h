// Internals shared by console.cpp (events) and console_tables.cpp (command
// answers). Not part of the shell's interface.
#pragma once
// First, so RapidJSON gets json_util's UBSan exemption (see there).
#include "core/json_util.h"

#include <initializer_list>

#include <cstdio>
#include <cstring>
#include <memory>

#include "core/text.h"
#include "platform/terminal.h"
#include "platform/terminal_codes.h"
#include "shell/ui/console.h"
#include "shell/ui/line_builder.h"
#include "shell/ui/text_escape.h"

namespace p2p::shell::console_detail {

namespace term = platform::term;

// ASCII output: every non-ASCII code point is written as \uXXXX, so the JSON
// stream carries no byte a terminal could act on, whatever the peer sent.
using JsonWriter = rapidjson::Writer<json::FixedStream, rapidjson::UTF8<>, rapidjson::ASCII<>>;

inline std::string_view colour_for(EventKind kind) {
    switch (kind) {
        case EventKind::kMsg:
            return "";  // the sender's own colour (peer_colour)
        case EventKind::kPub:
            return term::kMagenta;
        case EventKind::kSent:
            return term::kDim;
        case EventKind::kDelivered:
            return term::kGreen;
        case EventKind::kAckTimeout:
            return term::kYellow;
        case EventKind::kUndelivered:
            return term::kBoldRed;
        case EventKind::kPeer:
        case EventKind::kLink:
            return term::kBlue;
        case EventKind::kError:
            return term::kRed;
        case EventKind::kWire:
            return term::kDim;
        case EventKind::kInfo:
        case EventKind::kMetrics:
            return "";
    }
    return "";
}

using term::kBold;
using term::kReset;

// Each peer's name in its own colour, stable across runs and nodes: FNV-1a
// of the peer_id into the palette.
inline std::string_view peer_colour(std::string_view peer_id) {
    std::uint32_t h = 2166136261u;
    for (char c : peer_id) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return term::kPeerPalette[h % std::size(term::kPeerPalette)];
}

inline std::string_view or_dash(std::string_view s) {
    return s.empty() ? std::string_view("-") : s;
}

// "45s", "12m05s", "3h12m", "2d03h".
inline std::string_view format_duration(MonoMs ms, char (&out)[16]) {
    if (ms < 0) ms = 0;
    long long s = ms / 1000;
    int n;
    if (s < 60)
        n = std::snprintf(out, sizeof out, "%llds", s);
    else if (s < 3600)
        n = std::snprintf(out, sizeof out, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        n = std::snprintf(out, sizeof out, "%lldh%02lldm", s / 3600, (s / 60) % 60);
    else
        n = std::snprintf(out, sizeof out, "%lldd%02lldh", s / 86400, (s / 3600) % 24);
    return {out, static_cast<std::size_t>(n)};
}

inline std::string_view format_ms(double ms, char (&out)[16]) {
    if (ms < 0) return "-";
    int n = std::snprintf(out, sizeof out, "%.1f", ms);
    return {out, static_cast<std::size_t>(n)};
}

inline std::string_view format_u64(std::uint64_t v, char (&out)[24]) {
    int n = std::snprintf(out, sizeof out, "%llu", static_cast<unsigned long long>(v));
    return {out, static_cast<std::size_t>(n)};
}

inline std::string_view short_link_state(const LinkView& l) {
    switch (l.state) {
        case LinkState::kDialing:
            return "dialing";
        case LinkState::kAwaitHelloOk:
        case LinkState::kAwaitHello:
            return "hello";
        case LinkState::kEstablished:
            return l.active ? "up" : "standby";
        case LinkState::kClosing:
            return "closing";
    }
    return "?";
}

}  // namespace p2p::shell::console_detail

namespace p2p::shell {

struct Console::Impl {
    using JsonWriter = console_detail::JsonWriter;

    Impl(const ConsoleOptions& opts, ConsoleSink& s, const Clock& c)
        : options(opts),
          sink(s),
          clock(c),
          buf(new char[buffer_bytes()]),
          out(buf.get(), buffer_bytes()),
          scratch(new char[kScratchBytes]),
          stream(buf.get(), buffer_bytes()),
          writer(stream) {
        out.set_rules(options.text);
        echo_line.reserve(kMaxLineBytes + 256);
        echo_msg_id.reserve(64);
        // Grow the writer's nesting stack now, so no event allocates later.
        writer.StartObject();
        writer.Key("warm");
        writer.StartArray();
        writer.EndArray();
        writer.EndObject();
        stream.clear();
    }

    static constexpr std::size_t kScratchBytes = 3 * kMaxLineBytes + 64;

    ConsoleOptions options;
    ConsoleSink& sink;
    const Clock& clock;
    std::unique_ptr<char[]> buf;
    LineBuilder out;
    std::unique_ptr<char[]> scratch;  // invalid UTF-8 repaired for JSON
    json::FixedStream stream;
    JsonWriter writer;

    bool tty() const { return options.mode == ConsoleMode::kTty; }
    bool colour() const { return tty() && options.colour; }
    // The sink owns the width; a sink saying nonsense gets the usual 80.
    int width() const {
        int columns = sink.columns();
        return columns > 0 ? columns : 80;
    }

    // -- text modes --
    // `before`: terminal controls written ahead of the line (kTty only).
    void begin_event(EventKind kind, std::string_view before = {}) {
        out.reset();
        if (!tty()) return;
        out.raw(before);
        char hms[9];
        platform::format_local_hms(clock.wall_ms(), hms);
        if (colour()) out.raw(console_detail::term::kDim);
        out.label(hms);
        if (colour()) out.raw(console_detail::kReset);
        out.label(" ");
        out.wrap(width(), 9, options.max_event_lines);
        if (colour()) out.raw(console_detail::colour_for(kind));
    }
    void colour_on(std::string_view c) {
        if (colour()) out.raw(c);
    }
    void finish_text() {
        out.end_line(colour() ? console_detail::kReset : std::string_view());
        sink.write_lines(out.view());
    }

    // -- JSON mode --
    void begin_json(const char* event) {
        stream.clear();
        writer.Reset(stream);
        writer.StartObject();
        key("event");
        str(event);
    }
    void key(const char* k) { writer.Key(k); }
    void str(std::string_view s) {
        s = valid_utf8(s);
        writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    }
    void field(const char* k, std::string_view v) {
        key(k);
        str(v);
    }
    // "peer_id": a peer known only by its address (a static peer before its
    // HELLO) has none yet: null, never "", so a script cannot mistake it for
    // an id.
    void peer_id_field(std::string_view peer_id) {
        key("peer_id");
        if (peer_id.empty())
            writer.Null();
        else
            str(peer_id);
    }
    // A table's rows in JSON: an array under `array_key`, cut when the next
    // row (at most row_bytes) might not fit the fixed output buffer, and then
    // flagged "truncated": true so a script knows rows are missing.
    void begin_json_rows(const char* event, const char* array_key) {
        begin_json(event);
        key(array_key);
        writer.StartArray();
        rows_truncated = false;
    }
    bool room_for_row(std::size_t row_bytes) {
        if (stream.size() + row_bytes <= stream.capacity()) return true;
        rows_truncated = true;
        return false;
    }
    void end_json_rows() {
        writer.EndArray();
        if (rows_truncated) {
            key("truncated");
            writer.Bool(true);
        }
        finish_json();
    }
    bool rows_truncated = false;

    // One column of a table's header row, with the spaces before it.
    struct Column {
        std::string_view title;
        int width;
        bool right = false;
        int pad_before = 0;
    };
    // The bold header row of a plain/tty table.
    void header_row(std::initializer_list<Column> columns) {
        out.reset();
        colour_on(console_detail::kBold);
        for (const Column& c : columns) {
            if (c.pad_before) out.pad(c.pad_before);
            out.cell(c.title, c.width, c.right);
        }
        out.end_line(colour() ? console_detail::kReset : std::string_view(), true);
    }

    void finish_json() {
        writer.EndObject();
        if (stream.overflowed() || !writer.IsComplete()) {
            // Cannot happen for events (the buffer is sized for the worst
            // line); for an oversized table say so rather than emit bad JSON.
            begin_json("error");
            field("text", "output too large for one JSON line");
            writer.EndObject();
        }
        stream.Put('\n');
        sink.write_lines(stream.view());
    }

    // RapidJSON writes bytes as given; repair invalid UTF-8 first (each
    // ill-formed sequence becomes U+FFFD) so that the ASCII transcoding never
    // fails. Only local text is long enough to be cut to the scratch buffer.
    std::string_view valid_utf8(std::string_view s) {
        if (is_valid_utf8(s)) return s;
        return {scratch.get(), repair_utf8(s, scratch.get(), kScratchBytes).len};
    }

    // The echo of what we sent last (kTty), to append its ACK to.
    std::string echo_line;  // rendered, without the final reset and newline
    std::string echo_msg_id;
    int echo_cols = 0;
    std::uint64_t echo_count = 0;  // sink.output_count() after it; 0: cannot amend

    void text_event(const NodeEvent& ev);
    void text_message(const NodeEvent& ev);   // kMsg, kPub
    void text_delivery(const NodeEvent& ev);  // kSent .. kUndelivered: our SENDs
    void text_state(const NodeEvent& ev);     // kPeer, kLink
    void json_event(const NodeEvent& ev);
    // kTty chat habits (console_chat.cpp).
    void chat_event(const NodeEvent& ev);  // kMsg, kPub
    void delivered_event(const NodeEvent& ev);
    void outgoing(std::string_view to, std::string_view text, std::string_view msg_id);
    void simple(EventKind kind, const char* word, std::string_view text);
};

}  // namespace p2p::shell
