"""The sandbox one submission is built and graded in.

Made of real tools, not of tracing: bubblewrap gives a network namespace with
loopback only (the suite runs inside it too, so it reaches the program and
nothing else does), a PID namespace (its processes die with it), a read-only
view of the machine with the results folder as the only place the grader reads results from, and a size-capped /tmp that
holds the submission's copy.  Cgroups (v1, where mounted)
bound processes, memory and CPU share, and let everything be frozen and killed
at the end, however far a process double-forked: membership is inherited and
cannot be left.  Inside, the submission's own commands run as an unprivileged
uid with rlimits (CPU seconds, file size, processes), through `command()`.
"""

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("pids", "memory", "cpu", "freezer")
KILL_ROUNDS = 200           # freeze-kill-thaw rounds before giving up, 10 ms apart
REMOVE_ROUNDS = 3000        # rmdir attempts, 10 ms apart: 30 s for the exits to finish
_active = set()             # cgroups of the sandboxes running now, for an interrupt
_active_lock = threading.Lock()


@dataclass
class Limits:
    processes: int = 4096           # the suite's threads, 2000-connection endurance runs
    memory_mib: int = 2048
    cpus: float = 1.0               # share of the machine's CPUs for the submission's programs
    cpu_seconds: int = 300          # per process of the submission (RLIMIT_CPU)
    file_mib: int = 64              # largest file a submission process may write (RLIMIT_FSIZE)
    tmp_mib: int = 256              # size of the sandbox's /tmp
    wall_seconds: int = 600         # the whole build and grading


def available():
    """Why the sandbox cannot run here, or None."""
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if os.geteuid() != 0:
        return "the sandbox needs root (cgroups, namespaces, a uid per job)"
    return None


def _own_cgroup(controller):
    """Where this process sits in a v1 hierarchy, so that ours nest below it
    and inherit whatever limits the machine already puts on us."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return CGROUP_ROOT / controller / path.lstrip("/")
    return None


class Cgroup:
    """One cgroup per controller that this machine mounts, all named alike."""

    def __init__(self, name, limits):
        self.dirs = {}
        for controller in CONTROLLERS:
            parent = _own_cgroup(controller)
            if parent is None or not parent.is_dir():
                continue
            path = parent / name
            path.mkdir(exist_ok=True)
            self.dirs[controller] = path
        self._write("pids", "pids.max", limits.processes)
        self._write("memory", "memory.limit_in_bytes", limits.memory_mib << 20)
        period = 100_000
        self._write("cpu", "cpu.cfs_period_us", period)
        self._write("cpu", "cpu.cfs_quota_us", int(period * limits.cpus))

    def _write(self, controller, knob, value):
        if controller in self.dirs:
            (self.dirs[controller] / knob).write_text(f"{value}\n")

    def _read(self, controller, knob):
        try:
            return (self.dirs[controller] / knob).read_text()
        except (KeyError, OSError):
            return ""

    def enter_argv(self, argv):
        """argv, started in this cgroup: a shell moves itself in, then execs.
        The CPU limit is the submission's alone: its programs join that
        group themselves (command()), while the grader's side in the sandbox
        (inside.py, the suite) stays out of it, so that a fork bomb's
        thousands of processes cannot starve what must end them."""
        files = [str(d / "cgroup.procs") for c, d in self.dirs.items() if c != "cpu"]
        script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *files, "--", *argv]

    def pids(self):
        any_dir = self.dirs.get("pids") or self.dirs.get("freezer")
        if any_dir is None:
            return []
        try:
            return [int(p) for p in (any_dir / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def _freeze(self, state):
        """Freeze or thaw; a process freezes only when it next runs, so with
        thousands waiting their turn this takes a while: up to 10 s."""
        self._write("freezer", "freezer.state", state)
        for _ in range(1000):
            if self._read("freezer", "freezer.state").strip() != "FREEZING":
                return
            time.sleep(0.01)

    def kill_all(self):
        """SIGKILL every process, frozen first so that none forks meanwhile.
        The CPU limit is lifted first: a process must run to freeze and to
        die, and 4,000 fork-bomb processes sharing one CPU's quota neither
        froze nor died in time, and outlived their grading.  True once the
        group is empty."""
        if self.pids():
            self._write("cpu", "cpu.cfs_quota_us", -1)
        for _ in range(KILL_ROUNDS):
            pids = self.pids()
            if not pids:
                return True
            self._freeze("FROZEN")
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._freeze("THAWED")      # a frozen process cannot act on SIGKILL
            time.sleep(0.01)
        return not self.pids()

    def events(self):
        """What the limits stopped, in words, for the report."""
        found = []
        for line in self._read("pids", "pids.events").splitlines():
            key, _, count = line.partition(" ")
            if key == "max" and int(count) > 0:
                found.append(f"the process limit stopped {count} fork()s")
        if int(self._read("memory", "memory.failcnt") or 0) > 0:
            found.append("memory reached its limit")
        for line in self._read("memory", "memory.oom_control").splitlines():
            key, _, count = line.partition(" ")
            if key == "oom_kill" and int(count) > 0:
                found.append(f"{count} process(es) killed for memory")
        return found

    def remove(self):
        """Remove the cgroups, once the kernel has let go of the killed
        processes: on a crowded machine their exits take more than a second
        (an empty pids cgroup was left behind after a 1 s wait)."""
        for path in self.dirs.values():
            for _ in range(REMOVE_ROUNDS):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


# Inside the sandbox: all under its size-capped /tmp, so that nothing the
# submission writes reaches the machine's disks.
SRC = "/tmp/src"            # the submission as handed in, read-only
SUB = "/tmp/sub"            # its writable copy, where it is built and run
OUT = "/tmp/out"            # results, writable by the grader's side only
CPU = "/tmp/.cpu"           # the submission's CPU cgroup, which its programs join


def bwrap_argv(src, out, limits, argv, env_keep=(), cpu_dir=None):
    """bubblewrap around argv: loopback-only network, own PID namespace,
    the machine read-only, a /tmp of limited size holding the submission
    (read-only), the results folder and, where the machine has one, the
    submission's CPU cgroup (its files are root's: the submission's uid can
    join it through command(), not change it)."""
    cpu = ["--bind", str(cpu_dir), CPU] if cpu_dir else []
    return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(limits.tmp_mib << 20), "--tmpfs", "/tmp",
            "--ro-bind", str(src), SRC, "--bind", str(out), OUT, *cpu,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--chdir", "/tmp",
            "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
            *[a for k in env_keep if k in os.environ for a in ("--setenv", k, os.environ[k])],
            "--", *argv]


def command(uid, limits, argv, file_mib=None, cwd=SUB):
    """argv as the submission runs it inside the sandbox: in its CPU cgroup,
    as uid, in cwd, with its rlimits.  Every wrapper execs, so the pid is the
    program's own."""
    fsize = (file_mib or limits.file_mib) << 20
    join_cpu = []
    if os.path.exists(f"{CPU}/cgroup.procs"):
        # As root still: "0" is the writing shell, which then execs the rest.
        join_cpu = ["/bin/sh", "-c", f'echo 0 > {CPU}/cgroup.procs || exit 125; exec "$@"', "sh"]
    return [*join_cpu, "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "prlimit", f"--cpu={limits.cpu_seconds}", f"--fsize={fsize}",
            f"--nproc={limits.processes}", f"--as={limits.memory_mib << 20}", "--",
            "env", "-C", cwd, *argv]


