#include "shell/app/node_identity.h"

#include "platform/node_key.h"
#include "platform/process.h"

namespace p2p::shell {

namespace {

bool open_key(const std::string& path, IdentityKey* key, bool* created, std::string* error) {
    return platform::crypto_init(error) && platform::load_or_create_key(path, key, created, error);
}

}  // namespace

int print_fingerprint(const NodeOptions& options) {
    std::string error;
    std::string path = options.key_file;
    if (path.empty()) path = platform::default_key_path(&error);
    IdentityKey key;
    bool created = false;
    if (path.empty() || !open_key(path, &key, &created, &error)) {
        std::string text = "p2pchat: key: " + error + "\n";
        platform::write_all(2, text);
        return kExitFailure;
    }
    std::string fp = fingerprint(key.public_key);
    std::string text = fp + "\n" + grouped_fingerprint(fp) + "\n" +
                       (created ? "key made: " : "key: ") + path + "\n";
    return platform::write_all(1, text) ? kExitOk : kExitFailure;
}

bool load_node_identity(const NodeOptions& options, std::optional<IdentityKey>* key,
                        std::string* path, std::string* warning, std::string* error) {
    key->reset();
    std::string why;
    *path = options.key_file;
    if (path->empty()) *path = platform::default_key_path(&why);
    IdentityKey loaded;
    bool created = false;
    if (path->empty() || !open_key(*path, &loaded, &created, &why)) {
        if (!options.key_file.empty()) {
            *error = "--key: " + why;
            return false;
        }
        *warning = "no node key (" + why + "): links stay plaintext; --key FILE names one";
        return true;
    }
    *key = loaded;
    if (created) *warning = "made a new node key: " + *path;
    return true;
}

}  // namespace p2p::shell
