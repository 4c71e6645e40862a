"""What runs inside one submission's sandbox, as the sandbox's root: build the
submission as its own uid, check that its server listens at all, then run the
suite against it.  Everything it learns goes to /out as files; the grader,
outside, turns them into reports.

A server that never listens is found here in seconds, once, instead of by
every server test waiting for it in turn."""

import json
import os
import shlex
import signal
import socket
import stat
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
MAX_DEPTH = 100          # folders in folders of a submission


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
    end_submission(job["uid"], job["kill_uid"])     # a build may leave processes behind too
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


def end_submission(uid, kill_uid):
    """SIGKILL every process of the submission's uid, double-forked or not.
    kill(-1) with that effective uid reaches all of them in one system call
    (no fork can slip between), and needs no fork of ours, which a fork bomb
    at the process limit would refuse.  Meanwhile the real uid is kill_uid,
    which no process has, and the saved uid stays root, to come back: a
    process may signal another whose real or saved uid is its own real or
    effective uid, so with the submission's uid as real uid (as here once) a
    leftover looping on kill(-1, SIGSTOP) froze this process for the whole
    wall clock; now nothing of the submission can signal it, and kill(-1)
    reaches no root process.  ESRCH means none is left.  Nothing else is
    asked of /proc meanwhile: this process shares the sandbox's CPU with
    whatever the submission runs, and a scan of 4,000 fork-bomb processes
    took minutes."""
    for _ in range(KILL_TRIES):
        os.setresuid(kill_uid, uid, 0)
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
            end_submission(job["uid"], job["kill_uid"])
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


class Refused(Exception):
    """The submission holds what the grader does not copy; why, in words."""


def _where(path, top):
    return repr(os.path.relpath(path, top))     # repr: a name may hold any byte


def _copy_file(src, dest, uid):
    """A regular file, opened without following a link nor waiting on a
    FIFO, and checked to be one once open: the hand-in may change meanwhile."""
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            return False
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                      (mode & 0o755) | 0o600)
        try:
            while chunk := os.read(fd, 1 << 20):
                os.write(out, chunk)
            os.fchown(out, uid, uid)
        finally:
            os.close(out)
        return True
    finally:
        os.close(fd)


def copy_submission(job):
    """The submission's writable copy, owned by the uid that builds and runs
    it: folders, regular files and symbolic links (copied as links, never
    followed), no deeper than MAX_DEPTH.  Anything else (a FIFO, whose open
    would wait forever; a socket, a device) or a deeper tree refuses this
    submission alone, with the reason."""
    top, uid = job["src"], job["uid"]

    def copy(src, dest, depth):
        if depth > MAX_DEPTH:
            raise Refused(f"its folders lie more than {MAX_DEPTH} folders deep")
        os.mkdir(dest, 0o755)
        with os.scandir(src) as entries:
            children = list(entries)
        for entry in children:
            target = os.path.join(dest, entry.name)
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
                os.lchown(target, uid, uid)
            elif entry.is_dir(follow_symlinks=False):
                copy(entry.path, target, depth + 1)
            elif not (entry.is_file(follow_symlinks=False)
                      and _copy_file(entry.path, target, uid)):
                kind = _KINDS.get(stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode),
                                  "not a regular file")
                raise Refused(f"{_where(entry.path, top)} is {kind}: only regular files, "
                              "folders and symbolic links are taken")
        os.chown(dest, uid, uid)        # filled first: root here may not write others' folders
    try:
        copy(top, job["workdir"], 0)
    except OSError as e:
        where = repr(os.path.basename(e.filename)) if e.filename else "the submission"
        raise Refused(f"copying it failed: {e.strerror} ({where})") from e


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device"}


def run(job):
    """Build, probe, suite; what happened in inside.json beside the job."""
    limits = sandbox.Limits(**job["limits"])
    try:
        copy_submission(job)
        state = {"build": build(job, limits), "sides": {}}
    except Refused as e:
        state = {"build": {"ok": False, "seconds": 0.0,
                           "reason": f"the submission was not graded: {e}"}, "sides": {}}
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
