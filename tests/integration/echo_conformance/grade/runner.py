"""Grading a folder of submissions: each one copied, built and judged in a
sandbox of its own, several at once, resumable."""

import dataclasses
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from .. import report, spec, suiterun
from ..budget import RUN_BUDGET
from . import reports, sandbox

PACKAGE_PARENT = Path(__file__).resolve().parents[2]
UID_BASE = 100000          # uids of submissions: one per job slot, no user's
UIDS_PER_GRADER = 256      # so that two graders at once (two courses) share none
DONE = ".graded"           # in a submission's results: written last, so a rerun skips it
WALL_MARGIN = 60           # seconds of the wall clock left for the build and the probe
STOP = threading.Event()   # set on Ctrl-C or SIGTERM: no new submission starts


class Interrupted(Exception):
    """The grader was stopped while this submission ran: it is graded again next time."""


def first_uid():
    """The first of this grader's uids, one per job slot, so that RLIMIT_NPROC
    and kill(-1) reach one submission only."""
    return UID_BASE + (os.getpid() % 10000) * UIDS_PER_GRADER


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
    inside.py sees as seen_as)."""
    job = {"uid": uid, "build": config.build, "server": config.server, "client": config.client,
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
               "limits_hit": outcome.events, "processes_left": outcome.leftovers,
               "build": (inside or {}).get("build"), "sides": (inside or {}).get("sides", {}),
               "suite": (inside or {}).get("suite")}
    doc = {"submission": name, "server_cmd": config.server, "client_cmd": config.client,
           "sides": list(config.sides), "grading": grading, "clauses": clauses}
    (out / "conformance.json").write_text(json.dumps(doc, indent=2))
    (out / "results.json").write_text(json.dumps(reports.gradescope(doc, config), indent=2))
    return doc


def grade_one(src, out, config, slot):
    """Build and judge one submission in a sandbox; its reports in out."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    limits = dataclasses.replace(config.limits, wall_seconds=int(_wall(config)))
    write_job(out, config, first_uid() + slot, limits, sandbox.SRC, sandbox.SUB, sandbox.OUT)
    os.environ["PYTHONPATH"] = str(PACKAGE_PARENT)
    argv = [sys.executable, "-m", "echo_conformance.grade.inside", f"{sandbox.OUT}/job.json"]
    with open(out / "sandbox.log", "wb") as log:
        outcome = sandbox.run(f"echo-grade-{os.getpid()}-{slot}", src.resolve(), out, limits,
                              argv, log, env_keep=("PYTHONPATH", "PATH"))
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
    out.mkdir(parents=True, exist_ok=True)
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
                    doc = grade_one(src, dest, config, slot)
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
    ordered = [docs[s.name] for s in todo]
    reports.write_class(ordered, out, config)
    return ordered
