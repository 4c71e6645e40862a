"""Client-side socket work for the server tests, with failures described in
words.  Every socket has a timeout: it bounds the silence between two bytes,
not the length of a transfer."""

import socket
import struct
import time

HOST = "127.0.0.1"


def free_port():
    """A port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sysctl(name, field=0):
    """Field number field of /proc/sys/net/NAME (say "ipv4/tcp_wmem", 2: the
    largest send buffer autotuning gives) as an int, or None where it
    cannot be read."""
    try:
        with open(f"/proc/sys/net/{name}", encoding="ascii") as f:
            return int(f.read().split()[field])
    except (OSError, IndexError, ValueError):
        return None


def connect(port, timeout, rcvbuf=None):
    """A connection to the server; rcvbuf, when given, sets the receive
    buffer (and so the window) before the handshake."""
    s = socket.socket()
    s.settimeout(timeout)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    try:
        s.connect((HOST, port))
    except socket.timeout:
        s.close()
        raise AssertionError(f"connecting to {HOST}:{port} got no answer for {timeout:.0f} s "
                             f"(the server is not accepting)") from None
    except ConnectionRefusedError:
        s.close()
        raise AssertionError(f"connecting to {HOST}:{port} was refused: "
                             f"the server is no longer listening") from None
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset(sock):
    """Close with SO_LINGER 0: the peer gets a reset (RST), not a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def send(sock, data, what="sending"):
    """Send all of data.  One send() at a time, not sendall(): with a socket
    timeout, sendall() bounds the whole transfer, so a server that reads
    slowly but steadily would be failed as one that does not read at all.
    Here the timeout bounds each silence only."""
    view = memoryview(data)
    sent = 0
    try:
        while sent < len(view):
            sent += sock.send(view[sent:sent + (1 << 20)])
    except socket.timeout:
        raise AssertionError(f"{what}: the server took nothing for "
                             f"{sock.gettimeout():.0f} s after {sent} of {len(data)} bytes "
                             f"(it is not reading)") from None
    except (BrokenPipeError, ConnectionResetError) as e:
        raise AssertionError(f"{what}: the server dropped the connection after {sent} of "
                             f"{len(data)} bytes ({e.strerror})") from None


def _recv(sock, size, what, progress):
    """One recv(); silence and resets become failures in words.  progress
    says how far the transfer got, for the message."""
    try:
        return sock.recv(size)
    except socket.timeout:
        raise AssertionError(f"{what}: nothing arrived for {sock.gettimeout():.0f} s "
                             f"after {progress}") from None
    except ConnectionResetError:
        raise AssertionError(f"{what}: the server reset the connection after {progress}") from None


def recv_exactly(sock, n, what="the echo"):
    buf = bytearray()
    while len(buf) < n:
        chunk = _recv(sock, min(n - len(buf), 1 << 20), what, f"{len(buf)} of {n} bytes")
        if not chunk:
            raise AssertionError(f"{what}: the server closed the connection after "
                                 f"{len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def recv_until_eof(sock, what="the echo"):
    """Everything until the server's end of file (a FIN); a reset or silence fails."""
    buf = bytearray()
    while chunk := _recv(sock, 1 << 20, what, f"{len(buf)} bytes, before its end of file"):
        buf += chunk
    return bytes(buf)


def difference(sent, got):
    """Where got first differs from sent, in words."""
    if got == sent:
        return "identical"
    for i, (a, b) in enumerate(zip(sent, got)):
        if a != b:
            return (f"byte {i} differs: sent 0x{a:02x}, got 0x{b:02x} "
                    f"(got {len(got)} bytes, sent {len(sent)})")
    return f"got {len(got)} bytes, sent {len(sent)}: the first {min(len(got), len(sent))} match"


def assert_identical(expected, got, what):
    """Fail, saying where got first differs from expected.  Compared here, not
    in a test's own assert: pytest would diff the two byte strings for its
    report, which takes minutes once they are megabytes long."""
    if got != expected:
        raise AssertionError(f"{what}: {difference(expected, got)}")


def echo(sock, data, what="the echo", within=None):
    """Send data and require exactly it back; within, when given, is the
    most seconds the whole echo may take (on top of the silence timeout,
    which still tells a late echo from none at all)."""
    start = time.monotonic()
    send(sock, data, what)
    got = recv_exactly(sock, len(data), what)
    took = time.monotonic() - start
    assert_identical(data, got, f"{what} is not what was sent")
    if within is not None and took > within:
        raise AssertionError(f"{what} came back only after {took:.1f} s, over the limit of "
                             f"{within:.1f} s: an echo server writes back what it has read "
                             f"at once, without waiting for more")


def echo_many(socks, messages, what="the echo"):
    """Send each message on its connection, then read each echo back: the
    connections are served side by side, so a server that answers slowly
    costs one delay, not one per connection."""
    for i, (sock, msg) in enumerate(zip(socks, messages)):
        send(sock, msg, f"sending on connection {i}")
    for i, (sock, msg) in enumerate(zip(socks, messages)):
        got = recv_exactly(sock, len(msg), f"{what} on connection {i}")
        assert_identical(msg, got, f"{what} on connection {i} is not what was sent "
                                   f"(another client's data?)")


def one_connection(port, timeout, i):
    """One short connection, as the endurance and descriptor clauses make
    hundreds of: see echo_then_half_close."""
    with connect(port, timeout) as sock:
        echo_then_half_close(sock, f"connection {i}\n".encode(), f"the echo on connection {i}")


def echo_then_half_close(sock, msg, what):
    """Send msg, half-close, and require exactly msg back; the end of file
    that follows is not waited for.  The half-close lets a server that
    gathers data answer at once: S-ECHO-3 and S-ECHO-5 judge promptness,
    not the clauses that use this to prove a connection was served."""
    send(sock, msg, what)
    sock.shutdown(socket.SHUT_WR)
    got = recv_exactly(sock, len(msg), what)
    assert_identical(msg, got, f"{what} is not what was sent")
