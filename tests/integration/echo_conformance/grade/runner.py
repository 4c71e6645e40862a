"""Grading a folder of submissions: each one copied, built and judged in a
sandbox of its own, several at once, resumable."""

import dataclasses
import fcntl
import json
import os
import shutil
import stat
import sys
import threading
import time
from pathlib import Path

from .. import report, spec, suiterun
from ..budget import RUN_BUDGET
from . import reports, sandbox

PACKAGE_PARENT = Path(__file__).resolve().parents[2]
# Uids of submissions: none a user's, none in the usual /etc/subuid ranges
# (useradd hands out 100000 up to 600,165,535) nor in systemd's for
# containers (524288 to 1,879,048,191).  Each grader running takes a range
# of its own under a lock (allocate_uids), two uids per job slot.
UID_BASE = 0x70000000       # 1,879,048,192
JOBS_PER_GRADER = 256
UIDS_PER_GRADER = 2 * JOBS_PER_GRADER
GRADER_RANGES = 4096        # graders at once on one machine, at most
LOCK_DIR = Path("/run/lock/echo-conformance-grade")
DONE = ".graded"           # in a submission's results: written last, so a rerun skips it
WALL_MARGIN = 60           # seconds of the wall clock left for the build and the probe
STOP = threading.Event()   # set on Ctrl-C or SIGTERM: no new submission starts


class Interrupted(Exception):
    """The grader was stopped while this submission ran: it is graded again next time."""


def allocate_uids(lock_dir=LOCK_DIR):
    """(descriptor, first uid) of a uid range no other grader holds: the
    range is this grader's while the descriptor's lock is, which ends with
    the process however it ends.  A slot's uids are first + 2 * slot (the
    submission's) and the one after (the real uid inside.end_submission
    borrows), so that RLIMIT_NPROC and kill(-1) reach one submission only."""
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = lock_dir.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise SystemExit(f"echo-conformance grade: {lock_dir} must be a folder of root's "
                         "that only root may write to")
    for n in range(GRADER_RANGES):
        fd = os.open(lock_dir / str(n), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd, UID_BASE + n * UIDS_PER_GRADER
    raise SystemExit(f"echo-conformance grade: all {GRADER_RANGES} uid ranges are held by "
                     f"graders running now ({lock_dir})")


def submissions(folder):
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def _wall(config):
    """The suite bounds itself (about 5 minutes at worst); the sandbox's wall
    clock is a last resort above that and the build."""
    return min(config.limits.wall_seconds,
               config.build_timeout + config.listen_timeout + RUN_BUDGET * config.timeout_scale
               + WALL_MARGIN)


def _verdicts(config, inside, suite_json, outcome):
    """Every clause of the graded sides, with the suite's verdict where the
    suite ran and the reason it could not where it did not."""
    ran = suiterun.clauses(suite_json)
    why_not = ""
    if outcome.timed_out:
        why_not = f"the sandbox's wall clock ({_wall(config):.0f} s) ran out"
    elif not inside and any("killed for memory" in e for e in outcome.events):
        why_not = (f"the submission's processes used up the sandbox's memory "
                   f"({config.limits.memory_mib} MiB) and were killed")
    elif not inside:
        why_not = f"the grading sandbox failed (exit status {outcome.returncode})"
    elif not inside["build"]["ok"]:
        why_not = inside["build"]["reason"]
    clauses = []
    for clause in spec.load().values():
        if clause.side not in config.sides:
            continue
        side_check = (inside or {}).get("sides", {}).get(clause.side, {})
        entry = ran.get(clause.id)
        # A clause the suite ran without judging (the memory ones need
        # --valgrind) stays not run; one it never got to is failed, with why.
        if entry is None or (entry["verdict"] == report.NOT_RUN and not side_check.get("ok")):
            reason = why_not or side_check.get("reason") or "the suite did not report it"
            entry = {"id": clause.id, "level": clause.level, "title": clause.title,
                     "verdict": report.FAILED, "reason": reason, "hint": "", "tests": []}
        clauses.append(entry)
    return clauses


def write_job(out, config, uid, limits, src, workdir, seen_as=None):
    """What inside.py is to do, as a file in the results folder (out, which
    inside.py sees as seen_as); uid and the one after it are the job's."""
    job = {"uid": uid, "kill_uid": uid + 1, "build": config.build, "server": config.server,
           "client": config.client,
           "sides": list(config.sides), "timeout_scale": config.timeout_scale,
           "listen_timeout": config.listen_timeout, "build_timeout": config.build_timeout,
           "keep_bytes": config.keep_bytes, "probe_file_mib": config.probe_file_mib,
           "suite_args": list(config.suite_args), "limits": dataclasses.asdict(limits),
           "src": str(src), "workdir": str(workdir), "out": str(seen_as or out)}
    (out / "job.json").write_text(json.dumps(job, indent=2))


def read_job(out):
    return _read_json(out / "job.json")


def write_reports(name, out, config, outcome):
    """conformance.json and Gradescope's results.json from what inside.py
    left in out and how the sandbox ended; returns the first."""
    inside = _read_json(out / "inside.json")
    clauses = _verdicts(config, inside, suiterun.read_report(out / "suite.json"), outcome)
    grading = {"seconds": round(outcome.seconds, 1), "timed_out": outcome.timed_out,
               "limits_hit": outcome.events, "limits_not_set": outcome.unset,
               "processes_left": outcome.leftovers,
               "build": (inside or {}).get("build"), "sides": (inside or {}).get("sides", {}),
               "suite": (inside or {}).get("suite")}
    doc = {"submission": name, "server_cmd": config.server, "client_cmd": config.client,
           "sides": list(config.sides), "grading": grading, "clauses": clauses}
    (out / "conformance.json").write_text(json.dumps(doc, indent=2))
    (out / "results.json").write_text(json.dumps(reports.gradescope(doc, config), indent=2))
    return doc


def grade_one(src, out, config, slot, first_uid):
    """Build and judge one submission in a sandbox, as the uids of job slot
    slot of the range from first_uid; its reports in out, which only root
    may read (other users of the machine are classmates too)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(mode=0o700)
    limits = dataclasses.replace(config.limits, wall_seconds=int(_wall(config)))
    write_job(out, config, first_uid + 2 * slot, limits, sandbox.SRC, sandbox.SUB, sandbox.OUT)
    argv = [sys.executable, "-m", "echo_conformance.grade.inside", f"{sandbox.OUT}/job.json"]
    with open(out / "sandbox.log", "wb") as log:
        outcome = sandbox.run(f"echo-grade-{os.getpid()}-{slot}", src.resolve(), out, limits,
                              argv, log, env={"PYTHONPATH": str(PACKAGE_PARENT)})
    if STOP.is_set():
        raise Interrupted(src.name)
    doc = write_reports(src.name, out, config, outcome)
    (out / DONE).write_text("")
    return doc


def _read_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class Progress:
    """A bar on a terminal, one plain line per submission otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.stream = total, stream
        self.tty = stream.isatty()
        self.done = self.running = self.failed_builds = self.resumed = 0
        self.start = time.monotonic()
        self.lock = threading.Lock()

    def _eta(self):
        graded = self.done - self.resumed     # resumed ones took no time in this run
        if not graded:
            return "?"
        left = (time.monotonic() - self.start) / graded * (self.total - self.done)
        return f"{left / 60:.0f} min" if left >= 90 else f"{left:.0f} s"

    def started(self):
        with self.lock:
            self.running += 1
            self._draw()

    def finished(self, doc, skipped=False):
        with self.lock:
            self.running -= 0 if skipped else 1
            self.resumed += 1 if skipped else 0
            self.done += 1
            build = doc["grading"].get("build") or {}
            if not build.get("ok", True):
                self.failed_builds += 1
            if not self.tty:
                self.stream.write(f"[{self.done}/{self.total}] {doc['submission']}: "
                                  f"{'resumed, ' if skipped else ''}{score_line(doc)}\n")
                self.stream.flush()
            self._draw()

    def _draw(self):
        if not self.tty:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        self.stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} "
                          f"done, {self.running} running, {self.failed_builds} failed builds, "
                          f"{self._eta()} left \x1b[K")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def score_line(doc):
    counts = {}
    for c in doc["clauses"]:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    parts = [f"{n} {v}" for v, n in sorted(counts.items())]
    extra = doc["grading"]["limits_hit"] + (["wall clock ran out"] if doc["grading"]["timed_out"]
                                            else [])
    return ", ".join(parts) + (f" ({'; '.join(extra)})" if extra else "")


