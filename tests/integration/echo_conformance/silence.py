"""The time clauses' long silence (tests/test_server_time.py): two servers,
one holding a client that says nothing, the other left without clients,
started once and judged when the silence is over.

The silence should cost a run its own length and no more, so it passes
while the other tests run.  In one process, the suite starts it with the
run (plugin.SilenceBeside) and runs the time tests last; under xdist, the
worker that takes the time tests (handed out first) starts it with them.
Either way the two servers live beside other tests' servers in the same
process, so what belongs to whom is told by procs.owner_of, and the
cleanup after each test spares their orphans (pids())."""

import shutil
import tempfile
import time
from pathlib import Path

import pytest

from . import net
from .server import IDLE_WINDOW


class Silence:
    def __init__(self, settings):
        self.length = settings.long_silence
        self.log_dir = Path(tempfile.mkdtemp(prefix="echo-conformance-silence-"))
        self.servers = []
        self.began = None
        self.trouble = None     # what stopped begin(), raised again by every time test
        self.held = self.silent = self.alone = None

    def begin(self, start_server):
        """Start both servers with start_server(log_dir), echo once on each,
        and leave them: the held one with its client open, the other with
        none.  A failure is kept for the time tests to report: it must not
        be blamed on whichever test happens to run when the silence begins."""
        try:
            self.held = self._start(start_server)
            self.silent = self.held.connect()
            net.echo(self.silent, b"then silence\n", "the echo before the long silence")
            # Claims the process serving the silent client as the held
            # server's while it can still be told apart: in a double-fork
            # design it is an orphan of this process from now on.
            self.held.tree()
            self.alone = self._start(start_server)
            net.echo(self.alone.connect(), b"then nobody\n", "the echo before the long silence")
            self.alone.close_all()
        except (Exception, pytest.fail.Exception) as e:     # pytest.fail's is a BaseException
            self.trouble = e
        self.began = time.monotonic()
        return self

    def _start(self, start_server):
        srv = start_server(self.log_dir)
        self.servers.append(srv)
        return srv

    def so_far(self):
        """Seconds since the silence began."""
        return time.monotonic() - self.began

    def wait(self):
        """Raise what stopped begin(), or wait until the silence is over
        but for the window in which the lonely server's CPU is watched (by
        the first time test).  Past that already (the other tests took
        longer), the silence is simply longer than its length."""
        if self.trouble is not None:
            raise self.trouble
        time.sleep(max(0.0, self.length - IDLE_WINDOW - self.so_far()))
        return self

    def pids(self):
        return [srv.pid for srv in self.servers]

    def stop(self):
        """End both servers with everything they started; again is harmless."""
        while self.servers:
            self.servers.pop().stop()
        shutil.rmtree(self.log_dir, ignore_errors=True)
