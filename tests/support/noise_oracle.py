#!/usr/bin/python3
"""An independent implementation of p2pchat's secured links (docs/protocol.md §8),
for the tests: the fingerprint from PyNaCl and hashlib, the Noise XX handshake from
dissononce (Debian python3-dissononce), nothing shared with the C++ code.

  noise_oracle.py fingerprint KEYFILE
      the fingerprint of a p2pchat key file, as §8 defines it
  noise_oracle.py dial PORT         dial a node on 127.0.0.1:PORT (Noise initiator)
  noise_oracle.py accept            listen on 127.0.0.1, print "port N", take one link
      (Noise responder). Either way, as oracle@CIC: HELLO / HELLO_OK listing `noise`,
      the XX handshake, then over the secured channel a PING (expects its PONG), a SEND
      (expects its ACK), and the answer to the node's own SEND (prints "msg TEXT" and
      ACKs it). Prints "secured FINGERPRINT" (the node's, from its proven identity),
      "pong", "ack" as they come, "done" at the end; any failure exits 1 saying why.
  noise_oracle.py vectors           fixed handshake vectors for the C++ unit tests
"""
import base64
import hashlib
import json
import socket
import struct
import sys

import nacl.exceptions
import nacl.signing
from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.keypair import KeyPair
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.hash.sha256 import SHA256Hash
from dissononce.processing.handshakepatterns.interactive.XX import XXHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

CONTEXT = b"p2pchat-noise-static-key:"
PROLOGUE_TAG = b"p2pchat-noise/1\n"
SELF = "oracle@CIC"
TIMEOUT = 10


def handshake_state():
    return HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), SHA256Hash()),
                          X25519DH())


def payload_for(identity, static_public):
    sig = identity.sign(CONTEXT + static_public).signature
    return json.dumps({"identity": base64.b64encode(identity.verify_key.encode()).decode(),
                       "sig": base64.b64encode(sig).decode()}).encode()


def check_payload(payload, remote_static):
    obj = json.loads(payload)
    key = base64.b64decode(obj["identity"], validate=True)
    sig = base64.b64decode(obj["sig"], validate=True)
    nacl.signing.VerifyKey(key).verify(CONTEXT + remote_static, sig)  # raises if bad
    return fingerprint(key)


