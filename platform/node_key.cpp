#include "platform/node_key.h"

#include <errno.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "platform/files.h"

namespace p2p::platform {

namespace {

constexpr const char* kKeyFileName = "node.key";

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// mkdir -p, each directory it makes 0700 (the key's directory is nobody else's business).
bool make_dirs(const std::string& dir, std::string* err) {
    if (dir.empty()) return true;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return true;
        *err = dir + ": not a directory";
        return false;
    }
    std::size_t slash = dir.rfind('/');
    if (slash != std::string::npos && slash > 0 && !make_dirs(dir.substr(0, slash), err))
        return false;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        *err = "create directory " + dir + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

bool crypto_init(std::string* err) {
    if (sodium_init() < 0) {
        *err = "libsodium could not initialise";
        return false;
    }
    return true;
}

std::string default_key_path(std::string* err) {
    std::string dir = env("STATE_DIRECTORY");
    // systemd lists several directories with ':' when the unit names several.
    if (std::size_t colon = dir.find(':'); colon != std::string::npos) dir.resize(colon);
    if (dir.empty()) {
        std::string xdg = env("XDG_STATE_HOME");
        // The XDG rule: a relative value is invalid and ignored.
        if (!xdg.empty() && xdg.front() == '/') dir = xdg + "/p2pchat";
    }
    if (dir.empty()) {
        std::string home = env("HOME");
        if (!home.empty()) dir = home + "/.local/state/p2pchat";
    }
    if (dir.empty()) {
        *err = "no state directory (none of STATE_DIRECTORY, XDG_STATE_HOME, HOME is set)";
        return "";
    }
    return dir + "/" + kKeyFileName;
}

bool load_or_create_key(const std::string& path, IdentityKey* key, bool* created,
                        std::string* err) {
    *created = false;
    std::string text, why;
    bool missing = false;
    if (read_file(path, text, &why, &missing)) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
            *err = path + ": others may read or write it (mode " + mode +
                   "); chmod 600 it, or make a new key";
            return false;
        }
        if (!parse_key_file(text, key, &why)) {
            *err = path + ": " + why;
            sodium_memzero(text.data(), text.size());
            return false;
        }
        sodium_memzero(text.data(), text.size());
        return true;
    }
    if (!missing) {
        *err = path + ": " + why;
        return false;
    }
    std::size_t slash = path.rfind('/');
    if (slash != std::string::npos && !make_dirs(path.substr(0, slash), err)) return false;
    std::uint8_t seed[kIdentitySeedBytes];
    randombytes_buf(seed, sizeof seed);
    *key = identity_from_seed(seed);
    sodium_memzero(seed, sizeof seed);
    std::string file = key_file_text(*key);
    bool ok = write_file_atomic(path, file, &why);
    sodium_memzero(file.data(), file.size());
    if (!ok) {
        *err = path + ": " + why;
        return false;
    }
    *created = true;
    return true;
}

}  // namespace p2p::platform
