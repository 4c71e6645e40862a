"""A client under test: started from its command line against a fake
server (fakeservers.py), fed its standard input, its output collected."""

import shlex
import subprocess
import threading

from . import procs
from .net import HOST


class ClientRun:
    """The client command, connected to port, with its output collected."""

    def __init__(self, settings, port, stdin, activity):
        self.timeout = settings.timeout
        self.activity = activity
        command = settings.client_cmd.replace("{host}", HOST).replace("{port}", str(port))
        argv = settings.wrap(shlex.split(command), "client")
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.proc = procs.spawn(argv, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._collect, args=(f, buf), daemon=True)
                         for f, buf in ((self.proc.stdout, self.stdout),
                                        (self.proc.stderr, self.stderr))]
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
        """True once stdout starts with expected."""
        return procs.wait_until(lambda: self.stdout.startswith(expected), self.timeout,
                                progress=lambda: self.activity.count)

    def wait_exit(self):
        """The exit status, or None when the client is still running after a
        silence of the timeout."""
        done = procs.wait_until(lambda: self.proc.poll() is not None, self.timeout,
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
