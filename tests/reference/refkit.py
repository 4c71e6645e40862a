"""Plumbing for the reference-server tests: the reference as the kit's
shared server runner (echo_conformance.program) starts it, bounded waits
and a few readings built on the suite's /proc helpers.  Kept small on
purpose: each test file says what it proves; this module only knows how
to look.
"""
import os
import re
import select
import socket
import time
from pathlib import Path

from echo_conformance import procfs, procs
from echo_conformance.program import Program, StartError

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("ECHO_SERVER", str(ROOT / "build" / "echo-server"))
CLIENT = os.environ.get("ECHO_CLIENT", str(ROOT / "build" / "echo-client"))

# Every time bound in the directory is multiplied by this, the suite's own
# scale; raise it on a slow or crowded machine rather than editing the tests.
SCALE = float(os.environ.get("ECHO_CONFORMANCE_TIMEOUT_SCALE", "1"))

READY = re.compile(r"echo-server: listening on (\S+):(\d+)$", re.M)


def scaled(seconds):
    return seconds * SCALE


def wait_for(predicate, seconds, step=0.02):
    """Polls predicate until it is true or scaled(seconds) pass; returns its last value."""
    deadline = time.monotonic() + scaled(seconds)
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


# ---- /proc ---------------------------------------------------------------

def state(pid):
    """R, S, T, Z...; None when pid does not exist."""
    p = procfs.proc(pid)
    return p.state if p else None


def cpu_while_idle(pid, seconds=2):
    """Sleeps scaled(seconds); returns (CPU seconds pid used, seconds passed)."""
    before, t0 = procfs.cpu_seconds(pid), time.monotonic()
    time.sleep(scaled(seconds))
    return procfs.cpu_seconds(pid) - before, time.monotonic() - t0


make_subreaper = procs.become_subreaper


# ---- the server under test -------------------------------------------------

class Server(Program):
    """An echo-server started on an ephemeral port (-p 0: the port is read
    from its "listening on" line), its stderr in a file.

    wrapper is a command prefix that ends by exec'ing the server (prlimit,
    setpriv), so the pid is the server's own.  The server leads its own
    session and process group, as a daemon started from a terminal would.
    """

    def __init__(self, *args, wrapper=(), host="127.0.0.1", port=0):
        super().__init__([*wrapper, SERVER, "-b", host, "-p", str(port), *args])
        self.spawn(start_new_session=True)
        match = self.wait_for_line(READY, scaled(10))
        if not match:
            why = f"server not ready: {self.log()!r}"   # read before stop() removes the log
            self.stop()
            raise StartError(why)
        self.host = host
        self.port = int(match.group(2))

    def address(self, host=None):
        return (host or self.host, self.port)

    def connect(self, host=None, timeout=10):
        family = socket.AF_INET6 if ":" in (host or self.host) else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(scaled(timeout))
        sock.connect(self.address(host))
        return sock

    def children(self):
        return procfs.children(self.pid)

    def wait_children(self, predicate, seconds=10):
        """Waits until predicate(live children) holds; returns the last list."""
        last = []

        def check():
            nonlocal last
            last = self.children()
            return predicate(last)
        wait_for(check, seconds)
        return last

    def stop(self):
        """Kills the server, everything below it and every orphan that came
        to us from it (we are their subreaper), at once: each test has
        checked what it wanted by then."""
        self.end(0, scaled(10))


def echo_once(server, data=b"ping\n", host=None):
    """One connection: send data, half-close, return everything read back."""
    with server.connect(host) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return recv_all(sock)


def assert_ended(sock, seconds=5):
    """The peer ends the connection, with EOF or a reset, within a bound
    (a hang raises TimeoutError) and sends no data first."""
    sock.settimeout(scaled(seconds))
    try:
        assert sock.recv(64) == b""
    except ConnectionResetError:
        pass


def recv_all(sock):
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def fill_until_blocked(sock, limit=100 << 20):
    """Sends without ever reading until the connection takes no more for a
    while (the server's child is then stuck in write); returns bytes sent."""
    sock.setblocking(False)
    chunk, sent = b"x" * 65536, 0
    while sent < limit:
        if not select.select([], [sock], [], scaled(0.5))[1]:
            return sent
        try:
            sent += sock.send(chunk)
        except BlockingIOError:
            continue
    return sent
