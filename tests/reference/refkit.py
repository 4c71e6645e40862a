"""Plumbing for the reference-server tests: a server runner, bounded waits,
and the few /proc readings the conformance suite's helpers
(tests/integration/echo_conformance, imported here) do not have.  Kept small on
purpose: each test file says what it proves; this module only knows how
to look.
"""
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from echo_conformance import procfs, procs

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("ECHO_SERVER", str(ROOT / "build" / "echo-server"))
CLIENT = os.environ.get("ECHO_CLIENT", str(ROOT / "build" / "echo-client"))

# Every time bound in the directory is multiplied by this; raise it on a
# slow or crowded machine rather than editing the tests.
SCALE = float(os.environ.get("ECHO_TIMEOUT_SCALE", "1"))
TICKS = os.sysconf("SC_CLK_TCK")

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

def stat_fields(pid):
    """/proc/PID/stat split after the command name (field 3, state, is [0]), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def state(pid):
    """R, S, T, Z...; None when pid does not exist."""
    p = procfs.proc(pid)
    return p.state if p else None


def children(pid):
    """Pids of pid's children, zombies included (they still hold a slot).
    One small file, not a walk of /proc: cheap enough to sample in a loop."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def cpu_seconds(pid):
    """User plus system CPU time pid has used so far."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_while_idle(pid, seconds=2):
    """Sleeps scaled(seconds); returns (CPU seconds pid used, seconds passed)."""
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(scaled(seconds))
    return cpu_seconds(pid) - before, time.monotonic() - t0


make_subreaper = procs.become_subreaper


# ---- the server under test -------------------------------------------------

class Server:
    """An echo-server started on an ephemeral port, its stderr in a file.

    wrapper is a command prefix that ends by exec'ing the server (prlimit,
    setpriv), so the pid is the server's own.  The server leads its own
    process group, which stop() kills as a whole.
    """

    def __init__(self, *args, wrapper=(), host="127.0.0.1", port=0):
        self.log_file = tempfile.NamedTemporaryFile(prefix="echo-server-", suffix=".log")
        self.proc = subprocess.Popen(
            [*wrapper, SERVER, "-b", host, "-p", str(port), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log_file, start_new_session=True)
        self.pid = self.proc.pid
        ready = wait_for(lambda: READY.search(self.log()) or self.proc.poll() is not None, 10)
        match = READY.search(self.log())
        if not match:
            self.stop()
            raise RuntimeError(f"server not ready (ready={ready!r}): {self.log()!r}")
        self.host = host
        self.port = int(match.group(2))

    def log(self):
        return Path(self.log_file.name).read_text(errors="replace")

    def address(self, host=None):
        return (host or self.host, self.port)

    def connect(self, host=None, timeout=10):
        family = socket.AF_INET6 if ":" in (host or self.host) else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(scaled(timeout))
        sock.connect(self.address(host))
        return sock

    def children(self):
        return children(self.pid)

    def wait_children(self, predicate, seconds=10):
        """Waits until predicate(live children) holds; returns the last list."""
        last = []

        def check():
            nonlocal last
            last = self.children()
            return predicate(last)
        wait_for(check, seconds)
        return last

    def signal(self, signo):
        os.kill(self.pid, signo)

    def stop(self):
        """Ends the whole process group, then reaps the server and any of
        its descendants that were re-parented here (we are their subreaper)."""
        # Only while the leader is unreaped is its pid surely still our group's.
        if self.proc.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=scaled(10))
        reap_orphans(self.pid)
        self.log_file.close()


def reap_orphans(pgid):
    """Reaps this process's children in process group pgid: a server's
    descendants that outlived it and came to us as their subreaper."""
    for pid in orphans(pgid):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def orphans(pgid):
    """Our children (as subreaper) whose process group is pgid."""
    mine, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        fields = entry.name.isdigit() and stat_fields(entry.name)
        if fields and int(fields[1]) == mine and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


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
