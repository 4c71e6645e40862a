"""The suite as a program run by another: in a session of its own, with a
marker in its environment, bounded in time, stopped as a user at a terminal
would stop it, its verdicts read back from its JSON report, and whatever it
left running found by the marker.  The one way that the mutants' checks and
the demo (tests/mutants/verdict.py), the grader (grade/) and the suite's own
tests (tests/suite) run it."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from .budget import RUN_BUDGET
from .options import OPTIONS
from .settings import VALGRIND_SLOWDOWN

# Each run gets its own value of this variable, which every process it
# starts inherits (the program under test included, and whatever that forks
# or double-forks), so that anything still running afterwards can be found
# by /proc/PID/environ however it was re-parented.
MARKER = "ECHO_CONFORMANCE_RUN"
SCALE_ENV = next(o.env for o in OPTIONS if o.dest == "timeout_scale")


def pytest_argv(*args):
    """The suite through pytest, by this interpreter (one that has pytest)."""
    return [sys.executable, "-m", "pytest", *args]


def command_argv(*args):
    """The echo-conformance command, by this interpreter."""
    return [sys.executable, "-m", "echo_conformance", *args]


def time_limit(args, env=None):
    """Seconds after which a run with these arguments is stopped from
    outside: twice the budget the suite gives itself for them
    (--timeout-scale, else the environment's scale; --valgrind), so that
    only a suite that fails to bound its own run reaches it."""
    env = os.environ if env is None else env
    scale = float(env.get(SCALE_ENV) or 1)
    for option, value in zip(args, list(args[1:]) + [None]):
        if option == "--timeout-scale" and value is not None:
            scale = float(value)        # the last one counts, as for pytest
    if "--valgrind" in args:
        scale *= VALGRIND_SLOWDOWN
    return 2 * RUN_BUDGET * scale


def marked(name, value):
    """The processes whose environment holds name=value, as {pid: comm}."""
    needle = f"{name}={value}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "comm").read_text().strip()
        except OSError:
            continue        # a kernel thread, a zombie, or gone meanwhile
    return found


class SuiteRun:
    """One run of the suite (argv: pytest_argv() or command_argv()), its
    output to a pipe, kept in .output, or to output, a file."""

    def __init__(self, argv, cwd=None, env=None, output=subprocess.PIPE):
        self.token = secrets.token_hex(8)
        self.output = b""
        self.seconds = None
        self.started = time.monotonic()
        # A session of its own, so that an interrupt reaches every process
        # of the run, as a Ctrl-C at a terminal would.
        self.process = subprocess.Popen(
            argv, cwd=cwd, env={**os.environ, **(env or {}), MARKER: self.token},
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)

    @property
    def pid(self):
        return self.process.pid

    def poll(self):
        return self.process.poll()

    def wait(self, timeout=None, grace=30):
        """The exit status; or, when the run is not over within timeout
        seconds, None, after a Ctrl-C to the whole run and, if it has not
        finished cleaning up grace seconds later, a SIGKILL."""
        try:
            self.output = self.process.communicate(timeout=timeout)[0] or b""
            status = self.process.returncode
        except subprocess.TimeoutExpired:
            status = None
            for signo, wait in ((signal.SIGINT, grace), (signal.SIGKILL, None)):
                self.signal_all(signo)
                try:
                    self.output = self.process.communicate(timeout=wait)[0] or b""
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.seconds = time.monotonic() - self.started
        return status

    def signal_all(self, signo):
        try:
            os.killpg(self.process.pid, signo)
        except ProcessLookupError:
            pass

    def text(self):
        return self.output.decode(errors="replace")

    def leftovers(self):
        """The processes of this run still running, {pid: comm}."""
        return marked(MARKER, self.token)

    def end_leftovers(self, rounds=20):
        """SIGKILL every process of this run still running; returns them as
        "PID (comm)".  Several rounds: a process caught in the middle of a
        fork may leave a child the round before missed."""
        left = {}
        for _ in range(rounds):
            found = self.leftovers()
            if not found:
                break
            for pid, comm in found.items():
                left.setdefault(pid, comm)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass        # it ended by itself meanwhile
            time.sleep(0.1)
        return [f"{pid} ({comm})" for pid, comm in sorted(left.items())]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """The run's session killed if it is still running.  What left the
        session is found by end_leftovers() alone, which scans /proc: the
        grader, sharing a sandbox's CPU with a fork bomb, must not."""
        if self.process.poll() is None:
            self.signal_all(signal.SIGKILL)
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def read_report(path):
    """The suite's --conformance-json (--json) report, or None when it
    wrote none or an unreadable one."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def clauses(doc):
    """A report's clauses by id (none when there is no report), each with
    its verdict (report.PASSED ... NOT_RUN), reason, hint and tests."""
    return {c.get("id"): c for c in (doc or {}).get("clauses", []) if isinstance(c, dict)}
