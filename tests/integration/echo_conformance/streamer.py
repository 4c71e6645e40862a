"""A client process that streams to an echo server until it is killed
(S-REAP-3, S-RES-3).  Run as `python3 -m echo_conformance.streamer PORT TIMEOUT`
(TIMEOUT: the silence timeout).  It says "streaming" once data flows both
ways.  Bounded: it stops by itself after two minutes."""

import select
import sys
import time

from .net import connect, recv_exactly, send

CHUNK = 65536
# Between rounds: each moves at most a chunk each way, so the buffers both
# ways stay full (the server's side is mid-transfer whenever it is killed)
# while eight streamers take little CPU; at full speed they starved the
# suite and the server of a small machine for tens of seconds.
PACE = 0.01


def main():
    timeout = float(sys.argv[2])
    sock = connect(int(sys.argv[1]), timeout)
    chunk = b"s" * CHUNK
    send(sock, chunk)
    recv_exactly(sock, len(chunk))
    print("streaming", flush=True)
    sock.setblocking(False)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], timeout)
        if not readable and not writable:
            return                          # silent for the timeout
        if writable:
            try:
                sock.send(chunk)
            except BlockingIOError:
                pass
        if readable and not sock.recv(CHUNK):
            return                          # the server closed
        time.sleep(PACE)


if __name__ == "__main__":
    main()
