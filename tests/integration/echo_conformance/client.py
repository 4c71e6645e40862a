"""A client under test, and the fake servers it is run against.

Fake servers run in threads of the suite, one connection each, so that every
test decides exactly what the "server" does: echo, echo slowly, stop early,
reset.  Activity (a byte moved by the client or the fake server) is counted,
so that waits give up only after a silence."""

import fcntl
import os
import shlex
import socket
import struct
import subprocess
import termios
import threading
import time

from . import procs
from .net import HOST


class Activity:
    """A counter bumped whenever a byte moves; waits use it as progress."""

    def __init__(self):
        self.count = 0

    def bump(self):
        self.count += 1


class FakeServer:
    """Listens on 127.0.0.1, serves one connection with behaviour(self, conn)."""

    def __init__(self, behaviour, activity, timeout):
        self.behaviour = behaviour
        self.activity = activity
        self.timeout = timeout
        # What moved, kept unless a behaviour that moves tens of MiB says not.
        self.record = True
        self.received = bytearray()
        self.sent = bytearray()
        self.sent_count = 0
        self.proceed = threading.Event()    # set by the test when the server may go on
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(1)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(self.timeout)
                try:
                    self.behaviour(self, conn)
                except OSError:
                    pass    # the client went away: its own side is what the test judges
            return

    def recv(self, conn):
        """The next chunk from the client, b"" at its end of file."""
        chunk = conn.recv(1 << 16)
        if self.record:
            self.received += chunk
        self.activity.bump()
        return chunk

    def recv_line(self, conn):
        while b"\n" not in self.received:
            if not self.recv(conn):
                break
        return bytes(self.received)

    def recv_all(self, conn):
        while self.recv(conn):
            pass
        return bytes(self.received)

    def send(self, conn, data):
        # send() in a loop, not sendall(): the timeout bounds a silence of
        # the client under test, not the length of the whole transfer.
        view = memoryview(data)
        while view:
            n = conn.send(view)
            if self.record:
                self.sent += view[:n]
            self.sent_count += n
            view = view[n:]
            self.activity.bump()

    def stop(self):
        self._stop.set()
        self._thread.join(self.timeout)
        self.listener.close()


# Behaviours of fake servers.

def echo(fake, conn):
    while chunk := fake.recv(conn):
        fake.send(conn, chunk)


def slow_echo(fake, conn):
    """Echo in 1 KiB pieces with a pause before each, as a loaded or distant
    server would."""
    while chunk := fake.recv(conn):
        for i in range(0, len(chunk), 1024):
            time.sleep(0.2)
            fake.send(conn, chunk[i:i + 1024])


def late_echo(fake, conn):
    """Echo everything only after the client's end of file, and a pause."""
    data = fake.recv_all(conn)
    time.sleep(1.5)
    fake.send(conn, data)


def stream_echo(fake, conn):
    """Echo, keeping no copy: for inputs of tens of MiB."""
    fake.record = False
    echo(fake, conn)


def echo_after_silence(seconds):
    """A behaviour: receive everything until the client's end of file, stay
    silent for seconds, then echo it all."""
    def behaviour(fake, conn):
        data = fake.recv_all(conn)
        time.sleep(seconds)
        fake.send(conn, data)
    return behaviour


