"""The conformance suite leaves nothing of the program under test running
when it exits: on success, on failure, with xdist workers, on Ctrl-C and on
SIGTERM (a grader's time limit).  The program used is a server whose
connections are served by double-fork grandchildren that never exit: they
leave the server's tree at once, so only the suite's subreaper accounting
can find them.  Every process started by a run carries a marker in its
environment, looked for in /proc/*/environ once the run is over."""

import os
import signal
import time
from pathlib import Path

import pytest

from echo_conformance.suiterun import SuiteRun, pytest_argv

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
IMMORTAL = BUILD / "mutants" / "double-fork-immortal"


@pytest.fixture
def suite_run():
    """Start the suite against the immortal-grandchildren server; the test
    decides how the run ends.  Whatever is left is killed afterwards, so a
    failing check does not leave the machine dirty."""
    if not IMMORTAL.exists():
        pytest.fail(f"{IMMORTAL} is not built: run `make mutant-bins` first", pytrace=False)
    runs = []

    def start(*args):
        runs.append(SuiteRun(pytest_argv("-p", "no:cacheprovider", "-q", "tests/integration",
                                         "-m", "server", "--server-cmd", f"{IMMORTAL} {{port}}",
                                         "--quick", *args), cwd=ROOT))
        return runs[-1]
    yield start
    for run in runs:
        run.close()
        run.end_leftovers()


def wait_for_grandchildren(run, count, timeout=120):
    """Wait until the run has at least count marked processes besides
    pytest's own (the server's grandchildren pile up as tests go)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        if len(run.leftovers()) >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"the run never had {count} processes running (exit status {run.poll()})")


def assert_nothing_left(run, how):
    status = run.wait(timeout=300)
    assert status is not None, f"the run did not end within 300 s after it {how}"
    out, left = run.text(), sorted(run.leftovers())
    assert not left, (f"{len(left)} process(es) of the run are still running after it {how} "
                      f"(exit status {status}): pids {left[:10]}\n{out[-2000:]}")
    return status, out


def test_nothing_left_after_a_failing_run_with_workers(suite_run):
    status, out = assert_nothing_left(suite_run("-n", "2", "-k", "S-REAP-5 or S-FD-3"),
                                      "failed")
    assert status == 1, f"the run should fail S-REAP-5; exit status {status}:\n{out[-2000:]}"


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM],
                         ids=["ctrl-c", "sigterm"])
def test_nothing_left_after_an_interrupted_run_with_workers(suite_run, signo):
    run = suite_run("-n", "2", "-k", "S-RES-1 or S-END-1 or S-FD-1")
    wait_for_grandchildren(run, 200)
    os.kill(run.pid, signo)
    status, _ = assert_nothing_left(run, f"got {signal.Signals(signo).name}")
    assert status != 0, "an interrupted run must not exit 0"


def test_nothing_left_after_an_interrupted_run_in_one_process(suite_run):
    run = suite_run("-k", "S-RES-1")
    wait_for_grandchildren(run, 200)
    os.kill(run.pid, signal.SIGINT)
    status, _ = assert_nothing_left(run, "got SIGINT")
    assert status != 0, "an interrupted run must not exit 0"
