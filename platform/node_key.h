// The node's identity key on disk (docs/protocol.md §8, docs/security.md "The node
// key"): where it lives, made on first start, refused when others could read it.
#pragma once
#include <string>

#include "core/identity.h"

namespace p2p::platform {

// libsodium's one-time set-up (it picks its implementations and opens its random
// source). False with *err if the library cannot run; every other call needs it first.
bool crypto_init(std::string* err);

// Where the key lives when --key does not say: the service's state directory
// ($STATE_DIRECTORY, set by systemd's StateDirectory=), else $XDG_STATE_HOME/p2pchat,
// else $HOME/.local/state/p2pchat; the file is node.key there. "" with *err when none
// of them is set (a service user without a home).
std::string default_key_path(std::string* err);

// Reads the key at `path`, or, when there is no file there, makes one (fresh random
// seed, mode 0600, its directory created 0700 when missing) and sets *created. False with
// *err when the file is unreadable, malformed, or readable by others (a key others may
// have read proves nothing: like ssh, refuse it rather than use it).
bool load_or_create_key(const std::string& path, IdentityKey* key, bool* created, std::string* err);

}  // namespace p2p::platform
