"""Running the conformance suite on one implementation and reading its
verdict by clause, for `make mutants` (run.py) and `make demo`."""

import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The suite's package, through PYTHONPATH (make sets it).
from echo_conformance import spec
from echo_conformance.report import FAILED, NOT_JUDGED, NOT_RUN, WARNED
from echo_conformance.suiterun import SuiteRun, clauses, pytest_argv, read_report, time_limit

CLAUSES = spec.load()
NOT_PASSED = (FAILED, NOT_JUDGED, WARNED)


def run(side, argv, select=None, extra=(), timeout=None):
    """Run the suite's `side` tests ("server" or "client") against argv (a
    list whose items may hold {host} and {port}).  select: clause ids to
    keep (all when None); extra: more pytest options; timeout: seconds,
    the suite's time_limit(extra) when None.  Returns {"status": exit
    status or None when it ran over its time, "clauses": {id: verdict},
    "reasons": {id: reason}, "tail": last lines of pytest's output, "left":
    the processes of this run found still running after it ("PID
    (comm)"), which are then killed}."""
    with tempfile.TemporaryDirectory(prefix="verdict-") as tmp:
        report = Path(tmp) / "conformance.json"
        args = ["tests/integration", "-q", "-p", "no:cacheprovider",
                "-m", side, f"--{side}-cmd", " ".join(argv),
                "--conformance-json", str(report), *extra]
        if select:
            args += ["-k", " or ".join(select)]
        with SuiteRun(pytest_argv(*args), cwd=ROOT) as suite:
            status = suite.wait(timeout or time_limit(list(extra)))
            left = suite.end_leftovers()
        ran = [c for c in clauses(read_report(report)).values() if c["verdict"] != NOT_RUN]
    tail = suite.text().strip().splitlines()[-15:]
    return {"status": status, "tail": tail,
            "clauses": {c["id"]: c["verdict"] for c in ran},
            "reasons": {c["id"]: c["reason"] for c in ran if c["reason"]},
            "left": left}


def failed(result):
    """The clauses that make the run non-conforming if they are MUSTs."""
    return sorted(c for c, v in result["clauses"].items() if v in (FAILED, NOT_JUDGED))


def not_passed(result):
    """Every clause whose verdict is not passed: failed, not judged or warned."""
    return sorted(c for c, v in result["clauses"].items() if v in NOT_PASSED)


def warned(result):
    return sorted(c for c, v in result["clauses"].items() if v == WARNED)


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
