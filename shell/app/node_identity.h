// The node key for the program (docs/protocol.md §8): `--fingerprint`, and the key a
// running node secures its links with.
#pragma once
#include <optional>
#include <string>

#include "core/identity.h"
#include "shell/app/node_options.h"

namespace p2p::shell {

// `p2pchat [--key FILE] --fingerprint`: the fingerprint on the first line, grouped on
// the second, the file on the third (making the key if missing). The exit status.
int print_fingerprint(const NodeOptions& options);

// The key a node runs with. --key FILE that cannot be read or made is an error (false,
// *error); the default place failing only costs the secured links (*key empty, *warning
// says why): a node that chatted yesterday keeps chatting, in plaintext.
bool load_node_identity(const NodeOptions& options, std::optional<IdentityKey>* key,
                        std::string* path, std::string* warning, std::string* error);

}  // namespace p2p::shell
