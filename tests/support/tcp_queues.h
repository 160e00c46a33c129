// What the kernel knows about a loopback TCP connection's progress, for tests
// that must wait until a program has *read* what they sent or *accepted*
// what they opened (instead of sleeping and hoping it has): the queues of
// /proc/net/tcp and the sender's own unacknowledged bytes (SIOCOUTQ).
// IPv4 only; the test programs listen on 127.0.0.1.
#pragma once
#include <chrono>
#include <cstdint>
#include <vector>

namespace p2p::test {

// Waits until the program at the other end of `fd` (a connected TCP socket)
// is done with everything sent on it: nothing left unacknowledged on this
// side, and the peer's socket has an empty receive queue or was closed by
// that program. False on timeout.
bool wait_peer_read_all(int fd, std::chrono::milliseconds timeout);
// The same for many connections at once (one look at the kernel's table per round).
bool wait_peers_read_all(const std::vector<int>& fds, std::chrono::milliseconds timeout);

// Waits until the program listening on 127.0.0.1:`port` has accepted every
// connection queued for it (the listening socket's accept queue is empty),
// and the kernel holds at least `connections` connections to that port,
// accepted or not, open or being closed by that program (so that "empty"
// does not just mean "not yet arrived"). False on timeout.
bool wait_accepted(std::uint16_t port, int connections, std::chrono::milliseconds timeout);

// Waits until the program listening on `port` has closed its end of every
// connection its clients closed (no socket of that port left in CLOSE_WAIT).
bool wait_closes_handled(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace p2p::test
