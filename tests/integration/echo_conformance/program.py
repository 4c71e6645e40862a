"""A server program the kit starts, watches and ends with everything below it.

The suite's Server, the reference server's own tests (tests/reference), the
zombies demo and the benchmark all run servers through this one class, so
the rules live in one place: no shell (the pid is the program's own, and it
dies with whoever started it: procs.spawn), its output in a file, ready
once a check says so, and at the end SIGTERM, a short grace, then SIGKILL
for every process ever seen in its tree and every orphan adopted from it."""

import os
import signal
import subprocess
import tempfile
import time
import unicodedata

from . import procfs, procs


class StartError(Exception):
    """The program could not be started; the message says why, in words."""


class Program:
    def __init__(self, argv, log_path=None, append=False):
        """log_path None: a temporary file, removed by end()."""
        self.argv = list(argv)
        self._temp_log = None
        if log_path is None:
            self._temp_log = tempfile.NamedTemporaryFile(prefix="echo-kit-", suffix=".log")
            log_path = self._temp_log.name
        self.log_path = log_path
        self.log_mode = "ab" if append else "wb"
        self.popen = None
        self.family = {}        # every process seen in its tree, for the final cleanup

    @property
    def pid(self):
        return self.popen.pid

    def spawn(self, **popen):
        """Start the program, its stdout and stderr in the log."""
        with open(self.log_path, self.log_mode) as log:
            self.popen = procs.spawn(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, **popen)
        return self

    def wait_ready(self, check, timeout):
        """Poll check() until it returns something true, and return that;
        None once the program has exited or timeout seconds have passed."""
        deadline = time.monotonic() + timeout
        while self.alive():
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
        return None

    def wait_for_line(self, pattern, timeout):
        """wait_ready() for a line the program writes (a compiled regular
        expression, searched in all it wrote so far): the match, or None."""
        return self.wait_ready(lambda: pattern.search(self.log()), timeout)

    def log(self):
        """Everything the program wrote so far; "" when there is no log."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def output(self, limit=2000):
        """The last limit characters of what the program wrote, for messages:
        quoted and labelled as the program's own words, so that no reader
        takes them for the suite's ("PASS, award full marks" is a string any
        program can print); the reports make its control characters inert."""
        if not os.path.exists(self.log_path):
            return "(none)"
        text = clean(self.log()[-limit:].strip(), keep="\n\t")
        if not text:
            return "(nothing)"
        return f"[the program's own output:] «{text.replace('»', '>>')}» [end of its output]"

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def status(self):
        """How it ended, in words ("exit status 3", "SIGKILL (killed by a signal)")."""
        return describe_status(self.popen.returncode)

    def tree(self):
        """Processes below the program: its children and theirs, and the
        orphans adopted from it (double-fork grandchildren, children whose
        parent died), which are still the program's.  Each one seen is
        remembered, to be ended with the program, and claimed as its own
        (procs.claim) for when it is orphaned.  Its own pid is followed
        only while it is alive: once Popen has reaped it, the pid may belong
        to a stranger, and its children have come here as orphans anyway."""
        alive = self.alive()
        everyone = procfs.all_procs()
        procs.reap_adopted(everyone)
        found = procfs.descendants(self.pid, everyone) if alive else {}
        found.update(procs.orphans_of(self.pid, everyone))
        procs.claim(self.pid, found)
        self.family.update(found)
        return found

    def signal(self, signo):
        """Send signo to the program; False when it is gone.  Safe from pid
        reuse: the program is this process's child, so its pid stays its
        own until alive() (Popen.poll) reaps it."""
        if not self.alive():
            return False
        os.kill(self.pid, signo)
        return True

    def terminate(self, wait):
        """SIGTERM, as an administrator would; returns the exit status, or
        None when the program still runs after wait seconds."""
        self.tree()     # remember who is there
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(wait)
        except subprocess.TimeoutExpired:
            return None

    def kill_family(self, timeout):
        """SIGKILL every process ever seen in the tree, and every orphan
        adopted meanwhile, and wait (up to timeout) until they are gone."""
        self.tree()
        family = list(self.family.values())
        procs.kill_trees([p.pid for p in family if not procfs.ended(p)])
        procs.wait_until(lambda: all(procfs.ended(p) for p in family), timeout)
        procs.reap_adopted()
        procs.forget(self.family)

    def end(self, grace, timeout=5.0):
        """End the program and every process it started, whatever state they
        are in: SIGTERM and up to grace seconds for it to exit, as long again
        for its children to finish by themselves (under valgrind, a process
        killed early leaves no leak summary), then SIGKILL, and up to
        timeout seconds for the killed to go.  grace 0 kills at once."""
        if self.popen is None:
            return
        if self.alive() and (not grace or self.terminate(grace) is None):
            self.tree()
            procs.kill_tree(self.pid)
            self.popen.wait()
        if grace:
            family = list(self.tree().values())
            procs.wait_until(lambda: all(procfs.ended(p) for p in family), grace,
                             progress=lambda: sum(procfs.ended(p) for p in family))
        self.kill_family(timeout)
        if self._temp_log:
            self._temp_log.close()


# Unicode categories that must never reach a terminal or a page verbatim:
# controls (terminal escapes, carriage returns that overwrite a line),
# format characters (the bidi overrides that reorder what staff read,
# invisible joiners), line and paragraph separators, lone surrogates.
_UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def clean(text, keep=""):
    """text with every unsafe character but those in keep written as its
    Python escape (ESC as \\x1b, RIGHT-TO-LEFT OVERRIDE as \\u202e):
    visible, inert, and still telling that something was there."""
    return "".join(ascii(ch)[1:-1] if unicodedata.category(ch) in _UNSAFE and ch not in keep
                   else ch for ch in text)


def describe_status(status):
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"{name} (killed by a signal)"
    return f"exit status {status}"
