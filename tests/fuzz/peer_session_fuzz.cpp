// libFuzzer target: a whole peer session against a real Node (issue 9).
//
// The input is a script of lines. The first byte of each steers, the rest
// (plus '\n') is fed as bytes to one of two links: one the node accepted, one
// it dialed to a static peer (redialed by the node after it closes). Steering
// bits: 0x01 picks the dialed link; 0x02 splits the line over two reads;
// 0x04 leaves the output unread (a slow reader); 0x08 has the peer hang up
// after the line; 0x70 advances the clock by 0..7 x 700 ms first.
//
// Checked after every step: every line the node writes ends in '\n', is at
// most kMaxLineBytes, valid UTF-8 and a JSON object our codec decodes; every
// text in an event for the console is valid UTF-8; link and peer counts and
// each link's queue stay within their configured bounds; the next deadline
// is never in the past after on_timer(); and heap use does not grow with the
// session (all memory is sized at construction).
#include <sanitizer/allocator_interface.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/clock.h"
#include "core/codec.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/node.h"
#include "core/text.h"
#include "platform/log_sinks.h"

namespace {

using namespace p2p;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "peer_session_fuzz: %s\n", what);
        std::abort();
    }
}

class FuzzHost final : public NodeHost {
  public:
    LinkId dialed = kNoLink;
    bool dialed_connected = false;
    bool dial(LinkId link, std::string_view, std::uint16_t) override {
        dialed = link;
        dialed_connected = false;
        return true;
    }
    void close_link(LinkId link) override {
        if (link == dialed) dialed = kNoLink, dialed_connected = false;
        if (link == accepted) accepted = kNoLink;
    }
    bool alive(LinkId link) const {
        return link != kNoLink && (link == dialed || link == accepted);
    }
    void want_write(LinkId) override {}
    void emit(const NodeEvent& ev) override {
        for (std::string_view text :
             {ev.peer_id, ev.scope, ev.text, ev.msg_id, ev.reason, ev.metrics_last_seen})
            check(is_valid_utf8(text), "an event for the console is not valid UTF-8");
    }
    void quit_complete() override {}
    LinkId accepted = kNoLink;
};

// Every log line the session provokes, formatted as the real sinks do: valid
// UTF-8 and free of raw C1 and bidi controls (issue 9.10).
class CheckingLogSink final : public LogSink {
  public:
    void write(LogLevel level, std::string_view module, std::string_view text) override {
        char line[1400];
        std::size_t n = platform::format_log_line(line, sizeof line, 0, level, module, text, false);
        std::string_view out(line, n);
        check(is_valid_utf8(out), "a log line is not valid UTF-8");
        for (std::size_t pos = 0; pos < out.size();) {
            Utf8Char ch = decode_utf8_char(out.substr(pos));
            check(!is_c1_control(ch.cp) && !is_bidi_control(ch.cp), "a log line holds a control");
            pos += ch.len;
        }
    }
};

constexpr std::size_t kQueueMaxBytes = 16 * 1024;

NodeConfig config() {
    NodeConfig c;
    c.name = "alice";
    c.ns = "CIC";
    c.max_peers = 8;
    c.queue_max_bytes = kQueueMaxBytes;
    c.queue_max_msgs = 64;
    c.seen_cache_entries = 256;
    c.max_pending_sends = 8;
    c.max_routes = 8;
    c.max_relay_acks = 16;
    return c;
}

JsonArena& arena() {
    static JsonArena a;
    return a;
}