def reset(conn):
    """Abort the connection: its close sends a reset (RST), not a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def echo_half_then_reset(fake, conn):
    """After the client's end of file, echo half of the input, then reset."""
    data = fake.recv_all(conn)
    fake.send(conn, data[:len(data) // 2])
    reset(conn)


def queued(conn):
    """Bytes received on conn and not yet read (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(conn, termios.FIONREAD, b"\0" * 4))[0]


def close_during_upload(pause, then_reset):
    """A behaviour: take the first MiB of a large upload, then stop reading
    until the client is blocked sending (what waits unread has stopped
    growing for pause seconds); then close the sending side (FIN).  With
    then_reset, answer at once what the client still sends with a reset, as
    the TCP of a server whose socket is closed does: a client blocked in a
    write then gets EPIPE, and SIGPIPE, unless the FIN let its write finish
    first.  Without, read on and throw away what comes: the client's only
    sign is the end of file."""
    def behaviour(fake, conn):
        fake.record = False
        taken = 0
        while taken < 1 << 20 and (chunk := fake.recv(conn)):
            taken += len(chunk)
        seen = (queued(conn), time.monotonic())
        while time.monotonic() - seen[1] < pause:
            time.sleep(pause / 10)
            if (now := queued(conn)) != seen[0]:
                seen = (now, time.monotonic())
                fake.activity.bump()
        conn.shutdown(socket.SHUT_WR)
        if then_reset:
            reset(conn)
        else:
            fake.recv_all(conn)
    return behaviour


def echo_first_line_then_close(fake, conn):
    """Echo one line; once the test has seen it printed, close (FIN)."""
    fake.send(conn, fake.recv_line(conn))
    fake.proceed.wait(fake.timeout)
    conn.shutdown(socket.SHUT_RDWR)


def echo_first_line_then_reset(fake, conn):
    """Echo one line; once the test has seen it printed, reset (RST): a reset
    sent at once could destroy the echo before the client reads it."""
    fake.send(conn, fake.recv_line(conn))
    fake.proceed.wait(fake.timeout)
    reset(conn)


def short_echo(fake, conn):
    """Echo half of the input, then end the connection."""
    data = fake.recv_all(conn)
    fake.send(conn, data[:len(data) // 2])


def swapcase_echo(fake, conn):
    """Send back something other than the input: the client must print this, not its input."""
    while chunk := fake.recv(conn):
        fake.send(conn, chunk.swapcase())


def silent(fake, conn):
    fake.recv_all(conn)


# A private /etc/hosts, as the client sees it (PrivateHosts).
HOST_NAME = "localhost"
HOSTS_LINES = b"::1 localhost\n127.0.0.1 localhost\n"


class PrivateHosts:
    """Runs the client in a mount namespace of its own, where a file of the
    suite is bind-mounted on /etc/hosts: the host names of the test resolve
    as the test says, and nothing changes for anyone else (its mounts are
    private: none propagates back).  As root `unshare -m`; otherwise a user
    namespace as well (`unshare -r -m`), where the kernel allows one."""

    def __init__(self, folder, lines=HOSTS_LINES):
        self.path = folder / "hosts"
        self.path.write_bytes(lines)
        self.prefix = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
        self.prefix += ["--propagation", "private", "sh", "-c",
                        'mount --bind "$0" /etc/hosts && exec "$@"', str(self.path)]

    def unavailable(self, timeout):
        """Why a program cannot be run with the private file, in words
        (tried with cat), or "" when it can."""
        try:
            done = subprocess.run([*self.prefix, "cat", "/etc/hosts"], capture_output=True,
                                  timeout=timeout)
        except FileNotFoundError:
            return "the unshare command (util-linux) is not installed"
        except subprocess.TimeoutExpired:
            return f"unshare and mount did not finish within {timeout:.0f} s"
        if done.returncode != 0 or done.stdout != self.path.read_bytes():
            why = done.stderr.decode(errors="replace").strip() or f"status {done.returncode}"
            return (f"a private /etc/hosts cannot be mounted for the client here "
                    f"({' '.join(self.prefix[:self.prefix.index('sh')])}: {why}); run the "
                    f"suite as root, or where "
                    f"unprivileged user namespaces are allowed")
        return ""


class ClientRun:
    """The client command, connected to port, with its output collected.
    host replaces {host}; stdout, when given, is a file the client writes
    to instead of a pipe the suite reads; prefix is a command that runs the
    client (PrivateHosts.prefix)."""

    def __init__(self, settings, port, stdin, activity, host=HOST, stdout=None, prefix=()):
        self.timeout = settings.timeout
        self.activity = activity
        command = settings.client_cmd.replace("{host}", host).replace("{port}", str(port))
        argv = [*prefix, *settings.wrap(shlex.split(command), "client")]
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.proc = procs.spawn(argv, stdin=stdin, stdout=stdout or subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._collect, args=(f, buf), daemon=True)
                         for f, buf in ((self.proc.stdout, self.stdout),
                                        (self.proc.stderr, self.stderr)) if f]
        for t in self._readers:
            t.start()

    def _collect(self, f, buf):
        while chunk := f.read1(1 << 16):
            buf += chunk
            self.activity.bump()

    def write(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise AssertionError(f"the client stopped reading its standard input (exit status "
                                 f"{self.proc.poll()}; it said {self.stderr_text()!r})") from None
        self.activity.bump()

    def close_stdin(self):
        self.proc.stdin.close()

    def wait_stdout(self, expected):
        """True once stdout starts with expected; False after a silence of
        the timeout, or as soon as the client has exited without it."""
        procs.wait_until(lambda: self.stdout.startswith(expected) or self.proc.poll() is not None,
                         self.timeout, progress=lambda: self.activity.count)
        if not self.stdout.startswith(expected) and self.proc.poll() is not None:
            for t in self._readers:     # what it wrote before it exited
                t.join(self.timeout)
        return self.stdout.startswith(expected)

    def wait_exit(self, silence=0.0):
        """The exit status, or None when the client is still running after a
        silence of the timeout; silence: seconds more, for a test whose fake
        server is itself silent that long."""
        done = procs.wait_until(lambda: self.proc.poll() is not None, self.timeout + silence,
                                progress=lambda: self.activity.count)
        if not done:
            return None
        for t in self._readers:
            t.join(self.timeout)
        return self.proc.returncode

    def stderr_text(self):
        return self.stderr.decode(errors="replace").strip()

    def stop(self):
        if self.proc.poll() is None:
            procs.kill_tree(self.proc.pid)
            self.proc.wait()
        for t in self._readers:
            t.join(self.timeout)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f:
                f.close()
