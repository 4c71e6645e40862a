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


# Names of the class's own reports in the results folder: no submission's
# results folder may take one.
CLASS_FILES = ("index.html", "results.csv")
NAME_BYTES = 200           # a results folder's name, well inside NAME_MAX once escaped


@dataclasses.dataclass(frozen=True)
class Submission:
    src: Path       # its folder, as found
    name: str       # as every report shows it, and its results folder's name


def shown_name(raw):
    """A folder's name as the reports show it: its bytes read as UTF-8,
    with each byte that is not written as \\xNN, and each control or bidi
    character as its escape (report.clean), so that no name can move a
    terminal's cursor or reorder a page's text."""
    return report.clean(os.fsencode(raw).decode("utf-8", "backslashreplace"))


def submissions(folder, warn=None):
    """The submissions under folder, in order: each folder at its top, but
    never a symbolic link (it may lead anywhere on the grader's machine),
    nor a hidden one.  Each gets a name of its own to be shown and to name
    its results: shown_name(), renamed with a ~N suffix where that would
    take a class report's name, repeat another's, or grow too long.  The
    same folder gets the same name on every rerun.  warn(message) hears of
    every entry left out that looks like a submission."""
    found, taken = [], set(CLASS_FILES)
    for p in sorted(Path(folder).iterdir(), key=lambda p: os.fsencode(p.name)):
        if p.name.startswith("."):
            continue
        if p.is_symlink():
            if warn and p.is_dir():
                warn(f"{shown_name(p.name)}: a symbolic link, not graded (links are never "
                     "followed)")
            continue
        if not p.is_dir():
            continue
        name = shown_name(p.name)
        if len(name.encode()) > NAME_BYTES:
            name = name.encode()[:NAME_BYTES].decode(errors="ignore")
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}~{n}"
        taken.add(name)
        found.append(Submission(p, name))
    return found


def _wall(config):
    """The suite bounds itself (about 5 minutes at worst); the sandbox's wall
    clock is a last resort above that and the build."""
    return min(config.limits.wall_seconds,
               config.build_timeout + config.listen_timeout + RUN_BUDGET * config.timeout_scale
               + WALL_MARGIN)


# Clauses the suite judges only when its arguments ask: by the option that asks.
ASKED_FOR = {**{cid: "--valgrind" for cid in report.MEMORY_CLAUSES}, "S-SCALE-1": "--scale"}


def _option_value(args, option):
    """The value of option in args ("--opt V" or "--opt=V"), the last one given; None if absent."""
    value = None
    for arg, following in zip(args, [*args[1:], None]):
        if arg == option:
            value = following
        elif arg.startswith(option + "="):
            value = arg.split("=", 1)[1]
    return value


def _given(args, option):
    return any(arg == option or arg.startswith(option + "=") for arg in args)


def graded_clauses(config):
    """The clause ids every submission is graded on, from the config alone,
    so that every submission has the same maximum score: the clauses of the
    graded sides, less those the suite judges only when its arguments ask
    (memory clauses without --valgrind, S-SCALE-1 without --scale) and those
    an --only-clauses leaves out."""
    args = list(config.suite_args)
    only = _option_value(args, "--only-clauses")
    wanted = {c.strip().upper() for c in only.split(",")} if only else None
    return {cid for cid, clause in spec.load().items()
            if clause.side in config.sides
            and (cid not in ASKED_FOR or _given(args, ASKED_FOR[cid]))
            and (wanted is None or cid in wanted)}


def _suite_trouble(inside, suite_json):
    """Why the suite's report cannot be taken as a whole, in words; "" when it can."""
    ran = (inside or {}).get("suite")
    if ran is None:
        return ""
    if suite_json is None:
        return f"the suite wrote no report (it ended with exit status {ran.get('exit')})"
    if not suite_json.get("completed", False):
        return ("the suite's run did not complete: "
                + report.one_line(str(suite_json.get("incomplete_reason") or "no reason given")))
    return ""