class Link:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("the node closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("the node closed the connection before a line")
            self.buf += chunk
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def send_frame(self, data):
        self.sock.sendall(struct.pack(">H", len(data)) + data)

    def read_frame(self):
        (n,) = struct.unpack(">H", self.read_exact(2))
        return self.read_exact(n)


def hello_line(kind, features):
    return (json.dumps({"type": kind, "peer_id": SELF, "version": "1.0", "features": features,
                        "ttl": 1}, separators=(",", ":")) + "\n").encode()


def secure(link, initiator, prologue):
    identity = nacl.signing.SigningKey.generate()
    print("identity", fingerprint(identity.verify_key.encode()), flush=True)
    dh = X25519DH()
    static = dh.generate_keypair()
    hs = handshake_state()
    hs.initialize(XXHandshakePattern(), initiator, prologue, s=static)
    payload = payload_for(identity, static.public.data)
    if initiator:
        msg = bytearray()
        hs.write_message(b"", msg)
        link.send_frame(bytes(msg))
        got = bytearray()
        hs.read_message(link.read_frame(), got)
        node_fp = check_payload(bytes(got), hs.rs.data)
        msg = bytearray()
        send, recv = hs.write_message(payload, msg)
        link.send_frame(bytes(msg))
    else:
        got = bytearray()
        hs.read_message(link.read_frame(), got)
        if got:
            raise SystemExit("message 1 carried a payload")
        msg = bytearray()
        hs.write_message(payload, msg)
        link.send_frame(bytes(msg))
        got = bytearray()
        recv, send = hs.read_message(link.read_frame(), got)
        node_fp = check_payload(bytes(got), hs.rs.data)
    print("secured", node_fp, flush=True)
    return send, recv


class Channel:
    """The line stream inside the secured channel."""

    def __init__(self, link, send, recv):
        self.link, self.send, self.recv, self.plain = link, send, recv, b""

    def write_line(self, obj):
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        self.link.send_frame(self.send.encrypt_with_ad(b"", data))

    def read_message(self):
        while b"\n" not in self.plain:
            self.plain += self.recv.decrypt_with_ad(b"", self.link.read_frame())
        i = self.plain.index(b"\n")
        line, self.plain = self.plain[:i], self.plain[i + 1:]
        return json.loads(line) if line.strip() else self.read_message()


def converse(channel, node_id):
    """PING/PONG and SEND/ACK both ways; the node's own SEND is answered when it comes."""
    channel.write_line({"type": "PING", "msg_id": "oracle-ping", "timestamp":
                        "2025-10-27T10:00:00Z", "ttl": 1})
    channel.write_line({"type": "SEND", "msg_id": "oracle-send", "src": SELF, "dst": node_id,
                        "payload": "hello from the oracle", "require_ack": True, "ttl": 1})
    want = {"pong", "ack", "msg"}
    while want:
        m = channel.read_message()
        t = m.get("type")
        if t == "PONG" and m.get("msg_id") == "oracle-ping":
            print("pong", flush=True)
            want.discard("pong")
        elif t == "ACK" and m.get("msg_id") == "oracle-send":
            print("ack", flush=True)
            want.discard("ack")
        elif t == "SEND":
            print("msg", m.get("payload"), flush=True)
            channel.write_line({"type": "ACK", "msg_id": m["msg_id"], "from": SELF, "timestamp":
                                "2025-10-27T10:00:00Z", "ttl": 1})
            want.discard("msg")
        elif t == "PING":
            channel.write_line({"type": "PONG", "msg_id": m["msg_id"], "timestamp":
                                "2025-10-27T10:00:00Z", "ttl": 1})
    print("done", flush=True)
    # Stay until the node closes, so its ACK wait and the test's checks see a live link.
    try:
        while True:
            m = channel.read_message()
            if m.get("type") == "BYE":
                channel.write_line({"type": "BYE_OK", "msg_id": m.get("msg_id", ""), "ttl": 1})
    except SystemExit:
        return


def dial(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    link = Link(sock)
    hello = hello_line("HELLO", ["ack", "noise"])
    sock.sendall(hello)
    ok = link.read_line()
    msg = json.loads(ok)
    if msg.get("type") != "HELLO_OK" or "noise" not in msg.get("features", []):
        raise SystemExit("no noise in the HELLO_OK: " + ok.decode())
    send, recv = secure(link, True, PROLOGUE_TAG + hello + ok)
    converse(Channel(link, send, recv), msg["peer_id"])


def accept():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(TIMEOUT)
    print("port", server.getsockname()[1], flush=True)
    sock, _ = server.accept()
    sock.settimeout(TIMEOUT)
    link = Link(sock)
    hello = link.read_line()
    msg = json.loads(hello)
    if msg.get("type") != "HELLO" or "noise" not in msg.get("features", []):
        raise SystemExit("no noise in the HELLO: " + hello.decode())
    ok = hello_line("HELLO_OK", [f for f in ("ack", "noise") if f in msg["features"]])
    sock.sendall(ok)
    send, recv = secure(link, False, PROLOGUE_TAG + hello + ok)
    converse(Channel(link, send, recv), msg["peer_id"])


def read_seed(path):
    for line in open(path, encoding="ascii"):
        line = line.strip()
        if line.startswith("ed25519-seed:"):
            return base64.b64decode(line[len("ed25519-seed:"):].strip(), validate=True)
    raise SystemExit("no ed25519-seed line in " + path)


def fingerprint(public_key):
    return base64.b32encode(hashlib.sha256(public_key).digest()).decode().rstrip("=")


def vectors():
    """One XX handshake and a transport message each way with fixed keys, as hex."""
    dh = X25519DH()

    def kp(byte):
        return dh.generate_keypair(PrivateKey(bytes([byte]) * 32))

    class FixedEphemeral(X25519DH):
        """dissononce draws the ephemeral key itself: this one is fixed."""

        def __init__(self, byte):
            super().__init__()
            self.byte = byte

        def generate_keypair(self, privatekey=None):
            return super().generate_keypair(privatekey or PrivateKey(bytes([self.byte]) * 32))

    def state(byte):
        return HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), SHA256Hash()),
                              FixedEphemeral(byte))

    prologue = PROLOGUE_TAG + b'{"type":"HELLO"}\n{"type":"HELLO_OK"}\n'
    ini, res = state(2), state(4)
    ini.initialize(XXHandshakePattern(), True, prologue, s=kp(1))
    res.initialize(XXHandshakePattern(), False, prologue, s=kp(3))
    out = {}
    m = bytearray()
    ini.write_message(b"", m)
    out["msg1"] = bytes(m)
    res.read_message(bytes(m), bytearray())
    m = bytearray()
    res.write_message(b"payload-2", m)
    out["msg2"] = bytes(m)
    ini.read_message(bytes(m), bytearray())
    m = bytearray()
    i_send, i_recv = ini.write_message(b"payload-3", m)
    out["msg3"] = bytes(m)
    r_recv, r_send = res.read_message(bytes(m), bytearray())
    out["to_responder"] = i_send.encrypt_with_ad(b"", b"PING\n")
    out["to_initiator"] = r_send.encrypt_with_ad(b"", b"PONG\n")
    out["handshake_hash"] = ini.symmetricstate.get_handshake_hash()
    for name, data in out.items():
        print(name, data.hex())


def main(argv):
    if len(argv) == 3 and argv[1] == "fingerprint":
        key = nacl.signing.SigningKey(read_seed(argv[2]))
        print(fingerprint(key.verify_key.encode()))
        return 0
    try:
        if len(argv) == 3 and argv[1] == "dial":
            dial(int(argv[2]))
            return 0
        if len(argv) == 2 and argv[1] == "vectors":
            vectors()
            return 0
        if len(argv) == 2 and argv[1] == "accept":
            accept()
            return 0
    except (OSError, ValueError, KeyError, nacl.exceptions.CryptoError) as e:
        print("oracle failed:", type(e).__name__, e, file=sys.stderr, flush=True)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
