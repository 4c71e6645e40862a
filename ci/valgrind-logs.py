#!/usr/bin/env python3
"""Judge a folder of valgrind memcheck logs, one per process.

Usage: ci/valgrind-logs.py DIR [PROGRAM...]
DIR/**/*.log, as --log-file=DIR/.../%p.log writes; each PROGRAM named (say
echo-server echo-client) must have run under valgrind at least once.

A process fails when its log shows a memory error, a definitely or
indirectly lost block, or a descriptor left open at exit.  The logs are read
by the suite's own judge (tests/integration/echo_conformance/valgrind.py, which
says what each of these is and how a log cut short by SIGKILL counts), so
this script and the suite's S-MEM/C-MEM clauses never disagree on a log.
The descriptors are this script's policy, not the suite's: the reference
programs promise to close what they open, which SPEC.md cannot demand of
every design.  One counts in a process that ended by itself, not in one a
signal's default action ended (it never got the chance to close it).
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
import sys

# The suite's package, through PYTHONPATH (make sets it).
from echo_conformance.valgrind import read_logs

SHOWN_NAMED = 20
SHOWN_IN_FULL = 3


def failures_of(log):
    """What fails this process, in words."""
    found = [what for what in (log.errors_found(), log.leaks_found()) if what]
    if log.open_fds and log.killed_by is None:
        found.append("descriptor(s) left open at exit: "
                     + ", ".join(map(str, sorted(log.open_fds))))
    return found


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: valgrind-logs.py DIR [PROGRAM...]")
    logs = read_logs(argv[1])
    if not logs:
        print(f"valgrind: no log in {argv[1]}: nothing ran under valgrind")
        return 1
    pids = {log.pid for log in logs}
    children = [log for log in logs if log.ppid in pids]
    cut_short = sum(1 for log in logs if log.cut_short)
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

    bad = [(log, found) for log in logs if (found := failures_of(log))]
    lines = [f"{log.describe(pids)}: {'; '.join(found)}\n" for log, found in bad]
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
