#include "platform/files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace p2p::platform {
namespace {

void set_err(std::string* err, const std::string& what, int e) {
    if (err) *err = what + ": " + std::strerror(e);
}

std::string dir_of(const std::string& path) {
    std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Makes the rename itself durable. Some filesystems refuse fsync on a
// directory (EINVAL); the data is already safe there, so that is not an error.
bool fsync_dir(const std::string& dir, std::string* err) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, "open directory " + dir, errno);
        return false;
    }
    int rc = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (rc < 0 && e != EINVAL && e != EROFS) {
        set_err(err, "fsync directory " + dir, e);
        return false;
    }
    return true;
}

}  // namespace

bool write_file_atomic(const std::string& path, std::string_view data, std::string* err) {
    // Beside the target so rename() stays within one filesystem. mkostemp picks a random
    // name and creates it with O_CREAT|O_EXCL, mode 0600: a name an attacker could guess
    // (NAME.tmp.<pid>) let a planted symlink redirect the write to any file we may write.
    std::string tmp = path + ".tmp.XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) {
        set_err(err, "create " + tmp, errno);
        return false;
    }
    if (!write_all(fd, data.data(), data.size())) {
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        set_err(err, "write " + tmp, e);
        return false;
    }
    if (::fsync(fd) < 0) {
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        set_err(err, "fsync " + tmp, e);
        return false;
    }
    if (::close(fd) < 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        set_err(err, "close " + tmp, e);
        return false;
    }
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        set_err(err, "rename " + tmp + " to " + path, e);
        return false;
    }
    return fsync_dir(dir_of(path), err);
}

bool check_private_file_path(const std::string& path, std::string* err) {
    std::string dir = dir_of(path);
    struct stat ds {};
    if (::stat(dir.c_str(), &ds) < 0) {
        set_err(err, "directory " + dir, errno);
        return false;
    }
    bool shared = (ds.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (!shared) return true;
    if ((ds.st_mode & S_ISVTX) == 0) {
        if (err)
            *err = "directory " + dir +
                   " is writable by others and not sticky: anyone could replace " + path;
        return false;
    }
    // Sticky (/tmp): others cannot rename or delete our files, but may have planted
    // theirs (or a symlink) under this name before we started.
    struct stat fs {};
    if (::lstat(path.c_str(), &fs) < 0) {
        if (errno == ENOENT) return true;
        set_err(err, "lstat " + path, errno);
        return false;
    }
    if (!S_ISREG(fs.st_mode) || fs.st_uid != ::geteuid()) {
        if (err)
            *err = path + " in the shared directory " + dir +
                   " is not a regular file of ours: refusing to use it";
        return false;
    }
    return true;
}

bool read_file(const std::string& path, std::string& out, std::string* err, bool* missing) {
    if (missing) *missing = false;
    out.clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (missing) *missing = e == ENOENT;
        set_err(err, "open " + path, e);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        set_err(err, "read " + path, EISDIR);
        return false;
    }
    if (st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            out.clear();
            set_err(err, "read " + path, e);
            return false;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return true;
}

std::string move_aside(const std::string& path, std::string* err) {
    time_t now = ::time(nullptr);
    struct tm tm {};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    std::string base = path + ".bad-" + stamp;
    // Never overwrite an earlier bad file: it may be the one worth keeping.
    for (int i = 0; i < 1000; ++i) {
        std::string target = i == 0 ? base : base + "-" + std::to_string(i);
        struct stat st {};
        if (::lstat(target.c_str(), &st) == 0) continue;
        // Only a name that certainly does not exist is free.
        if (errno != ENOENT) {
            set_err(err, "move aside " + path + ": cannot check " + target, errno);
            return "";
        }
        if (::rename(path.c_str(), target.c_str()) < 0) {
            set_err(err, "rename " + path + " to " + target, errno);
            return "";
        }
        fsync_dir(dir_of(path), nullptr);
        return target;
    }
    set_err(err, "move aside " + path, EEXIST);
    return "";
}

bool is_finite_input(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode);
}

}  // namespace p2p::platform
