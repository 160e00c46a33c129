#include "shell/app/rendezvous_control.h"

#include <cinttypes>
#include <cstdio>

#include "platform/process.h"

namespace p2p::shell {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '/'))
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::string RendezvousControl::stats_line(const RendezvousServer::Stats& s, long rss_kib) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "registrations %zu, connections %zu open (%" PRIu64
                  " since start), requests %" PRIu64 ", blocked IPs %zu, RSS %ld KiB",
                  s.registrations, s.open_connections, s.connections, s.requests, s.blocked_ips,
                  rss_kib);
    return text;
}

bool RendezvousControl::on_control_command(ControlClient& client, std::string_view line) {
    std::string_view cmd = trimmed(line);
    bool json = client.mode() == ControlMode::kJson;
    if (cmd == "stats") {
        RendezvousServer::Stats s = server_.stats();
        long rss = platform::rss_kib();
        if (json) {
            char text[256];
            std::snprintf(text, sizeof text,
                          "{\"event\":\"stats\",\"registrations\":%zu,\"open_connections\":%zu,"
                          "\"connections\":%" PRIu64 ",\"requests\":%" PRIu64
                          ",\"blocked_ips\":%zu,\"rss_kib\":%ld}\n",
                          s.registrations, s.open_connections, s.connections, s.requests,
                          s.blocked_ips, rss);
            client.output(text);
        } else {
            client.output(stats_line(s, rss) + "\n");
        }
        return true;
    }
    if (cmd == "help" || cmd.empty()) {
        client.output(
            "commands: stats (registrations, connections, requests, blocked IPs, "
            "RSS)\n");
        return true;
    }
    client.output(json ? "{\"event\":\"error\",\"text\":\"unknown command (try stats)\"}\n"
                       : "error unknown command (try stats)\n");
    return false;
}

}  // namespace p2p::shell
