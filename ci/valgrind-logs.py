#!/usr/bin/env python3
"""Judge a folder of valgrind memcheck logs, one per process.

Usage: ci/valgrind-logs.py DIR [PROGRAM...]
DIR/**/*.log, as --log-file=DIR/.../%p.log writes; each PROGRAM named (say
echo-server echo-client) must have run under valgrind at least once.

A process fails when its log shows
  - a memory error (ERROR SUMMARY above 0; or, in a log cut short by
    SIGKILL, which has no summary, any error report);
  - a definitely or indirectly lost block;
  - a descriptor left open at exit.  valgrind (--track-fds=yes) lists the
    descriptors open at exit other than 0-2; one counts only when it comes
    with the stack that created it (by this process, or by its parent before
    fork), in a process that ended by itself.  Not counted: descriptors
    marked "<inherited from parent>" (they came through exec: valgrind's own
    log file, whatever the harness passed down), and those of a process that
    a signal's default action ended (it never got the chance to close them).
The run fails too when a PROGRAM named has no log, and when no log belongs
to a forked child (its parent's pid is another log's pid): then the
children, where the echoing happens, were not checked at all.

Prints counts, writes the forked children's pids and logs to
DIR/forked-children.txt, lists every offending log with its findings in
DIR/findings.txt, and prints the first of those lines and a few logs in full.
Exits 0 when every process is clean, 1 otherwise.
"""
import collections
import pathlib
import re
import sys

SHOWN_NAMED = 20
SHOWN_IN_FULL = 3
LINE = re.compile(r"^==(\d+)== ?(.*)$")
ERROR_SUMMARY = re.compile(r"^ERROR SUMMARY: (\d+) errors")
LOST = re.compile(r"^\s*(definitely|indirectly) lost: ([\d,]+) bytes")
KILLED = re.compile(r"^Process terminating with default action of signal (\d+)")
FD_ENTRY = re.compile(r"^Open (?:file descriptor|\S+ socket) (\d+)")
# The first line of each kind of memcheck error report.
ERROR_START = re.compile(
    r"^(Invalid (read|write|free)|Mismatched free|Conditional jump"
    r"|Use of uninitialised|Syscall param|Source and destination overlap"
    r"|Argument '.*' of function .* has a fishy)"
)


class Log:
    def __init__(self, path):
        self.path = path
        self.pid = None
        self.ppid = None
        self.command = "?"
        self.errors = None  # None: no ERROR SUMMARY, the process was cut short
        self.error_reports = 0
        self.lost = 0
        self.killed = False
        self.open_fds = []
        self._parse(path.read_text(errors="replace").splitlines())

    def _parse(self, lines):
        fd = None  # the descriptor whose creation stack may follow
        for raw in lines:
            m = LINE.match(raw)
            if not m:
                continue
            self.pid = self.pid or int(m.group(1))
            text = m.group(2)
            if text.startswith("Command: "):
                self.command = text[len("Command: "):]
            elif text.startswith("Parent PID: "):
                self.ppid = int(text[len("Parent PID: "):])
            elif KILLED.match(text):
                self.killed = True
            elif ERROR_START.match(text):
                self.error_reports += 1
            elif ERROR_SUMMARY.match(text):
                self.errors = int(ERROR_SUMMARY.match(text).group(1))
            elif LOST.match(text):
                self.lost += int(LOST.match(text).group(2).replace(",", ""))
            if FD_ENTRY.match(text):
                fd = int(FD_ENTRY.match(text).group(1))
            elif fd is not None:
                if text.strip().startswith("at 0x"):
                    self.open_fds.append(fd)
                fd = None

    def findings(self):
        found = []
        if self.errors is None and self.error_reports:
            found.append(f"{self.error_reports} error report(s) before it was killed")
        if self.errors:
            found.append(f"ERROR SUMMARY: {self.errors} errors")
        if self.lost:
            found.append(f"{self.lost} bytes definitely or indirectly lost")
        if self.open_fds and not self.killed:
            found.append("descriptor(s) left open at exit: "
                         + ", ".join(map(str, sorted(self.open_fds))))
        return found


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: valgrind-logs.py DIR [PROGRAM...]")
    logs = [Log(p) for p in sorted(pathlib.Path(argv[1]).rglob("*.log"))]
    if not logs:
        print(f"valgrind: no log in {argv[1]}: nothing ran under valgrind")
        return 1
    pids = {log.pid for log in logs}
    children = [log for log in logs if log.ppid in pids]
    cut_short = sum(1 for log in logs if log.errors is None)
    print(f"valgrind: {len(logs)} processes logged, {len(children)} of them forked "
          f"children of another logged process, {cut_short} cut short by SIGKILL")
    programs = collections.Counter(pathlib.Path(log.command.split()[0]).name
                                   for log in logs if log.command.split())
    print("valgrind: logs per program: "
          + ", ".join(f"{name} {n}" for name, n in sorted(programs.items())))
    # Thousands of pids are no reading for a terminal: they go to a file.
    listing = pathlib.Path(argv[1]) / "forked-children.txt"
    listing.write_text("".join(f"{log.pid} {log.path}\n" for log in children))
    print(f"valgrind: the forked children's pids and logs: {listing}")

    bad = [(log, log.findings()) for log in logs if log.findings()]
    lines = [f"{log.path} (pid {log.pid}, "
             + (f"forked child of {log.ppid}, " if log.ppid in pids else "")
             + f"{log.command}): {'; '.join(found)}\n" for log, found in bad]
    findings = pathlib.Path(argv[1]) / "findings.txt"
    findings.write_text("".join(lines))
    for line in lines[:SHOWN_NAMED]:
        print(f"valgrind: {line}", end="")
    if len(lines) > SHOWN_NAMED:
        print(f"valgrind: ... and {len(lines) - SHOWN_NAMED} more, all in {findings}")
    # A defect in the children repeats in every one of them: a few logs in
    # full say all there is.
    for log, _ in bad[:SHOWN_IN_FULL]:
        print(f"\n==== {log.path}")
        print(log.path.read_text(errors="replace"), end="")
    missing = [name for name in argv[2:] if name not in programs]
    if missing:
        print(f"valgrind: FAILED: never ran under valgrind: {' '.join(missing)}")
        return 1
    if not children:
        print("valgrind: FAILED: no forked child was traced, so the echoing "
              "children went unchecked")
        return 1
    if bad:
        print(f"\nvalgrind: FAILED: {len(bad)} of {len(logs)} processes have findings")
        return 1
    print("valgrind: no memory error, leak or descriptor left open in any process")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
