"""Running the conformance suite on one implementation and reading its
verdict by clause, for `make mutants` (run.py) and `make demo`."""

import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The suite's package, through PYTHONPATH (make sets it).
from echo_conformance import spec
from echo_conformance.budget import RUN_BUDGET
from echo_conformance.settings import VALGRIND_SLOWDOWN

CLAUSES = spec.load()
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
# Each suite run gets its own value of this variable, which every process it
# starts inherits (the program under test included, and whatever that
# forks or double-forks), so that anything still running afterwards can be
# found by /proc/PID/environ however it was re-parented.
MARKER = "ECHO_CONFORMANCE_RUN"
NOT_PASSED = ("failed", "not judged", "warned")


def time_limit(extra):
    """Seconds after which run() gives up on the suite: twice the budget
    the suite gives itself for these options (--timeout-scale, --valgrind),
    so that only a suite that fails to bound its own run reaches it."""
    scale = 1.0
    for option, value in zip(extra, list(extra[1:]) + [None]):
        if option == "--timeout-scale" and value is not None:
            scale = float(value)        # the last one counts, as for pytest
    if "--valgrind" in extra:
        scale *= VALGRIND_SLOWDOWN
    return 2 * RUN_BUDGET * scale


def run(side, argv, select=None, extra=(), timeout=None):
    """Run the suite's `side` tests ("server" or "client") against argv (a
    list whose items may hold {host} and {port}).  select: clause ids to
    keep (all when None); extra: more pytest options; timeout: seconds,
    time_limit(extra) when None.  Returns {"status": exit status or None
    when it ran over its time, "clauses": {id:
    verdict}, "reasons": {id: reason}, "tail": last lines of pytest's
    output, "left": the processes of this run found still running after it
    ("PID (comm)"), which are then killed}."""
    token = secrets.token_hex(8)
    env = {**os.environ, MARKER: token}
    with tempfile.TemporaryDirectory(prefix="verdict-") as tmp:
        report = Path(tmp) / "conformance.json"
        cmd = [PYTHON, "-m", "pytest", "tests/integration", "-q", "-p", "no:cacheprovider",
               "-m", side, f"--{side}-cmd", " ".join(argv),
               "--conformance-json", str(report), *extra]
        if select:
            cmd += ["-k", " or ".join(select)]
        # In a session of its own, so that a timeout can be a Ctrl-C to
        # every process of the run, as a user at a terminal would give it.
        with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True) as suite:
            try:
                output, _ = suite.communicate(timeout=timeout or time_limit(list(extra)))
                status = suite.returncode
            except subprocess.TimeoutExpired:
                output, status = interrupt(suite), None
        ran = read_report(report) if report.exists() else []
    tail = (output or b"").decode(errors="replace").strip().splitlines()[-15:]
    return {"status": status, "tail": tail,
            "clauses": {c["id"]: c["verdict"] for c in ran},
            "reasons": {c["id"]: c["reason"] for c in ran if c["reason"]},
            "left": kill_leftovers(f"{MARKER}={token}".encode())}


def interrupt(suite, grace=30):
    """Ctrl-C to the run's process group, then SIGKILL after grace seconds
    if the suite has not finished cleaning up; returns its output."""
    for signo, wait in ((signal.SIGINT, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(suite.pid, signo)
        except ProcessLookupError:
            pass
        try:
            return suite.communicate(timeout=wait)[0]
        except subprocess.TimeoutExpired:
            continue
    return b""


def marked(entry):
    """entry's environment as bytes, or b"" when it cannot be read (a
    kernel thread, a zombie, or a process that has just gone)."""
    try:
        return (entry / "environ").read_bytes()
    except OSError:
        return b""


def kill_leftovers(marker, rounds=20):
    """Find every process whose environment holds marker, kill it, and
    return them as "PID (comm)".  Several rounds, because a process caught
    in the middle of a fork may leave a child that the first round missed."""
    left = {}
    for _ in range(rounds):
        found = [e for e in Path("/proc").iterdir() if e.name.isdigit()
                 and marker in marked(e).split(b"\0")]
        if not found:
            break
        for entry in found:
            pid = int(entry.name)
            try:
                left.setdefault(pid, (entry / "comm").read_text().strip())
                os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass        # it ended by itself meanwhile
        time.sleep(0.1)
    return [f"{pid} ({comm})" for pid, comm in sorted(left.items())]


def read_report(path):
    """The clauses that ran, from the suite's --conformance-json file, each
    with its verdict ("passed", "failed", "warned", "not judged") and reason."""
    data = json.loads(path.read_text())
    return [c for c in data["clauses"] if c["verdict"] != "not run"]


def failed(result):
    """The clauses that make the run non-conforming if they are MUSTs."""
    return sorted(c for c, v in result["clauses"].items() if v in ("failed", "not judged"))


def not_passed(result):
    """Every clause whose verdict is not "passed": failed, not judged or warned."""
    return sorted(c for c, v in result["clauses"].items() if v in NOT_PASSED)


def warned(result):
    return sorted(c for c, v in result["clauses"].items() if v == "warned")


def describe(clause_id):
    """ "S-REAP-2 (No zombie remains after many clients close at the same instant)" """
    return f"{clause_id} ({CLAUSES[clause_id].title if clause_id in CLAUSES else '?'})"


def one_line(result, paint):
    """The verdict in one line, in words."""
    bad = failed(result)
    if result["left"]:
        return paint.red(f"verdict: the run left {len(result['left'])} processes running: "
                         + ", ".join(result["left"][:5]))
    if result["status"] is None:
        return paint.red("verdict: the suite ran over its time limit")
    if bad:
        return paint.red("verdict: FAIL " + "; ".join(describe(c) for c in bad))
    if result["status"] != 0 or not result["clauses"]:
        return paint.red(f"verdict: the suite exited {result['status']} without a "
                         "clause verdict: " + " | ".join(result["tail"][-2:]))
    return paint.green(f"verdict: PASS {', '.join(sorted(result['clauses']))}")
