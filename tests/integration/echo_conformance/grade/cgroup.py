"""The cgroups of one sandbox, on cgroup v1 or v2.

Both bound processes, memory and the submission's CPU share, and let
everything be frozen and killed at the end, however far a process
double-forked: membership is inherited and cannot be left.

v1 (a hierarchy per controller, each under the root): one group per
controller, all named alike, below where this process sits.  The cpu group
holds the submission's programs only; the grader's side in the sandbox
stays out of it, so that a fork bomb cannot starve what must end it.

v2 (one hierarchy, the root a cgroup2 mount): the sandbox's group holds
pids.max and memory.max; below it `grader` holds the grader's side and
`sub` the submission's programs with cpu.max (a group with controllers for
its children may hold no process itself).  Where the grader is not the root
of the tree (a delegated systemd scope), it moves itself into a leaf of its
own first, so that its group may hand controllers down.

A limit that cannot be set (controller not mounted, not delegated, or
taken by v1 on a hybrid machine) is named in `unset`, with why: the caller
says so on the terminal and in the report.
"""

import errno
import os
import signal
import time
from pathlib import Path

KILL_ROUNDS = 200           # freeze-kill-thaw rounds before giving up, 10 ms apart
REMOVE_ROUNDS = 3000        # rmdir attempts, 10 ms apart: 30 s for the exits to finish
FREEZE_ROUNDS = 1000        # 10 ms apart: a process freezes only when it next runs
ROOT_ENV = "ECHO_GRADE_CGROUP_ROOT"
V1_CONTROLLERS = ("pids", "memory", "cpu", "freezer")
V2_CONTROLLERS = ("pids", "memory", "cpu")
# What each limit is called in the report, by controller.
LIMIT_NAMES = {"pids": "process limit (pids)", "memory": "memory limit (memory)",
               "cpu": "CPU share (cpu)", "freezer": "freeze before the kill (freezer)"}


def root():
    """Where the cgroup hierarchies are mounted: /sys/fs/cgroup, or the
    path in ECHO_GRADE_CGROUP_ROOT (a scratch cgroup2 mount, for tests)."""
    return Path(os.environ.get(ROOT_ENV) or "/sys/fs/cgroup")


def version(at=None):
    """2 where the root is a cgroup2 mount, else 1 (v1, or a hybrid machine
    whose controllers belong to v1)."""
    return 2 if ((at or root()) / "cgroup.controllers").is_file() else 1


