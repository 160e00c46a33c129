#!/usr/bin/python3
"""A TCP proxy that logs every byte (the eavesdropper of the secured-link tests).

  logging_proxy.py TARGET_PORT LOG_FILE
      listens on 127.0.0.1, prints "port N", relays each accepted connection to
      127.0.0.1:TARGET_PORT and appends every byte either way to LOG_FILE.
"""
import selectors
import socket
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    target, log = int(argv[1]), open(argv[2], "ab", buffering=0)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    print("port", server.getsockname()[1], flush=True)
    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                client, _ = server.accept()
                upstream = socket.create_connection(("127.0.0.1", target))
                sel.register(client, selectors.EVENT_READ, upstream)
                sel.register(upstream, selectors.EVENT_READ, client)
                continue
            src, dst = key.fileobj, key.data
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                    s.close()
                continue
            log.write(data)
            dst.sendall(data)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
