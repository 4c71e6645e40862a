"""Running the conformance suite on one implementation and reading its
verdict by clause, for `make mutants` (run.py) and `make demo`."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from conformance import spec  # noqa: E402  (found through the path set just above)

CLAUSES = spec.load()
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")


def run(side, argv, select=None, extra=(), timeout=600):
    """Run the suite's `side` tests ("server" or "client") against argv (a
    list whose items may hold {host} and {port}).  select: clause ids to
    keep (all when None).  Returns {"status": exit status or None when it
    ran over timeout seconds, "clauses": {id: verdict}, "tail": last lines
    of pytest's output}."""
    with tempfile.TemporaryDirectory(prefix="verdict-") as tmp:
        report = Path(tmp) / "conformance.json"
        cmd = [PYTHON, "-m", "pytest", "tests/integration", "-q", "-p", "no:cacheprovider",
               "-m", side, f"--{side}-cmd", " ".join(argv),
               "--conformance-json", str(report), *extra]
        if select:
            cmd += ["-k", " or ".join(select)]
        try:
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=timeout)
            status, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as e:
            status, output = None, (e.stdout or b"") + (e.stderr or b"")
        ran = read_report(report) if report.exists() else []
    tail = output.decode(errors="replace").strip().splitlines()[-15:]
    return {"status": status, "tail": tail,
            "clauses": {c["id"]: c["verdict"] for c in ran},
            "reasons": {c["id"]: c["reason"] for c in ran if c["reason"]}}


def read_report(path):
    """The clauses that ran, from the suite's --conformance-json file, each
    with its verdict ("passed", "failed", "warned", "skipped") and reason."""
    data = json.loads(path.read_text())
    return [c for c in data["clauses"] if c["verdict"] != "not run"]


def failed(result):
    return sorted(c for c, v in result["clauses"].items() if v == "failed")


def warned(result):
    return sorted(c for c, v in result["clauses"].items() if v == "warned")


def describe(clause_id):
    """ "S-REAP-2 (No zombie remains after many clients close at the same instant)" """
    return f"{clause_id} ({CLAUSES[clause_id].title if clause_id in CLAUSES else '?'})"


def one_line(result, paint):
    """The verdict in one line, in words."""
    bad = failed(result)
    if result["status"] is None:
        return paint.red("verdict: the suite ran over its time limit")
    if bad:
        return paint.red("verdict: FAIL " + "; ".join(describe(c) for c in bad))
    if result["status"] != 0 or not result["clauses"]:
        return paint.red(f"verdict: the suite exited {result['status']} without a "
                         "clause verdict: " + " | ".join(result["tail"][-2:]))
    return paint.green(f"verdict: PASS {', '.join(sorted(result['clauses']))}")