def grade_all(folder, out, config, jobs, progress_stream=sys.stderr):
    """Grade every submission under folder not graded yet; the class reports."""
    if why := sandbox.available():
        raise SystemExit(f"echo-conformance grade: {why}")
    if PACKAGE_PARENT.is_relative_to("/tmp"):
        raise SystemExit(f"echo-conformance grade: the suite ({PACKAGE_PARENT}) must not live "
                         "under /tmp, which each sandbox replaces with its own")
    out = Path(out)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    sandbox.protect_from_oom()
    uids_lock, first_uid = allocate_uids()
    todo = submissions(folder)
    progress = Progress(len(todo), progress_stream)
    queue = list(todo)
    docs = {}
    lock = threading.Lock()

    def worker(slot):
        while not STOP.is_set():
            with lock:
                if not queue:
                    return
                src = queue.pop(0)
            dest = out / src.name
            if (dest / DONE).exists() and (doc := _read_json(dest / "conformance.json")):
                progress.finished(doc, skipped=True)
            else:
                progress.started()
                try:
                    doc = grade_one(src, dest, config, slot, first_uid)
                except Interrupted:
                    return
                progress.finished(doc)
            with lock:
                docs[src.name] = doc

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(max(jobs, 1))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        STOP.set()
        sandbox.kill_active()
        for t in threads:
            t.join()
        sandbox.sweep(f"echo-grade-{os.getpid()}-")
        raise
    finally:
        os.close(uids_lock)
    ordered = [docs[s.name] for s in todo]
    reports.write_class(ordered, out, config)
    return ordered
