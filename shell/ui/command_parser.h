// The shell's command grammar: one typed line becomes one Command, or a
// one-line explanation of why it was refused. Pure: no I/O, no allocation.
// The Command holds string_views into the line it was parsed from.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/limits.h"
#include "core/log.h"

namespace p2p::shell {

enum class CommandKind : std::uint8_t {
    kEmpty,      // blank line: nothing to do
    kText,       // plain text: goes to the last /msg or /reply target
    kPeers,      // /peers [*|#ns]
    kConnect,    // /connect <peer_id|host:port>
    kMsg,        // /msg <peer_id|@peer_id> <text>
    kPub,        // /pub <*|#ns> <text>, also /msg <*|#ns> <text>
    kReply,      // /reply <text>
    kMe,         // /me <action>: "* name action" to the plain-text target
    kConn,       // /conn
    kRtt,        // /rtt
    kRoutes,     // /routes
    kWatch,      // /watch
    kReconnect,  // /reconnect
    kLog,        // /log <LEVEL>
    kMetrics,    // /metrics <peer_id>
    kHelp,       // /help [command]
    kWhoami,     // /whoami
    kQuit,       // /quit
};

// What a target argument names.
enum class TargetKind : std::uint8_t {
    kNone,
    kPeer,       // name@namespace
    kNamespace,  // #namespace
    kAll,        // *
    kHostPort,   // host:port (only /connect)
};

struct Command {
    CommandKind kind = CommandKind::kEmpty;
    TargetKind target_kind = TargetKind::kNone;
    // kPeer: the peer_id (without a leading '@'); kNamespace: "#ns" as typed;
    // kAll: "*"; kHostPort: the whole "host:port" argument.
    std::string_view target;
    std::string_view ns;    // kNamespace: the namespace without '#'; kPeer: its namespace
    std::string_view host;  // kHostPort: host without brackets ("::1" for "[::1]:7070")
    std::uint16_t port = 0;
    std::string_view text;             // kText, kMsg, kPub, kReply, kMe: the message as typed
    LogLevel level = LogLevel::kInfo;  // kLog
    CommandKind help_topic = CommandKind::kEmpty;  // kHelp with an argument
};

struct ParseOptions {
    // Our own namespace: lets "/msg bob hi" mean bob@<ns>. Empty: a peer id
    // must always be written name@namespace.
    std::string_view default_namespace;
};

// Holds either the Command or the reason it was refused. The error text is
// one line, at most 79 characters, written into a fixed buffer.
class ParseResult {
  public:
    bool ok() const { return error_len_ == 0; }
    const Command& command() const { return command_; }
    std::string_view error() const { return {error_, error_len_}; }

  private:
    friend class CommandParser;
    Command command_;
    // A peer id composed from a bare name and the default namespace lives here.
    char composed_[kMaxNameBytes * 2 + 2] = {};
    char error_[160] = {};
    std::size_t error_len_ = 0;
};

class CommandParser {
  public:
    explicit CommandParser(ParseOptions options = {}) : options_(options) {}
    void set_default_namespace(std::string_view ns) { options_.default_namespace = ns; }

    // Parses `line` (no trailing newline; a trailing '\r' is ignored). The
    // result refers into `line`, so `line` must outlive it.
    void parse(std::string_view line, ParseResult& out) const;

  private:
    ParseOptions options_;
};

// Command names for completion and help, in the order /help lists them.
struct CommandName {
    std::string_view name;  // "/msg"
    CommandKind kind;
};
const CommandName* command_names(std::size_t* count);
std::string_view command_name(CommandKind kind);  // "/msg"; "" for kEmpty/kText
// True for a command that only shows something (/peers /conn /rtt /routes /watch
// /metrics /help): what a read-only attached client may run. Everything else sends
// for the node, dials, changes its log level or stops it.
bool command_only_reads(CommandKind kind);

}  // namespace p2p::shell
