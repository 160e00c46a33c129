#include "shell/ui/command_parser.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "core/number.h"
#include "core/text.h"

namespace p2p::shell {
namespace {

// One command per line, so adding one is a one-line change.
// clang-format off
constexpr CommandName kCommandNames[] = {
    {"/msg", CommandKind::kMsg},
    {"/pub", CommandKind::kPub},
    {"/reply", CommandKind::kReply},
    {"/me", CommandKind::kMe},
    {"/peers", CommandKind::kPeers},
    {"/connect", CommandKind::kConnect},
    {"/conn", CommandKind::kConn},
    {"/rtt", CommandKind::kRtt},
    {"/routes", CommandKind::kRoutes},
    {"/metrics", CommandKind::kMetrics},
    {"/watch", CommandKind::kWatch},
    {"/reconnect", CommandKind::kReconnect},
    {"/log", CommandKind::kLog},
    {"/help", CommandKind::kHelp},
    {"/whoami", CommandKind::kWhoami},
    {"/quit", CommandKind::kQuit},
};
// clang-format on

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && (is_space(s.back()) || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// Splits off the first whitespace-separated word; `rest` keeps the remainder
// with its leading separators removed (so message text keeps inner spacing).
std::string_view next_word(std::string_view& rest) {
    std::size_t end = 0;
    while (end < rest.size() && !is_space(rest[end]))
        ++end;
    std::string_view word = rest.substr(0, end);
    rest.remove_prefix(end);
    while (!rest.empty() && is_space(rest.front()))
        rest.remove_prefix(1);
    return word;
}

// Printable form of user input for an error line: at most `max` bytes, and
// control characters shown as '?', so an error never carries an escape.
struct Shown {
    char text[24];
};
Shown shown(std::string_view s) {
    Shown out{};
    std::size_t max = sizeof out.text - 4;
    std::size_t n = 0;
    for (; n < s.size() && n < max; ++n) {
        unsigned char c = static_cast<unsigned char>(s[n]);
        out.text[n] = (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    }
    if (n < s.size()) {
        out.text[n++] = '.';
        out.text[n++] = '.';
        out.text[n++] = '.';
    }
    out.text[n] = '\0';
    return out;
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.' || c == '%';
}

}  // namespace

const CommandName* command_names(std::size_t* count) {
    *count = sizeof kCommandNames / sizeof kCommandNames[0];
    return kCommandNames;
}

std::string_view command_name(CommandKind kind) {
    for (const CommandName& c : kCommandNames)
        if (c.kind == kind) return c.name;
    return {};
}

bool command_only_reads(CommandKind kind) {
    // No default: a new command must be sorted here before it builds.
    switch (kind) {
        case CommandKind::kEmpty:
        case CommandKind::kPeers:
        case CommandKind::kConn:
        case CommandKind::kRtt:
        case CommandKind::kRoutes:
        case CommandKind::kWatch:    // shows protocol lines; the node sends nothing more
        case CommandKind::kMetrics:  // asks a peer for its counters, changes nothing
        case CommandKind::kHelp:
        case CommandKind::kWhoami:  // our own name and key fingerprint
            return true;
        case CommandKind::kText:
        case CommandKind::kConnect:
        case CommandKind::kMsg:
        case CommandKind::kPub:
        case CommandKind::kReply:
        case CommandKind::kMe:
        case CommandKind::kReconnect:
        case CommandKind::kLog:
        case CommandKind::kQuit:
            return false;
    }
    return false;
}

// The parsing steps share the result being filled and report the first problem.
class ParseState {
  public:
    ParseState(const ParseOptions& options, Command& out, char* composed, std::size_t composed_cap,
               char* error, std::size_t error_cap, std::size_t& error_len)
        : options_(options),
          out_(out),
          composed_(composed),
          composed_cap_(composed_cap),
          error_(error),
          error_cap_(error_cap),
          error_len_(error_len) {}

    bool fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        va_list args;
        va_start(args, fmt);
        int n = std::vsnprintf(error_, error_cap_, fmt, args);
        va_end(args);
        if (n <= 0) {
            n = std::snprintf(error_, error_cap_, "invalid command");
        }
        error_len_ =
            static_cast<std::size_t>(n) < error_cap_ ? static_cast<std::size_t>(n) : error_cap_ - 1;
        return false;
    }

    // A unicast target: name@ns, @name@ns, or a bare name in our namespace.
    bool peer_target(std::string_view word, std::string_view usage) {
        Command& cmd = command();
        if (word.empty()) return fail("usage: %.*s", int(usage.size()), usage.data());
        if (word.front() == '@') word.remove_prefix(1);
        std::size_t at = word.find('@');
        if (at == std::string_view::npos) {
            if (!is_valid_name(word))
                return fail("'%s' is not a peer id (expected name@namespace)", shown(word).text);
            if (options_.default_namespace.empty())
                return fail("'%s' needs a namespace: name@namespace", shown(word).text);
            std::string_view ns = options_.default_namespace;
            std::size_t len = word.size() + 1 + ns.size();
            if (len >= composed_cap_) return fail("peer id too long");
            std::memcpy(composed_, word.data(), word.size());
            composed_[word.size()] = '@';
            std::memcpy(composed_ + word.size() + 1, ns.data(), ns.size());
            composed_[len] = '\0';
            cmd.target = std::string_view(composed_, len);
            cmd.ns = cmd.target.substr(word.size() + 1);
            cmd.target_kind = TargetKind::kPeer;
            return true;
        }
        PeerIdParts parts;
        if (!split_peer_id(word, parts))
            return fail("'%s' is not a valid peer id (name@namespace)", shown(word).text);
        cmd.target = word;
        cmd.ns = parts.ns;
        cmd.target_kind = TargetKind::kPeer;
        return true;
    }

    // A publish scope: "*" or "#ns".
    bool scope_target(std::string_view word, std::string_view usage) {
        Command& cmd = command();
        if (word.empty()) return fail("usage: %.*s", int(usage.size()), usage.data());
        if (word == "*") {
            cmd.target = word;
            cmd.target_kind = TargetKind::kAll;
            return true;
        }
        if (word.front() == '#') {
            std::string_view ns = word.substr(1);
            if (!is_valid_name(ns)) return fail("'%s' is not a valid namespace", shown(word).text);
            cmd.target = word;
            cmd.ns = ns;
            cmd.target_kind = TargetKind::kNamespace;
            return true;
        }
        if (is_valid_name(word))
            return fail("scope must be * or #namespace (did you mean #%s?)", shown(word).text);
        return fail("scope must be * or #namespace, not '%s'", shown(word).text);
    }

    bool host_port(std::string_view word) {
        Command& cmd = command();
        std::string_view host;
        std::string_view port;
        if (!word.empty() && word.front() == '[') {
            std::size_t close = word.find(']');
            if (close == std::string_view::npos || close + 1 >= word.size() ||
                word[close + 1] != ':')
                return fail("'%s': write an IPv6 address as [addr]:port", shown(word).text);
            host = word.substr(1, close - 1);
            port = word.substr(close + 2);
            if (host.empty()) return fail("'%s': empty host", shown(word).text);
            for (char c : host)
                if (!is_ipv6_char(c)) return fail("'%s': bad IPv6 address", shown(word).text);
        } else {
            std::size_t colon = word.rfind(':');
            if (colon == std::string_view::npos)
                return fail("'%s' is neither a peer id (name@ns) nor host:port", shown(word).text);
            host = word.substr(0, colon);
            port = word.substr(colon + 1);
            if (host.empty()) return fail("'%s': empty host", shown(word).text);
            for (char c : host)
                if (!is_host_char(c))
                    return fail("'%s': bad host name (IPv6 needs [addr]:port)", shown(word).text);
        }
        if (!parse_port(port, cmd.port))
            return fail("'%s': port must be a number from 1 to 65535", shown(word).text);
        cmd.target = word;
        cmd.host = host;
        cmd.target_kind = TargetKind::kHostPort;
        return true;
    }

    Command& command() { return out_; }

  private:
    const ParseOptions& options_;
    Command& out_;
    char* composed_;
    std::size_t composed_cap_;
    char* error_;
    std::size_t error_cap_;
    std::size_t& error_len_;
};

namespace {

// One function per command that takes arguments: `rest` is what follows the
// command word. Each fills st.command() or calls st.fail() with the usage.

void parse_help(ParseState& st, std::string_view rest) {
    if (rest.empty()) return;
    std::string_view topic = next_word(rest);
    if (!rest.empty()) {
        st.fail("usage: /help [command]");
        return;
    }
    Command& cmd = st.command();
    std::string_view bare = topic.front() == '/' ? topic.substr(1) : topic;
    for (const CommandName& c : kCommandNames)
        if (iequals(c.name.substr(1), bare)) cmd.help_topic = c.kind;
    if (cmd.help_topic == CommandKind::kEmpty)
        st.fail("no such command '%s' (type /help for the list)", shown(topic).text);
}

void parse_peers(ParseState& st, std::string_view rest) {
    if (rest.empty()) return;
    std::string_view scope = next_word(rest);
    if (!rest.empty()) {
        st.fail("usage: /peers [*|#namespace]");
        return;
    }
    st.scope_target(scope, "/peers [*|#namespace]");
}

void parse_connect(ParseState& st, std::string_view rest) {
    std::string_view arg = next_word(rest);
    if (arg.empty() || !rest.empty()) {
        st.fail("usage: /connect <peer_id|host:port>");
        return;
    }
    if (arg.find('@') != std::string_view::npos)
        st.peer_target(arg, "/connect <peer_id|host:port>");
    else
        st.host_port(arg);
}

bool cmd_is_peer(ParseState& st) {
    return st.command().target_kind == TargetKind::kPeer;
}

void parse_msg(ParseState& st, std::string_view rest) {
    static constexpr std::string_view kUsage = "/msg <peer_id|#namespace|*> <text>";
    std::string_view target = next_word(rest);
    if (target.empty() || rest.empty()) {
        st.fail("usage: %.*s", int(kUsage.size()), kUsage.data());
        return;
    }
    bool ok = (target == "*" || target.front() == '#') ? st.scope_target(target, kUsage)
                                                       : st.peer_target(target, kUsage);
    if (!ok) return;
    // "/msg bad name@CIC x" means a peer id with a space in it (there is no
    // such id), not "name@CIC x" sent to bad@CIC: refuse rather than guess.
    std::string_view bare = target.front() == '@' ? target.substr(1) : target;
    if (cmd_is_peer(st) && bare.find('@') == std::string_view::npos) {
        std::string_view after = rest;
        std::string_view word = next_word(after);
        if (word.find('@') != std::string_view::npos) {
            std::string_view typed(
                bare.data(), static_cast<std::size_t>(word.data() + word.size() - bare.data()));
            st.fail("'%s' is not a peer id: a peer id has no spaces", shown(typed).text);
            return;
        }
    }
    Command& cmd = st.command();
    // A /msg to a scope is a publish; the app then has one path for it.
    if (cmd.target_kind != TargetKind::kPeer) cmd.kind = CommandKind::kPub;
    cmd.text = rest;
}

void parse_pub(ParseState& st, std::string_view rest) {
    static constexpr std::string_view kUsage = "/pub <*|#namespace> <text>";
    std::string_view target = next_word(rest);
    if (target.empty() || rest.empty()) {
        st.fail("usage: %.*s", int(kUsage.size()), kUsage.data());
        return;
    }
    if (st.scope_target(target, kUsage)) st.command().text = rest;
}

// /reply and /me: the rest of the line, which must not be empty.
void parse_text(ParseState& st, std::string_view rest, const char* usage) {
    if (rest.empty()) {
        st.fail("usage: %s", usage);
        return;
    }
    st.command().text = rest;
}

void parse_log(ParseState& st, std::string_view rest) {
    std::string_view arg = next_word(rest);
    if (arg.empty() || !rest.empty()) {
        st.fail("usage: /log DEBUG|INFO|WARN|ERROR|OFF");
        return;
    }
    if (!parse_log_level(arg, st.command().level))
        st.fail("unknown log level '%s' (DEBUG|INFO|WARN|ERROR|OFF)", shown(arg).text);
}

void parse_metrics(ParseState& st, std::string_view rest) {
    std::string_view arg = next_word(rest);
    if (arg.empty() || !rest.empty()) {
        st.fail("usage: /metrics <peer_id>");
        return;
    }
    st.peer_target(arg, "/metrics <peer_id>");
}

void parse_arguments(ParseState& st, std::string_view name, std::string_view rest) {
    switch (st.command().kind) {
        case CommandKind::kConn:
        case CommandKind::kRtt:
        case CommandKind::kRoutes:
        case CommandKind::kWatch:
        case CommandKind::kReconnect:
        case CommandKind::kWhoami:
        case CommandKind::kQuit:
            if (!rest.empty()) st.fail("%.*s takes no arguments", int(name.size()), name.data());
            return;
        case CommandKind::kHelp:
            return parse_help(st, rest);
        case CommandKind::kPeers:
            return parse_peers(st, rest);
        case CommandKind::kConnect:
            return parse_connect(st, rest);
        case CommandKind::kMsg:
            return parse_msg(st, rest);
        case CommandKind::kPub:
            return parse_pub(st, rest);
        case CommandKind::kReply:
            return parse_text(st, rest, "/reply <text>");
        case CommandKind::kMe:
            return parse_text(st, rest, "/me <action>");
        case CommandKind::kLog:
            return parse_log(st, rest);
        case CommandKind::kMetrics:
            return parse_metrics(st, rest);
        case CommandKind::kEmpty:
        case CommandKind::kText:
            return;
    }
}

}  // namespace

void CommandParser::parse(std::string_view line, ParseResult& out) const {
    out.command_ = Command{};
    out.error_len_ = 0;
    out.error_[0] = '\0';
    ParseState st(options_, out.command_, out.composed_, sizeof out.composed_, out.error_,
                  sizeof out.error_, out.error_len_);
    Command& cmd = st.command();

    std::string_view trimmed = trim(line);
    if (trimmed.empty()) return;  // kEmpty

    if (trimmed.front() != '/' || trimmed.starts_with("//")) {
        // "//text" sends text that starts with a slash.
        cmd.kind = CommandKind::kText;
        cmd.text = trimmed.starts_with("//") ? trimmed.substr(1) : trimmed;
        return;
    }

    std::string_view rest = trimmed;
    std::string_view word = next_word(rest);
    const CommandName* found = nullptr;
    for (const CommandName& c : kCommandNames)
        if (iequals(c.name, word)) found = &c;
    if (!found) {
        st.fail("unknown command '%s' (type /help for the list)", shown(word).text);
        return;
    }
    cmd.kind = found->kind;
    parse_arguments(st, found->name, rest);
}

}  // namespace p2p::shell
