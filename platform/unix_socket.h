// Unix stream sockets for the control socket (`--control PATH`, `p2pchat attach`): a
// listener only its owner (and optionally one group) may connect to, and the client's
// connect. Every fd returned here is O_NONBLOCK|O_CLOEXEC, like platform/net.h's; reads
// and writes use sock_read and send as for TCP.
#pragma once
#include <cstddef>
#include <string>

namespace p2p::platform {

// Longest path a sockaddr_un holds (107 bytes on Linux, 103 on the BSDs).
std::size_t unix_path_max();

// Binds and listens on `path` with mode `mode` (0600: the owner only; 0660 with
// `group` >= 0: that group too). A stale socket left by a dead process is replaced; a
// path where something still accepts, or that is not a socket, is refused (*err says
// which). The directory must exist.
int unix_listen(const std::string& path, unsigned mode, int group, std::string* err);
// Accepts one connection; -1 when none is pending or on error.
int unix_accept(int listen_fd);
// Connects to `path` (waits for the connect itself, which is immediate on a local
// socket), returns a non-blocking fd or -1 with *err (ENOENT, ECONNREFUSED, EACCES) and
// errno still the connect's.
int unix_connect(const std::string& path, std::string* err);

// Who may connect to the socket at `path`: its owner's and group's names (numbers when
// they have none) and its permission bits. False when it cannot be looked at.
struct SocketAccess {
    std::string owner;
    std::string group;
    unsigned mode = 0;
};
bool socket_access(const std::string& path, SocketAccess& out);
// The numeric gid of `name` (a group name or number); -1 if there is none.
int group_id(const std::string& name);
// Removes the socket file at `path` (on a clean stop).
void unix_unlink(const std::string& path);

}  // namespace p2p::platform