def _verdicts(config, inside, suite_json, outcome):
    """Every clause of the graded sides: graded_clauses() with the suite's
    verdict where the suite judged it, failed with the reason where it did
    not (whatever stopped it: the build, the probe, a suite that ended
    early or left the clause out); any other clause is not run, for every
    submission alike."""
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
    trouble = _suite_trouble(inside, suite_json)
    graded = graded_clauses(config)
    clauses = []
    for clause in spec.load().values():
        if clause.side not in config.sides:
            continue
        side_check = (inside or {}).get("sides", {}).get(clause.side, {})
        entry = ran.get(clause.id)
        base = {"id": clause.id, "level": clause.level, "title": clause.title, "hint": "",
                "tests": []}
        if clause.id not in graded:
            entry = {**base, "verdict": report.NOT_RUN,
                     "reason": "not graded in this course's configuration"}
        elif entry is None or entry.get("verdict") not in report.VERDICTS \
                or entry["verdict"] == report.NOT_RUN:
            reason = (why_not or side_check.get("reason") or trouble
                      or "the suite's report left it out")
            entry = {**base, "verdict": report.FAILED, "reason": reason}
        else:
            entry = {**base, "verdict": entry["verdict"],
                     "reason": report.one_line(str(entry.get("reason") or "")),
                     "hint": clause.hint if entry["verdict"] != report.PASSED else "",
                     "tests": [{k: report.one_line(str(t.get(k, ""))) for k in
                                ("name", "nodeid", "outcome", "reason")}
                               for t in entry.get("tests", []) if isinstance(t, dict)]}
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
    suite_json = suiterun.read_report(out / "suite.json")
    if not isinstance(suite_json, dict) or not isinstance(suite_json.get("clauses", []), list):
        suite_json = None       # not the suite's report: as if it had written none
    clauses = _verdicts(config, inside, suite_json, outcome)
    grading = {"seconds": round(outcome.seconds, 1), "timed_out": outcome.timed_out,
               "limits_hit": outcome.events, "limits_not_set": outcome.unset,
               "processes_left": outcome.leftovers,
               "build": (inside or {}).get("build"), "sides": (inside or {}).get("sides", {}),
               "suite": (inside or {}).get("suite"),
               "suite_completed": None if (inside or {}).get("suite") is None
               else not _suite_trouble(inside, suite_json)}
    doc = {"submission": name, "server_cmd": config.server, "client_cmd": config.client,
           "sides": list(config.sides), "grading": grading, "clauses": clauses}
    (out / "conformance.json").write_text(json.dumps(doc, indent=2))
    (out / "results.json").write_text(json.dumps(reports.gradescope(doc, config), indent=2))
    return doc


def grade_one(sub, out, config, slot, first_uid):
    """Build and judge one submission (a Submission) in a sandbox, as the
    uids of job slot slot of the range from first_uid; its reports in out,
    which only root may read (other users of the machine are classmates too)."""
    src = sub.src
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
        raise Interrupted(sub.name)
    doc = write_reports(sub.name, out, config, outcome)
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
                self.stream.write(f"[{self.done}/{self.total}] {report.clean(doc['submission'])}: "
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
    todo = submissions(folder, warn=lambda why: print(f"echo-conformance grade: {why}",
                                                      file=progress_stream, flush=True))
    progress = Progress(len(todo), progress_stream)
    queue = list(todo)
    docs = {}
    lock = threading.Lock()

    def worker(slot):
        while not STOP.is_set():
            with lock:
                if not queue:
                    return
                sub = queue.pop(0)
            dest = out / sub.name
            if (dest / DONE).exists() and (doc := _read_json(dest / "conformance.json")):
                progress.finished(doc, skipped=True)
            else:
                progress.started()
                try:
                    doc = grade_one(sub, dest, config, slot, first_uid)
                except Interrupted:
                    return
                progress.finished(doc)
            with lock:
                docs[sub.name] = doc

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
