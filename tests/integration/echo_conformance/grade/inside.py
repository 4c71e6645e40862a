"""What runs inside one submission's sandbox, as the sandbox's root: build the
submission as its own uid, check that its server listens at all, then run the
suite against it.  Everything it learns goes to /out as files; the grader,
outside, turns them into reports.

A server that never listens is found here in seconds, once, instead of by
every server test waiting for it in turn."""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .. import net
from ..program import describe_status
from ..suiterun import SuiteRun, command_argv
from . import sandbox

PROBE_INTERVAL = 0.05
KILL_TRIES = 200


def _run_logged(argv, log_path, timeout):
    """argv with its output in log_path; (exit status or None on timeout, seconds)."""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
    return rc, time.monotonic() - start


def _keep_head(path, limit):
    """Cut a log to its first limit bytes, saying so."""
    if path.exists() and path.stat().st_size > limit:
        size = path.stat().st_size
        with open(path, "r+b") as f:
            f.truncate(limit)
            f.seek(limit)
            f.write(f"\n[... {size - limit} more bytes not kept]\n".encode())


def build(job, limits):
    log = Path(job["out"]) / "build.log"
    argv = sandbox.command(job["uid"], limits, ["/bin/sh", "-c", job["build"]], cwd=job["workdir"])
    rc, seconds = _run_logged(argv, log, job["build_timeout"])
    end_submission(job["uid"])         # a build may leave processes behind too
    _keep_head(log, job["keep_bytes"])
    if rc is None:
        return {"ok": False, "seconds": seconds,
                "reason": f"the build did not end within {job['build_timeout']} s"}
    if rc != 0:
        return {"ok": False, "seconds": seconds,
                "reason": f"the build ({job['build']}) failed with "
                          f"{describe_status(rc)}"}
    return {"ok": True, "seconds": seconds, "reason": ""}


def _listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def end_submission(uid):
    """SIGKILL every process of the submission's uid, double-forked or not.
    kill(-1) with that real uid reaches all of them in one system call (no
    fork can slip between), and needs no fork of ours, which a fork bomb at
    the process limit would refuse.  The saved uid stays root, to come back.
    The uid is this sandbox's alone; the PID namespace holds nothing else
    but this process and bwrap, so kill(-1) failing with ESRCH means none is
    left.  Nothing else is asked of /proc meanwhile: this process shares the
    sandbox's CPU quota with whatever the submission runs, and a scan of
    4,000 fork-bomb processes on a 1/4,000 share took minutes."""
    for _ in range(KILL_TRIES):
        os.setresuid(uid, uid, 0)
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        finally:
            os.setresuid(0, 0, 0)
        time.sleep(PROBE_INTERVAL)


def probe_server(job, limits):
    """Start the server once, alone, and wait a bounded time for it to
    listen; then end it and all it started."""
    port = net.free_port()
    program = shlex.split(job["server"].replace("{port}", str(port)))
    log = Path(job["out"]) / "server-stderr.log"
    argv = sandbox.command(job["uid"], limits, program, file_mib=job["probe_file_mib"],
                           cwd=job["workdir"])
    start = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            while True:
                if _listening(port):
                    return {"ok": True, "seconds": time.monotonic() - start, "reason": ""}
                if proc.poll() is not None:
                    return {"ok": False, "seconds": time.monotonic() - start,
                            "reason": "the server exited with "
                                      f"{describe_status(proc.returncode)} "
                                      "before listening"}
                if time.monotonic() - start > job["listen_timeout"]:
                    return {"ok": False, "seconds": time.monotonic() - start,
                            "reason": f"the server did not listen on 127.0.0.1 port {port} "
                                      f"within {job['listen_timeout']:g} s"}
                time.sleep(PROBE_INTERVAL)
        finally:
            end_submission(job["uid"])
            proc.wait()
            _keep_head(log, job["keep_bytes"])


def suite(job, limits, sides):
    """The echo-conformance command against the sides that can be graded, one
    test at a time: the grader runs several sandboxes at once instead."""
    def wrap(cmd):
        return shlex.join(sandbox.command(job["uid"], limits, shlex.split(cmd),
                                          cwd=job["workdir"]))
    out = Path(job["out"])
    args = ["--jobs", "1", "--timeout-scale", str(job["timeout_scale"]),
            "--json", str(out / "suite.json"),
            "--junit", str(out / "suite.xml")]       # each test's duration, for speed reports
    for side in sides:
        args += [f"--{side}", wrap(job[side])]
    args += ["--", "-m", " or ".join(sides), *job["suite_args"]]
    with open(out / "suite.log", "wb") as log, SuiteRun(command_argv(*args), output=log) as run:
        rc = run.wait()
    return {"exit": rc, "seconds": run.seconds}


def copy_submission(job):
    """The submission's writable copy, owned by the uid that builds and runs it."""
    shutil.copytree(job["src"], job["workdir"], symlinks=True)
    for root, dirs, files in os.walk(job["workdir"]):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.lchown(name, job["uid"], job["uid"])


def run(job):
    """Build, probe, suite; what happened in inside.json beside the job."""
    limits = sandbox.Limits(**job["limits"])
    copy_submission(job)
    state = {"build": build(job, limits), "sides": {}}
    if state["build"]["ok"]:
        runnable = []
        for side in job["sides"]:
            check = probe_server(job, limits) if side == "server" else {"ok": True, "reason": ""}
            state["sides"][side] = check
            if check["ok"]:
                runnable.append(side)
        if runnable:
            state["suite"] = suite(job, limits, runnable)
    (Path(job["out"]) / "inside.json").write_text(json.dumps(state, indent=2))


if __name__ == "__main__":
    run(json.loads(Path(sys.argv[1]).read_text()))