@dataclass
class Outcome:
    returncode: int
    timed_out: bool
    seconds: float
    events: list
    leftovers: bool         # processes that survived every kill (never expected)


def run(name, src, out, limits, argv, log, env_keep=()):
    """Run argv in a fresh sandbox until it ends or the wall clock runs out,
    then end everything it left.  log: a file object for bwrap's own output."""
    group = Cgroup(name, limits)
    with _active_lock:
        _active.add(group)
    start = time.monotonic()
    timed_out = False
    try:
        proc = subprocess.Popen(group.enter_argv(bwrap_argv(src, out, limits, argv, env_keep,
                                                            group.dirs.get("cpu"))),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            group.kill_all()
            proc.kill()
            rc = proc.wait()
        events = group.events()
        leftovers = not group.kill_all()
    finally:
        group.kill_all()
        group.remove()
        with _active_lock:
            _active.discard(group)
    return Outcome(rc, timed_out, time.monotonic() - start, events, leftovers)


def sweep(prefix):
    """Remove this grader's cgroups (names starting with prefix) that are
    left, empty, after an interrupted run: thawed first, since one thread's
    kill can leave a group frozen while another's removal gave up."""
    for controller in CONTROLLERS:
        parent = _own_cgroup(controller)
        for path in parent.glob(prefix + "*") if parent and parent.is_dir() else ():
            try:
                if controller == "freezer":
                    (path / "freezer.state").write_text("THAWED\n")
                path.rmdir()
            except OSError:
                pass        # not empty: its run() is still ending it


def kill_active():
    """End every running sandbox (the grader was interrupted): their run()s
    return at once and clean up after themselves."""
    with _active_lock:
        groups = list(_active)
    for group in groups:
        group.kill_all()
