// The terminal's chat habits (kTty only; plain and JSON output stay as the
// scripts know them): what we send shown once as "<alice> @bob hello" with
// its ACK appended to the same line, each peer's name in its own colour,
// /me actions, and the bell on a direct message.
#include "shell/ui/console_impl.h"

namespace p2p::shell {

using namespace console_detail;

namespace {

std::string_view name_of(std::string_view peer_id) {
    return peer_id.substr(0, peer_id.find('@'));
}

}  // namespace

std::string action_payload(std::string_view self_name, std::string_view text) {
    std::string s = "* ";
    s.append(self_name);
    s += ' ';
    s.append(text);
    return s;
}

bool is_action(std::string_view text, std::string_view peer_id) {
    std::string_view name = name_of(peer_id);
    return !name.empty() && text.size() > name.size() + 3 && text.substr(0, 2) == "* " &&
           text.substr(2, name.size()) == name && text[2 + name.size()] == ' ';
}

void Console::Impl::chat_event(const NodeEvent& ev) {
    const bool direct = ev.kind == EventKind::kMsg;
    begin_event(ev.kind);
    if (direct && options.bell) out.raw(platform::term::kBell);  // takes no column
    std::string_view peer = or_dash(ev.peer_id);
    if (!direct) {
        out.label("[");
        out.text(or_dash(ev.scope));
        out.label("] ");
    }
    colour_on(peer_colour(peer));
    if (is_action(ev.text, peer)) {
        out.text(ev.text);  // "* alice waves", all in her colour
        colour_on(kReset);
    } else {
        out.text(peer);
        colour_on(kReset);
        out.label(": ");
        out.text(ev.text);
    }
    finish_text();
}

namespace {

// Over the line the user typed, when it is still the last thing on the
// screen: up to its first row, erased (platform/terminal_codes.h names both).
std::string_view over_submitted_line(int rows, char (&seq)[term::kCursorUpBytes + 8]) {
    if (rows <= 0) return {};
    char up[term::kCursorUpBytes];
    std::size_t n = 0;
    auto add = [&](std::string_view part) { n += part.copy(seq + n, sizeof seq - n); };
    add(term::cursor_up(static_cast<std::size_t>(rows), up));
    add(term::kRowStart);
    add(term::kEraseBelow);
    return {seq, n};
}

}  // namespace

void Console::Impl::outgoing(std::string_view to, std::string_view text, std::string_view msg_id) {
    char seq[term::kCursorUpBytes + 8];
    std::string_view over = over_submitted_line(sink.submitted_rows(), seq);
    begin_event(EventKind::kSent, over);
    colour_on(kReset);
    const bool peer = !to.empty() && to[0] != '#' && to[0] != '*';
    const bool action = is_action(text, options.self_name);
    if (!action) {
        out.label("<");
        colour_on(peer_colour(options.self_name));
        out.text(options.self_name);
        colour_on(kReset);
        out.label("> ");
    }
    if (peer) {
        out.label("@");
        colour_on(peer_colour(to));
        out.text(to);
        colour_on(kReset);
        out.label(" ");
    } else {
        out.label("[");
        out.text(to);
        out.label("] ");
    }
    out.text(text);
    std::string_view line = out.view().substr(over.size());
    // Only a one-row echo of a direct message can take its ACK later.
    bool one_row = line.find('\n') == std::string_view::npos;
    echo_count = 0;
    if (peer && one_row && !msg_id.empty()) {
        echo_line.assign(line);
        echo_msg_id.assign(msg_id);
        echo_cols = out.column();
    }
    finish_text();
    if (peer && one_row && !msg_id.empty() && echo_cols + 12 < width())
        echo_count = sink.output_count();
}

void Console::Impl::delivered_event(const NodeEvent& ev) {
    const bool ascii = options.text.ascii_only;
    if (echo_count != 0 && ev.msg_id == echo_msg_id && sink.output_count() == echo_count) {
        out.reset();
        // To the row above (where the echo is: the line editor has just
        // erased its prompt row, or nothing is below it), cleared.
        out.raw(platform::term::kCursorUp);
        out.raw(platform::term::kRowStart);
        out.raw(platform::term::kEraseRow);
        out.raw(echo_line);
        colour_on(platform::term::kGreen);
        out.label(ascii ? " [delivered " : " \xE2\x9C\x93 ");  // U+2713 CHECK MARK
        out.number(ev.rtt_ms);
        out.label(ascii ? " ms]" : " ms");
        finish_text();
        echo_count = sink.output_count();  // a retransmitted ACK cannot amend twice
        echo_msg_id.clear();
        return;
    }
    begin_event(ev.kind);
    out.label("delivered to ");
    out.text(or_dash(ev.peer_id));
    out.label(" in ");
    out.number(ev.rtt_ms);
    out.label(" ms");
    finish_text();
}

void Console::outgoing(std::string_view to, std::string_view text, std::string_view msg_id) {
    if (mode() == ConsoleMode::kTty) impl_->outgoing(to, text, msg_id);
}

}  // namespace p2p::shell