def _own_path(controller):
    """This process's cgroup in a v1 hierarchy (by controller name) or in
    v2 (controller None), relative to the hierarchy's root."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, names, path = line.split(":", 2)
        if (controller is None and hid == "0") or (controller and controller in names.split(",")):
            return path.lstrip("/")
    return None


def _write(path, value):
    path.write_text(f"{value}\n")


def _read(path):
    try:
        return path.read_text()
    except OSError:
        return ""


def _counts(text):
    """A flat keyed file (pids.events, memory.events) as a dict of ints."""
    found = {}
    for line in text.splitlines():
        key, _, count = line.partition(" ")
        if count.strip().lstrip("-").isdigit():
            found[key] = int(count)
    return found


def _remove(path):
    """rmdir, once the kernel has let go of the killed processes: on a
    crowded machine their exits take more than a second."""
    for _ in range(REMOVE_ROUNDS):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


def _procs(paths):
    pids = []
    for path in paths:
        pids += [int(p) for p in _read(path / "cgroup.procs").split()]
    return pids


def _kill_each(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class V1:
    """One group per v1 controller this machine mounts, all named alike."""

    def __init__(self, name, limits, at):
        self.dirs, self.unset = {}, []
        for controller in V1_CONTROLLERS:
            own = _own_path(controller)
            parent = at / controller / own if own is not None else None
            if parent is None or not parent.is_dir():
                self.unset.append(f"{LIMIT_NAMES[controller]}: no v1 {controller} "
                                  f"hierarchy under {at}")
                continue
            path = parent / name
            path.mkdir(exist_ok=True)
            self.dirs[controller] = path
        self._set("pids", "pids.max", limits.processes)
        self._set("memory", "memory.limit_in_bytes", limits.memory_mib << 20)
        period = 100_000
        self._set("cpu", "cpu.cfs_period_us", period)
        self._set("cpu", "cpu.cfs_quota_us", int(period * limits.cpus))

    def _set(self, controller, knob, value):
        if controller in self.dirs:
            _write(self.dirs[controller] / knob, value)

    def _get(self, controller, knob):
        return _read(self.dirs[controller] / knob) if controller in self.dirs else ""

    @property
    def cpu_dir(self):
        """The group the submission's programs join (command())."""
        return self.dirs.get("cpu")

    def enter_files(self):
        return [d / "cgroup.procs" for c, d in self.dirs.items() if c != "cpu"]

    def pids(self):
        any_dir = self.dirs.get("pids") or self.dirs.get("freezer")
        return _procs([any_dir]) if any_dir else []

    def _freeze(self, state):
        self._set("freezer", "freezer.state", state)
        for _ in range(FREEZE_ROUNDS):
            if self._get("freezer", "freezer.state").strip() != "FREEZING":
                return
            time.sleep(0.01)

    def kill_all(self):
        """SIGKILL every process, frozen first so that none forks meanwhile.
        The CPU limit is lifted first: a process must run to freeze and to
        die, and 4,000 fork-bomb processes sharing one CPU's quota neither
        froze nor died in time.  True once the group is empty."""
        if self.pids():
            self._set("cpu", "cpu.cfs_quota_us", -1)
        for _ in range(KILL_ROUNDS):
            pids = self.pids()
            if not pids:
                return True
            self._freeze("FROZEN")
            _kill_each(pids)
            self._freeze("THAWED")      # a frozen process cannot act on SIGKILL
            time.sleep(0.01)
        return not self.pids()

    def counters(self):
        """(fork()s refused, times memory hit its limit, processes killed for memory)."""
        oom = _counts(self._get("memory", "memory.oom_control")).get("oom_kill", 0)
        return (_counts(self._get("pids", "pids.events")).get("max", 0),
                int(self._get("memory", "memory.failcnt") or 0), oom)

    def remove(self):
        for path in self.dirs.values():
            _remove(path)

    @staticmethod
    def sweep(prefix, at):
        for controller in V1_CONTROLLERS:
            own = _own_path(controller)
            parent = at / controller / own if own is not None else None
            for path in parent.glob(prefix + "*") if parent and parent.is_dir() else ():
                try:
                    if controller == "freezer":
                        _write(path / "freezer.state", "THAWED")
                    path.rmdir()
                except OSError:
                    pass        # not empty: its run() is still ending it


_v2_parents = {}            # per root: where this grader's sandboxes go, settled once


def _v2_parent(at):
    """The group the sandboxes' groups go below (the grader's own, as it
    was when first asked), the controllers it hands down, and why the
    others could not be."""
    if at not in _v2_parents:
        parent = at / (_own_path(None) or "")
        _v2_parents[at] = (parent, *enable(parent, V2_CONTROLLERS))
    return _v2_parents[at]


def enable(parent, controllers, moved=False):
    """Hand controllers down from parent to the groups below it: (those
    enabled, {controller: why not})."""
    offered = _read(parent / "cgroup.controllers").split()
    enabled, why = [], {}
    for controller in controllers:
        if controller not in offered:
            why[controller] = (f"{LIMIT_NAMES.get(controller, controller)}: the {controller} "
                               f"controller is not available in {parent} (bound to v1, or "
                               "not delegated)")
            continue
        try:
            _write(parent / "cgroup.subtree_control", f"+{controller}")
            enabled.append(controller)
        except OSError as e:
            if e.errno == errno.EBUSY and not moved and _leave_for_leaf(parent):
                return enable(parent, controllers, moved=True)
            why[controller] = (f"{LIMIT_NAMES.get(controller, controller)}: cannot enable "
                               f"{controller} in {parent}/cgroup.subtree_control: {e.strerror}")
    return enabled, why


