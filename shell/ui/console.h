// Renders engine events and command answers for the three audiences of
// docs/shell.md "Output":
//   kPlain  scripts over a pipe: one event per line, a fixed kind word first;
//   kJson   one JSON object per line (RapidJSON Writer, ASCII-escaped);
//   kTty    people: local time, colour, long text wrapped to the width.
// Text that came from the network is escaped so a peer can never send the
// terminal an escape sequence, a newline or a bidi override.
//
// Every render writes into one buffer allocated at construction (sized for the
// largest possible line, worst-case escaped) and hands whole lines to a
// ConsoleSink, so steady-state events do not allocate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/node.h"
#include "shell/ui/command_parser.h"
#include "shell/ui/text_escape.h"

namespace p2p::shell {

enum class ConsoleMode : std::uint8_t { kPlain, kJson, kTty };

// Where rendered output goes: the line editor (above the prompt), stdout, or
// a test. `lines` is one or more complete lines, each ending in '\n'.
class ConsoleSink {
  public:
    virtual void write_lines(std::string_view lines) = 0;
    // Width of the screen the lines go to, in columns: the one owner of the
    // width (kTty wraps event text to it). Asked per event, so a resized
    // terminal wraps at its new width; a sink that cannot know says 80.
    virtual int columns() const { return 80; }
    // How many writes have reached the screen so far, from anyone (log
    // lines, the line the user typed); 0 when unknown. The console amends
    // its last line (a ✓ after what we sent) only when nothing was written
    // since.
    virtual std::uint64_t output_count() const { return 0; }
    // Rows the line the user just typed and submitted takes on the screen,
    // while it is the last thing written there (the cursor is at the start of
    // the row below it, no prompt shown); 0 when unknown or when anything was
    // written since. The console writes the echo of a sent message over it,
    // so a message takes one row, as in irssi.
    virtual int submitted_rows() const { return 0; }

  protected:
    ~ConsoleSink() = default;
};

struct ConsoleOptions {
    ConsoleMode mode = ConsoleMode::kPlain;
    bool colour = false;  // kTty only
    // kTty: an event's text is cut after this many screen lines.
    int max_event_lines = 20;
    // kTty: the terminal's character set and widths (platform/terminal.h).
    TextRules text;
    // kTty: ring the terminal bell (BEL) with every direct message.
    bool bell = false;
    // kTty: our name, shown as "<name>" before what we send.
    std::string self_name;
};

// The /me payload: "* alice waves", sent as a normal message so that any
// peer (legacy ones too) shows it as text; ours show it as an action.
std::string action_payload(std::string_view self_name, std::string_view text);
// True when `text` from `peer_id` is such an action ("* <its name> ...").
bool is_action(std::string_view text, std::string_view peer_id);

// /routes rows (the app fills them from the engine's links and route cache).
struct RouteRow {
    std::string_view dst;
    std::string_view via;  // empty: a direct link
    double rtt_ms = -1;    // < 0: unknown
    MonoMs age_ms = -1;    // < 0: not applicable (direct links)
    // Direct links: relayed copies dropped toward it (a slow reader), and
    // whether it is a slow reader right now (docs/architecture.md "Backpressure").
    std::uint64_t dropped = 0;
    bool slow_reader = false;
};

// A METRICS answer (docs/protocol.md §5).
struct MetricsView {
    std::string_view peer_id;
    double rtt_ms = 0;
    std::uint64_t sent_count = 0;
    std::uint64_t recv_count = 0;
    std::string_view last_seen;
    std::uint64_t dropped = 0;  // ours: relayed copies we dropped toward that peer
};

class Console {
  public:
    // `clock` supplies the wall time shown in kTty mode; both must outlive us.
    Console(const ConsoleOptions& options, ConsoleSink& sink, const Clock& clock);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    ConsoleMode mode() const;

    // -- events --
    void event(const NodeEvent& ev);
    // What we just sent or published (`to`: a peer id, #ns or *), typed by
    // the user. kTty: one line "<alice> @bob hello" (the `sent` event, with
    // its msg_id, is not shown); when the ACK comes, " ✓ 12 ms" is appended
    // to that line if nothing was written since, else a short line says so.
    // kPlain / kJson: nothing (scripts read the `sent` and `delivered` events).
    void outgoing(std::string_view to, std::string_view text, std::string_view msg_id);
    void info(std::string_view text);
    void error(std::string_view text);
    void rendezvous(std::string_view text);

    // -- command answers (lines of at most 79 columns in kPlain/kTty) --
    // /peers; `ns` non-empty keeps only that namespace.
    void peers(std::span<const PeerView> peers, MonoMs now, std::string_view ns = {});
    void links(std::span<const LinkView> links, MonoMs now);  // /conn
    void rtt(std::span<const PeerView> peers);
    void routes(std::span<const RouteRow> routes);
    void metrics(const MetricsView& m);
    // What the forwarding gate admitted and refused, per forwarded kind (/routes, /metrics).
    void forwarding(const ForwardCounts& counts);
    void help(CommandKind topic = CommandKind::kEmpty);

    // Capacity of the render buffer: any event whose fields fit a protocol
    // line renders whole.
    static std::size_t buffer_bytes();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;  // holds the options
};

}  // namespace p2p::shell
