// The rendezvous server's control socket (--control PATH): `p2pchat attach -c stats
// PATH` prints one line of counters, for monitoring. The socket and its protocol are
// the node's (shell/runtime/control_server.h); only the commands differ.
#pragma once
#include <string>
#include <string_view>

#include "shell/runtime/control_server.h"
#include "shell/runtime/rendezvous_server.h"

namespace p2p::shell {

class RendezvousControl final : public ControlHandler {
  public:
    explicit RendezvousControl(RendezvousServer& server) : server_(server) {}

    // stats (or /stats): "registrations N, connections N open (N since start),
    // requests N, blocked IPs N, RSS N KiB"; help lists that.
    bool on_control_command(ControlClient& client, std::string_view line) override;

    // The stats line, for the control answer and for tests.
    static std::string stats_line(const RendezvousServer::Stats& s, long rss_kib);

  private:
    RendezvousServer& server_;
};

}  // namespace p2p::shell