def _leave_for_leaf(parent):
    """Delegation: a group that holds processes cannot hand controllers
    down, so the grader moves itself into a leaf of its own below it.  Done
    only when the grader is alone there (a scope made for it); True if it
    moved."""
    if _procs([parent]) != [os.getpid()]:
        return False
    leaf = parent / f"echo-grade-{os.getpid()}-self"
    leaf.mkdir(exist_ok=True)
    _write(leaf / "cgroup.procs", os.getpid())
    return True


class V2:
    """The sandbox's group in the v2 hierarchy, with `grader` and `sub` below."""

    def __init__(self, name, limits, at):
        parent, enabled, why = _v2_parent(at)
        self.unset = list(why.values())
        self.path = parent / name
        self.path.mkdir(exist_ok=True)
        if "cpu" in enabled:
            _write(self.path / "cgroup.subtree_control", "+cpu")
        self.grader, self.sub = self.path / "grader", self.path / "sub"
        for leaf in (self.grader, self.sub):
            leaf.mkdir(exist_ok=True)
        self._set(self.path, "pids.max", limits.processes)
        self._set(self.path, "memory.max", limits.memory_mib << 20)
        period = 100_000
        self._set(self.sub, "cpu.max", f"{int(period * limits.cpus)} {period}")
        if not (self.path / "cgroup.kill").exists():
            self.unset.append("one-shot kill (cgroup.kill): not in this kernel; "
                              "frozen and killed one by one instead")

    @staticmethod
    def _set(path, knob, value):
        if (path / knob).exists():
            _write(path / knob, value)

    @property
    def cpu_dir(self):
        return self.sub

    def enter_files(self):
        return [self.grader / "cgroup.procs"]

    def pids(self):
        return _procs([self.path, self.grader, self.sub])

    def _freeze(self, frozen):
        if not (self.path / "cgroup.freeze").exists():
            return
        _write(self.path / "cgroup.freeze", int(frozen))
        for _ in range(FREEZE_ROUNDS):
            if not frozen or _counts(_read(self.path / "cgroup.events")).get("frozen") == 1:
                return
            time.sleep(0.01)

    def kill_all(self):
        """cgroup.kill where the kernel has it (one write ends the whole
        tree, forks included), else frozen and killed one by one as on v1.
        True once the group is empty."""
        if self.pids():
            self._set(self.sub, "cpu.max", "max")
        for _ in range(KILL_ROUNDS):
            pids = self.pids()
            if not pids:
                return True
            if (self.path / "cgroup.kill").exists():
                _write(self.path / "cgroup.kill", 1)
            else:
                self._freeze(True)
                _kill_each(pids)
                self._freeze(False)
            time.sleep(0.01)
        return not self.pids()

    def counters(self):
        memory = _counts(_read(self.path / "memory.events"))
        return (_counts(_read(self.path / "pids.events")).get("max", 0),
                memory.get("max", 0), memory.get("oom_kill", 0))

    def remove(self):
        for path in (self.grader, self.sub, self.path):
            _remove(path)

    @staticmethod
    def sweep(prefix, at):
        parent = _v2_parent(at)[0]
        for path in parent.glob(prefix + "*"):
            try:
                _write(path / "cgroup.freeze", 0)
                for leaf in [p for p in (path / "grader", path / "sub") if p.is_dir()]:
                    leaf.rmdir()
                path.rmdir()
            except OSError:
                pass        # not empty: its run() is still ending it


def make(name, limits):
    """The cgroups of one sandbox named name, on this machine's version."""
    at = root()
    return (V2 if version(at) == 2 else V1)(name, limits, at)


def sweep(prefix):
    """Remove this grader's groups (names starting with prefix) left, empty,
    after an interrupted run: thawed first, since one thread's kill can leave
    a group frozen while another's removal gave up."""
    at = root()
    (V2 if version(at) == 2 else V1).sweep(prefix, at)
