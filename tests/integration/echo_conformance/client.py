"""A client under test: started from its command line against a fake
server (fakeservers.py), fed its standard input, its output collected."""

import os
import shlex
import subprocess
import threading

from . import procs
from .net import HOST


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
