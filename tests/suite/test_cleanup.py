"""The conformance suite leaves nothing of the program under test running
when it exits: on success, on failure, with xdist workers, on Ctrl-C and on
SIGTERM (a grader's time limit).  The program used is a server whose
connections are served by double-fork grandchildren that never exit: they
leave the server's tree at once, so only the suite's subreaper accounting
can find them.  Every process started by a run carries a marker in its
environment, looked for in /proc/*/environ once the run is over."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
IMMORTAL = BUILD / "mutants" / "double-fork-immortal"
MARK = "ECHO_SUITE_SELFTEST"


def marked(token):
    """Pids of the processes whose environment holds the run's marker."""
    needle = f"{MARK}={token}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue    # gone meanwhile, or a kernel thread
    return found


def kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def suite_run():
    """Start the suite against the immortal-grandchildren server; the test
    decides how the run ends.  Whatever is left is killed afterwards, so a
    failing check does not leave the machine dirty."""
    if not IMMORTAL.exists():
        pytest.fail(f"{IMMORTAL} is not built: run `make` first", pytrace=False)
    token = uuid.uuid4().hex
    runs = []

    def start(*args):
        env = {**os.environ, MARK: token}
        p = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                              "tests/integration", "-m", "server",
                              "--server-cmd", f"{IMMORTAL} {{port}}", *args],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        runs.append(p)
        return p
    yield start, token
    for p in runs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        p.stdout.close()
    kill(marked(token))


def wait_for_grandchildren(token, run, count, timeout=120):
    """Wait until the run has at least count marked processes besides
    pytest's own (the server's grandchildren pile up as tests go)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        if len(marked(token)) >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"the run never had {count} processes running (exit status {run.poll()})")


def assert_nothing_left(token, run, how):
    out = run.communicate(timeout=300)[0].decode(errors="replace")
    left = marked(token)
    assert not left, (f"{len(left)} process(es) of the run are still running after it {how} "
                      f"(exit status {run.returncode}): pids {left[:10]}\n{out[-2000:]}")
    return run.returncode, out


def test_nothing_left_after_a_failing_run_with_workers(suite_run):
    start, token = suite_run
    status, out = assert_nothing_left(token, start("-n", "2", "-k", "S-REAP-5 or S-FD-3"),
                                      "failed")
    assert status == 1, f"the run should fail S-REAP-5; exit status {status}:\n{out[-2000:]}"


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM],
                         ids=["ctrl-c", "sigterm"])
def test_nothing_left_after_an_interrupted_run_with_workers(suite_run, signo):
    start, token = suite_run
    run = start("-n", "2", "-k", "S-RES-1 or S-END-1 or S-FD-1")
    wait_for_grandchildren(token, run, 200)
    os.kill(run.pid, signo)
    status, _ = assert_nothing_left(token, run, f"got {signal.Signals(signo).name}")
    assert status != 0, "an interrupted run must not exit 0"


def test_nothing_left_after_an_interrupted_run_in_one_process(suite_run):
    start, token = suite_run
    run = start("-k", "S-RES-1")
    wait_for_grandchildren(token, run, 200)
    os.kill(run.pid, signal.SIGINT)
    status, _ = assert_nothing_left(token, run, "got SIGINT")
    assert status != 0, "an interrupted run must not exit 0"
