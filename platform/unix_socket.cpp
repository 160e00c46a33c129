#include "platform/unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace p2p::platform {

namespace {

bool fill_addr(const std::string& path, sockaddr_un& addr, std::string* err) {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        if (err)
            *err = "socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " bytes";
        return false;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    return true;
}

int make_socket() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

void set_nonblocking(int fd) {
    int fl = ::fcntl(fd, F_GETFL);
    if (fl >= 0) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

std::string errno_text(const char* what, const std::string& path) {
    return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// A socket file nobody accepts on any more (its node died) may be replaced; a live
// one or anything else at the path may not.
bool clear_stale(const std::string& path, const sockaddr_un& addr, std::string* err) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return true;  // nothing there
    if (!S_ISSOCK(st.st_mode)) {
        if (err) *err = path + " exists and is not a socket";
        return false;
    }
    int probe = make_socket();
    if (probe < 0) return true;
    bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(probe);
    if (live) {
        if (err) *err = path + ": another process is already listening there";
        return false;
    }
    ::unlink(path.c_str());
    return true;
}

}  // namespace

std::size_t unix_path_max() {
    return sizeof(sockaddr_un{}.sun_path) - 1;
}

int unix_listen(const std::string& path, unsigned mode, int group, std::string* err) {
    sockaddr_un addr{};
    if (!fill_addr(path, addr, err) || !clear_stale(path, addr, err)) return -1;
    int fd = make_socket();
    if (fd < 0) {
        if (err) *err = errno_text("socket for", path);
        return -1;
    }
    // Bind with no permission at all, then open up to `mode`: nobody can connect in
    // between with the umask's wider default.
    mode_t old = ::umask(0777);
    int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) {
        if (err) *err = errno_text("bind", path);
        ::close(fd);
        return -1;
    }
    if ((group >= 0 &&
         ::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(group)) != 0) ||
        ::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0 || ::listen(fd, 16) != 0) {
        if (err) *err = errno_text("set up", path);
        ::close(fd);
        ::unlink(path.c_str());
        return -1;
    }
    set_nonblocking(fd);
    return fd;
}

int unix_accept(int listen_fd) {
    for (;;) {
        int fd = ::accept(listen_fd, nullptr, nullptr);
        if (fd >= 0) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            set_nonblocking(fd);
            return fd;
        }
        if (errno != EINTR) return -1;
    }
}

int unix_connect(const std::string& path, std::string* err) {
    sockaddr_un addr{};
    if (!fill_addr(path, addr, err)) return -1;
    int fd = make_socket();
    if (fd < 0) {
        if (err) *err = errno_text("socket for", path);
        return -1;
    }
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        int e = errno;
        if (err) *err = errno_text("connect to", path);
        ::close(fd);
        errno = e;  // the caller may tell EACCES from the rest
        return -1;
    }
    set_nonblocking(fd);
    return fd;
}

bool socket_access(const std::string& path, SocketAccess& out) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    const passwd* pw = ::getpwuid(st.st_uid);
    const group* gr = ::getgrgid(st.st_gid);
    out.owner = pw ? pw->pw_name : std::to_string(st.st_uid);
    out.group = gr ? gr->gr_name : std::to_string(st.st_gid);
    out.mode = static_cast<unsigned>(st.st_mode) & 0777u;
    return true;
}

int group_id(const std::string& name) {
    if (name.empty()) return -1;
    char* end = nullptr;
    long n = std::strtol(name.c_str(), &end, 10);
    if (end && *end == '\0' && n >= 0) return static_cast<int>(n);
    struct group* g = ::getgrnam(name.c_str());
    return g ? static_cast<int>(g->gr_gid) : -1;
}

void unix_unlink(const std::string& path) {
    if (!path.empty()) ::unlink(path.c_str());
}

}  // namespace p2p::platform
