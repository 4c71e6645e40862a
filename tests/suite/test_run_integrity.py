"""A run the program under test cannot break, and whose report never
claims more than it judged: the program starts
in a session of its own, so what it sends to its process group stays
there; a run that was interrupted, killed, or stopped before every selected
clause ran says "completed": false and is never conforming."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()


def program(*parts):
    path = BUILD.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is not built: run `make` first", pytrace=False)
    return path


def start_suite(server, json_path, *args):
    """The suite's server tests against server, in a session of its own
    (so that the test can signal all of it), with a line per clause.  The
    runs that need not wait out the time clauses pass --quick."""
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                             "tests/integration", "-m", "server", "--server-cmd",
                             f"{server} {{port}}", "--timeout-scale", "3", "--clause-progress",
                             "--conformance-json", str(json_path), *args],
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_hangup_as_on_a_terminal)


def _hangup_as_on_a_terminal():
    # Under nohup (a CI runner may start everything so) SIGHUP is ignored,
    # the suite rightly keeps it so, and a test that hangs it up would see
    # nothing: the run under test gets SIGHUP's default, as from a shell.
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def wait_for_first_clause(run, timeout=300):
    """Read the run's output until its first clause line ("PASS  S-..."),
    which --clause-progress prints as soon as a clause is judged."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = run.stdout.readline().decode(errors="replace")
        if not line:
            break
        seen.append(line)
        if "PASS  S-" in line or "FAIL  S-" in line:     # maybe after progress dots
            return
    pytest.fail(f"no clause was judged (exit status {run.poll()}):\n{''.join(seen)[-2000:]}")


def finish(run, timeout=300):
    out = run.communicate(timeout=timeout)[0].decode(errors="replace")
    return run.returncode, out


def test_a_run_hung_up_midway_is_neither_completed_nor_conforming(runs, tmp_path):
    # A SIGHUP to the suite (a closed terminal, a grader's stop) once one
    # clause passed: the reference would conform, this run must not say so.
    report = tmp_path / "conformance.json"
    run = start_suite(program("echo-server"), report, "--quick")
    runs.append(run)
    wait_for_first_clause(run)
    os.kill(run.pid, signal.SIGHUP)
    status, out = finish(run)
    doc = json.loads(report.read_text())
    assert status != 0, f"an interrupted run exited 0:\n{out[-2000:]}"
    assert doc["completed"] is False and doc["conforming"] is False, doc["summary"]
    assert "SIGHUP" in doc["incomplete_reason"], doc["incomplete_reason"]
    assert "NOT conforming" in doc["summary"], doc["summary"]


def test_a_run_killed_outright_leaves_a_report_that_says_so(runs, tmp_path):
    # SIGKILL gives the suite no chance to write: the file it leaves must not
    # read as a verdict (nor may an earlier run's file survive).
    report = tmp_path / "conformance.json"
    report.write_text(json.dumps({"conforming": True, "completed": True}))
    run = start_suite(program("echo-server"), report, "--quick")
    runs.append(run)
    wait_for_first_clause(run)
    os.killpg(run.pid, signal.SIGKILL)
    finish(run)
    doc = json.loads(report.read_text())
    assert doc["completed"] is False and doc["conforming"] is False, doc


def children(pid):
    """Pids of the processes whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue        # gone meanwhile
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def test_a_run_that_lost_a_worker_is_not_completed(runs, tmp_path):
    # An xdist worker killed midway (the OOM killer, a stray kill): the test
    # it ran is lost, and the run must say so rather than conform without it.
    report = tmp_path / "conformance.json"
    run = start_suite(program("echo-server"), report, "-n", "2", "--quick")
    runs.append(run)
    wait_for_first_clause(run)
    workers = children(run.pid)
    assert workers, "the run has no xdist worker"
    os.kill(workers[0], signal.SIGKILL)
    status, out = finish(run)
    doc = json.loads(report.read_text())
    assert status != 0, out[-2000:]
    assert doc["completed"] is False and doc["conforming"] is False, doc["summary"]
    assert "crashed" in doc["incomplete_reason"], doc["incomplete_reason"]


def test_a_run_stopped_at_its_first_failure_is_not_completed(runs, tmp_path):
    # -x stops the run once S-ECHO-2 fails: S-LIFE-1, selected, never runs,
    # and the report must not count it as judged.
    report = tmp_path / "conformance.json"
    run = start_suite(program("mutants", "nul-truncates"), report, "-x", "-p", "no:randomly",
                      "--only-clauses", "S-ECHO-2,S-LIFE-1")
    runs.append(run)
    status, out = finish(run)
    doc = json.loads(report.read_text())
    assert status != 0, out[-2000:]
    assert doc["completed"] is False, doc["summary"]
    assert "S-LIFE-1" in doc["incomplete_reason"], doc["incomplete_reason"]


def test_a_server_signalling_its_own_group_does_not_stop_the_run(runs, tmp_path):
    # group-term-server passes SIGTERM on with kill(0, SIGTERM): right in a
    # session of its own, and once enough to end a suite that shared its group.
    report = tmp_path / "conformance.json"
    run = start_suite(program("mutants", "group-term-server"), report,
                      "--only-clauses", "S-ECHO-1,S-LIFE-1,S-LIFE-5")
    runs.append(run)
    status, out = finish(run)
    doc = json.loads(report.read_text())
    assert status == 0, out[-2000:]
    assert doc["completed"] is True and doc["conforming"] is True, doc["summary"]
    judged = {c["id"]: c["verdict"] for c in doc["clauses"] if c["verdict"] != "not run"}
    assert judged == {"S-ECHO-1": "passed", "S-LIFE-1": "passed", "S-LIFE-5": "passed"}, judged


def test_a_program_starts_in_a_session_of_its_own(runs, tmp_path):
    # The server under test leads a session other than the suite's: no
    # kill(0, ...) of it, no signal of the suite's terminal, crosses over.
    marker = tmp_path / "ids"
    script = tmp_path / "server.sh"
    script.write_text("#!/bin/sh\n"
                      f"ps -o sid= -o pgid= -p $$ > {marker}\n"
                      f"exec {program('echo-server')} \"$@\"\n")
    script.chmod(0o755)
    report = tmp_path / "conformance.json"
    run = start_suite(script, report, "--only-clauses", "S-ECHO-1")
    runs.append(run)
    status, out = finish(run)
    assert status == 0, out[-2000:]
    sid, pgid = (int(n) for n in marker.read_text().split())
    suite_sid = run.pid         # the suite leads the session start_suite made
    assert sid != suite_sid and pgid != suite_sid, (sid, pgid, suite_sid)
    assert sid == pgid, f"the program leads no group of its own: sid {sid}, pgid {pgid}"