// Takes everything the node offers on `link` and checks it line by line.
void drain(Node& node, LinkId link) {
    static char line[kMaxLineBytes + 2];
    static std::size_t line_len = 0;
    line_len = 0;
    OutSlice slices[16];
    for (int rounds = 0; rounds < 1000; ++rounds) {
        std::size_t n = node.output(link, slices, 16);
        if (n == 0) return;
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t b = 0; b < slices[i].len; ++b) {
                char c = slices[i].data[b];
                if (c == '\n') {
                    check(is_valid_utf8({line, line_len}), "we wrote invalid UTF-8");
                    PeerMessage m;
                    check(decode_peer_message(line, line_len, arena(), m).ok(),
                          "we wrote a line our own codec refuses");
                    line_len = 0;
                } else {
                    check(line_len < kMaxLineBytes, "we wrote a line over the limit");
                    line[line_len++] = c;
                }
            }
            total += slices[i].len;
        }
        node.consumed(link, total);
    }
}

void check_bounds(Node& node, const NodeConfig& c) {
    check(node.peer_count() <= c.max_peers, "more peer records than max_peers");
    check(node.link_count() <= node.link_slots(), "more links than slots");
    for (std::size_t i = 0; i < node.link_slots(); ++i) {
        LinkView v;
        if (!node.link_view(i, v)) continue;
        check(v.queued_bytes <= kQueueMaxBytes + kMaxLineBytes + 1, "a link's queue overgrew");
        check(v.queued_msgs <= c.queue_max_msgs + 1, "a link's queue holds too many messages");
    }
}

void run_timers(Node& node, const Clock& clock) {
    for (int i = 0; i < 64 && node.next_deadline() <= clock.mono_ms(); ++i)
        node.on_timer();
    check(node.next_deadline() > clock.mono_ms(), "a deadline stays in the past");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static char buf[kMaxLineBytes * 2 + 8];
    static CheckingLogSink sink;
    logger().set_sink(&sink);
    logger().set_level(LogLevel::kDebug);
    ManualClock clock;
    FuzzHost host;
    NodeConfig c = config();
    Node node(c, clock, host);
    host.accepted = node.on_link_accepted("192.0.2.9", 50000);
    check(host.accepted != kNoLink, "no slot for the first link");
    check(node.add_static_peer("192.0.2.1", 7000), "static peer refused");
    arena();  // created once, outside the measured session
    std::size_t heap_at_start = __sanitizer_get_current_allocated_bytes();

    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        std::size_t nl = input.find('\n');
        std::string_view raw = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        std::uint8_t steer = raw.empty() ? 0 : static_cast<std::uint8_t>(raw[0]);
        if (!raw.empty()) raw.remove_prefix(1);

        clock.advance(static_cast<MonoMs>((steer >> 4) & 7) * 700);
        run_timers(node, clock);
        if (host.accepted == kNoLink) host.accepted = node.on_link_accepted("192.0.2.9", 50001);
        if (host.dialed != kNoLink && !host.dialed_connected) {
            node.on_link_connected(host.dialed);
            host.dialed_connected = true;
        }
        LinkId link = (steer & 1) ? (host.dialed_connected ? host.dialed : kNoLink) : host.accepted;
        if (link != kNoLink) {
            std::size_t len = raw.size() + 1;
            std::memcpy(buf, raw.data(), raw.size());
            buf[raw.size()] = '\n';
            std::size_t first = (steer & 2) ? len / 2 : len;
            node.on_bytes(link, buf, first);
            if (first < len && host.alive(link)) {
                std::memmove(buf, buf + first, len - first);
                node.on_bytes(link, buf, len - first);
            }
            if ((steer & 8) && host.alive(link)) {
                host.close_link(link);
                node.on_link_down(link, LinkDownReason::kClosedByPeer);
            }
        }
        if (!(steer & 4)) {
            if (host.accepted != kNoLink) drain(node, host.accepted);
            if (host.dialed != kNoLink && host.dialed_connected) drain(node, host.dialed);
        }
        check_bounds(node, c);
    }
    clock.advance(60'000);
    run_timers(node, clock);
    check_bounds(node, c);
    // The node's memory was sized at construction: a session may not grow
    // the heap (slack for the sanitizer's own bookkeeping).
    check(__sanitizer_get_current_allocated_bytes() <= heap_at_start + 64 * 1024,
          "the heap grew during the session");
    return 0;
}
