#include "shell/ui/help_text.h"

namespace p2p::shell {
namespace {

// 80 columns:    |---------------------------------------------------------------------------|
constexpr std::string_view kOverview[] = {
    "Commands (Tab completes command names and peer ids):",
    "  /msg <peer|#ns|*> <text>   send to a peer (name@ns, or a name in our ns)",
    "  /pub <*|#ns> <text>        publish to every peer, or to one namespace",
    "  /reply <text>              answer the last peer that wrote to us",
    "  <text>                     send where the prompt says (last /msg or /reply)",
    "  /me <action>               '* yourname action' to that same target",
    "  /peers [*|#ns]             known peers: address, state, link, RTT",
    "  /connect <peer|host:port>  dial a peer now",
    "  /conn                      open links: direction, state, queue",
    "  /rtt                       round-trip times measured with PING/PONG",
    "  /routes                    how each peer is reached",
    "  /metrics <peer>            ask a peer for the figures of our link",
    "  /watch                     show every protocol message (toggle)",
    "  /reconnect                 retry stale peers, ask the rendezvous again",
    "  /log <LEVEL>               log level: DEBUG, INFO, WARN, ERROR or OFF",
    "  /help [command]            this list, or one command in detail",
    "  /whoami                    our peer id and key fingerprint",
    "  /quit                      say BYE to every peer and exit",
    "A peer id is name@namespace: 1-64 bytes each, no @ # * or spaces.",
    "Start a message with // to send text that begins with a slash.",
};

constexpr std::string_view kMsg[] = {
    "/msg <peer_id|@peer_id|#ns|*> <text>",
    "  Sends <text> to one peer and waits for its ACK: you see 'delivered', or",
    "  after 5 s 'no ACK yet' and up to 3 retries, then 'NOT delivered'.",
    "  A bare name means name@<our namespace>. To #ns or * it is a /pub.",
};
constexpr std::string_view kPub[] = {
    "/pub <*|#ns> <text>",
    "  Publishes <text> to every linked peer (*) or to the peers of one",
    "  namespace (#ns). Publishes are not acknowledged.",
};
constexpr std::string_view kReply[] = {
    "/reply <text>",
    "  Sends <text> to the last peer that sent us a message.",
};
constexpr std::string_view kMe[] = {
    "/me <action>",
    "  Sends '* yourname <action>' (e.g. /me waves: '* alice waves') where plain",
    "  text goes. It is an ordinary message: every peer can read it.",
};
constexpr std::string_view kPeers[] = {
    "/peers [*|#ns]",
    "  Lists known peers, or those of one namespace, with their address,",
    "  state (DISCOVERED CONNECTING CONNECTED STALE GONE), link and RTT.",
};
constexpr std::string_view kConnect[] = {
    "/connect <peer_id|host:port>",
    "  Dials a known peer now (its backoff is reset), or a new address such",
    "  as 192.168.1.20:7070 or [fe80::1%eth0]:7070; its id comes from HELLO.",
};
constexpr std::string_view kConn[] = {
    "/conn",
    "  Lists open links: peer, remote address, direction, state, features,",
    "  queued bytes and how long the link has been up.",
};
constexpr std::string_view kRtt[] = {
    "/rtt",
    "  Round-trip times per peer: mean of the recent PING/PONG samples, the",
    "  last sample and how many samples the mean uses.",
};
constexpr std::string_view kRoutes[] = {
    "/routes",
    "  How each peer is reached: directly, or through a relay (via).",
};
constexpr std::string_view kMetrics[] = {
    "/metrics <peer_id>",
    "  Asks the peer for the figures of its link to us (RTT, messages sent",
    "  and received, last seen). Needs the 'metrics' feature on both sides.",
};
constexpr std::string_view kWatch[] = {
    "/watch",
    "  Toggles showing every protocol line sent (>>) and received (<<).",
};
constexpr std::string_view kReconnect[] = {
    "/reconnect",
    "  Resets the retry count of stale peers, dials them again and asks the",
    "  rendezvous server for the current peer list.",
};
constexpr std::string_view kLog[] = {
    "/log <LEVEL>",
    "  Sets the log level now: DEBUG, INFO, WARN, ERROR or OFF. Logs go to",
    "  stderr (above the prompt on a terminal), the --log-file or syslog.",
};
constexpr std::string_view kHelp[] = {
    "/help [command]",
    "  Lists the commands, or explains one: /help msg",
};
constexpr std::string_view kWhoami[] = {
    "/whoami",
    "  Our peer id and the fingerprint of our node key, in groups of four:",
    "  read it to a peer over another channel (a call, in person) to check it.",
};
constexpr std::string_view kQuit[] = {
    "/quit",
    "  Says BYE to every peer, waits up to 2 s for their answers, leaves the",
    "  rendezvous and exits. Ctrl-D on an empty line does the same.",
};

template <std::size_t N>
HelpLines lines(const std::string_view (&a)[N]) {
    return {a, N};
}

}  // namespace

HelpLines help_overview() {
    return lines(kOverview);
}

HelpLines help_for(CommandKind kind) {
    switch (kind) {
        case CommandKind::kMsg:
            return lines(kMsg);
        case CommandKind::kPub:
            return lines(kPub);
        case CommandKind::kReply:
            return lines(kReply);
        case CommandKind::kMe:
            return lines(kMe);
        case CommandKind::kPeers:
            return lines(kPeers);
        case CommandKind::kConnect:
            return lines(kConnect);
        case CommandKind::kConn:
            return lines(kConn);
        case CommandKind::kRtt:
            return lines(kRtt);
        case CommandKind::kRoutes:
            return lines(kRoutes);
        case CommandKind::kMetrics:
            return lines(kMetrics);
        case CommandKind::kWatch:
            return lines(kWatch);
        case CommandKind::kReconnect:
            return lines(kReconnect);
        case CommandKind::kLog:
            return lines(kLog);
        case CommandKind::kHelp:
            return lines(kHelp);
        case CommandKind::kWhoami:
            return lines(kWhoami);
        case CommandKind::kQuit:
            return lines(kQuit);
        case CommandKind::kEmpty:
        case CommandKind::kText:
            break;
    }
    return {nullptr, 0};
}

}  // namespace p2p::shell
