"""A client process that streams to an echo server until it is killed
(S-REAP-3, S-RES-3).  Run as `python3 -m echo_conformance.streamer PORT TIMEOUT`
(TIMEOUT: the silence timeout).  It says "streaming" once data flows both
ways.  Bounded: it stops by itself after two minutes."""

import sys
import time

from .net import connect, recv_exactly, send


def main():
    sock = connect(int(sys.argv[1]), float(sys.argv[2]))
    chunk = b"s" * 65536
    send(sock, chunk)
    recv_exactly(sock, len(chunk))
    print("streaming", flush=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        send(sock, chunk)
        sock.recv(len(chunk))


if __name__ == "__main__":
    main()
