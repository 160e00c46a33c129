// `p2pchat rendezvous [options]`: the rendezvous server as a program.
// argv[0] is "rendezvous" (or the program name); options follow. Prints
// "listening on IP:PORT" on stdout once it accepts connections, runs until
// SIGINT/SIGTERM, then writes pending registrations and exits 0.
#pragma once

namespace p2p::shell {

int rendezvous_main(int argc, char** argv);

}  // namespace p2p::shell
