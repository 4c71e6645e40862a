"""A client process that streams to an echo server until it is killed
(S-REAP-3, S-RES-3).  Arguments: the port and the silence timeout.  It says
"streaming" once data flows both ways.  Bounded: it stops by itself after
two minutes."""

import socket
import sys
import time

sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=float(sys.argv[2]))
chunk = b"s" * 65536
sock.sendall(chunk)
got = 0
while got < len(chunk):
    data = sock.recv(len(chunk) - got)
    if not data:
        sys.exit("streamer: the server closed the connection")
    got += len(data)
print("streaming", flush=True)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    sock.sendall(chunk)
    sock.recv(len(chunk))
