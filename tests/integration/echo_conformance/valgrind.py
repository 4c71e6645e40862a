"""The one judge of valgrind memcheck logs (one log per process, as
--log-file=DIR/%p.log writes them), shared by the suite's memory clauses
(report.py) and ci/valgrind-logs.py, so that both read a log the same way.

What a log says, process by process:
  - memory errors: every error report memcheck wrote (invalid read or
    write, use of an uninitialised value, bad free, overlap, ...), leaks
    excepted, counted one by one rather than read from ERROR SUMMARY: a log
    cut short by SIGKILL has no summary, a forked child's summary counts
    its parent's errors from before fork() again, and with
    --errors-for-leak-kinds it counts every leak record as well.  A report
    is known by its first line, or, for a kind not listed here, as a line
    of its own followed by a stack;
  - leaks: bytes definitely or indirectly lost;
  - descriptors open at exit (--track-fds=yes) that the process, or its
    parent before fork(), created: the ones listed with a stack.  Those
    marked "<inherited from parent>" came through exec (valgrind's own log,
    whatever the caller passed down) and are not the program's.
"""

import re
from pathlib import Path

_LINE = re.compile(r"^==(\d+)== ?(.*)$")
_SUMMARY = re.compile(r"^ERROR SUMMARY: ([\d,]+) errors")
_LOST = re.compile(r"^\s*(?:definitely|indirectly) lost: ([\d,]+) bytes")
_KILLED = re.compile(r"^Process terminating with default action of signal (\d+)")
_OPEN_FD = re.compile(r"^Open (?:file descriptor|\S+ socket) (\d+)")
_STACK = re.compile(r"^\s+at 0x")
# Lines followed by a stack that are not error reports.
_NOT_AN_ERROR = re.compile(r"^(Open |Process terminating|Warning|\d[\d,]* (\(.*\) )?bytes in )")
# The first line of every kind of error report memcheck writes, leaks apart.
_ERROR_HEADER = re.compile(
    r"^(Invalid (read|write) of size|Invalid free|Mismatched free|Conditional jump"
    r"|Use of uninitialised value|Syscall param|Source and destination overlap"
    r"|Argument '.*' of function .* has a fishy|Jump to the invalid address"
    r"|Invalid alignment value|Illegal memory pool address)"
)


def _number(text):
    return int(text.replace(",", ""))


class Log:
    """One process's log, parsed."""

    def __init__(self, path):
        self.path = Path(path)
        self.pid = None
        self.ppid = None
        self.command = "?"
        self.summary = None         # ERROR SUMMARY's count; None: cut short
        self.error_reports = []     # the first line of each error report
        self.lost = 0               # bytes definitely or indirectly lost
        self.killed_by = None       # the signal whose default action ended it
        self.open_fds = []          # descriptors open at exit, with a stack
        self._parse(self.path.read_text(errors="replace").splitlines())

    def _parse(self, lines):
        fd = None           # a descriptor whose creation stack may follow
        heading = None      # a line that may head an error report of a kind not listed
        for raw in lines:
            m = _LINE.match(raw)
            if not m:
                continue
            self.pid = self.pid or int(m[1])
            text = m[2]
            if _STACK.match(text) and heading is not None:
                self.error_reports.append(heading)
            heading = None
            if text.startswith("Command: "):
                self.command = text[len("Command: "):]
            elif text.startswith("Parent PID: "):
                self.ppid = int(text[len("Parent PID: "):])
            elif k := _KILLED.match(text):
                self.killed_by = int(k[1])
            elif _ERROR_HEADER.match(text):
                self.error_reports.append(text)
            elif s := _SUMMARY.match(text):
                self.summary = _number(s[1])
            elif lost := _LOST.match(text):
                self.lost += _number(lost[1])
            elif text[:1].strip() and not _NOT_AN_ERROR.match(text):
                heading = text
            if o := _OPEN_FD.match(text):
                fd = int(o[1])
            elif fd is not None:
                if _STACK.match(text):
                    self.open_fds.append(fd)
                fd = None

    @property
    def cut_short(self):
        return self.summary is None

    @property
    def memory_errors(self):
        return len(self.error_reports)

    def describe(self, pids=()):
        """ "PATH (pid N, forked child of P, COMMAND)", the middle part when
        the parent's pid is among pids (the other logged processes)."""
        child = f"forked child of {self.ppid}, " if self.ppid in pids else ""
        return f"{self.path} (pid {self.pid}, {child}{self.command})"

    def errors_found(self):
        """The memory errors in words, or "" when there is none."""
        n = self.memory_errors
        if not n:
            return ""
        first = f": {self.error_reports[0]}" if self.error_reports else ""
        killed = ", before it was killed" if self.cut_short else ""
        return f"{n} memory error(s){killed}{first}"

    def leaks_found(self):
        return f"{self.lost} bytes definitely or indirectly lost" if self.lost else ""


def read_logs(directory):
    """Every log under directory, in the order of their paths."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [Log(p) for p in sorted(directory.rglob("*.log"))]
