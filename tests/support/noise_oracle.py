#!/usr/bin/python3
"""An independent implementation of p2pchat's secured links (docs/protocol.md §8),
for the tests: the fingerprint from PyNaCl and hashlib, the Noise XX handshake from
dissononce (Debian python3-dissononce), nothing shared with the C++ code.

  noise_oracle.py fingerprint KEYFILE
      the fingerprint of a p2pchat key file, as §8 defines it
"""
import base64
import hashlib
import sys

import nacl.signing


def read_seed(path):
    for line in open(path, encoding="ascii"):
        line = line.strip()
        if line.startswith("ed25519-seed:"):
            return base64.b64decode(line[len("ed25519-seed:"):].strip(), validate=True)
    raise SystemExit("no ed25519-seed line in " + path)


def fingerprint(public_key):
    return base64.b32encode(hashlib.sha256(public_key).digest()).decode().rstrip("=")


def main(argv):
    if len(argv) == 3 and argv[1] == "fingerprint":
        key = nacl.signing.SigningKey(read_seed(argv[2]))
        print(fingerprint(key.verify_key.encode()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
