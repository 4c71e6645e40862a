"""The sandbox one submission is built and graded in.

Made of real tools, not of tracing: bubblewrap gives a network namespace with
loopback only (the suite runs inside it too, so it reaches the program and
nothing else does), a PID namespace (its processes die with it), a view of
the machine that shows only what a build and the suite need (see view()),
an environment of a few fixed variables, a seccomp filter (seccomp.py), the
capabilities the grader's side needs and no others, and a size-capped /tmp
that holds the submission's copy.  Cgroups (cgroup.py, v1 or v2) bound
processes, memory and CPU share, and let everything be frozen and killed at
the end.  Inside, the submission's own commands run as an unprivileged uid
with rlimits (CPU seconds, file size, processes), through `command()`, and
are the memory limit's first victims.
"""

import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cgroup, seccomp

_active = set()             # cgroups of the sandboxes running now, for an interrupt
_active_lock = threading.Lock()
_said = set()               # limits not set, already said on the terminal


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
    usage = subprocess.run(["bwrap", "--help"], capture_output=True, text=True).stdout
    if "--perms" not in usage or "--ro-bind-data" not in usage:
        return "bubblewrap is too old: 0.5 or later is needed (--perms, --ro-bind-data)"
    if os.geteuid() != 0:
        return "the sandbox needs root (cgroups, namespaces, a uid per job)"
    return None


# Inside the sandbox: all under its size-capped /tmp, so that nothing the
# submission writes reaches the machine's disks.
SRC = "/tmp/src"            # the submission as handed in, read-only
SUB = "/tmp/sub"            # its writable copy, where it is built and run
OUT = "/tmp/out"            # results, writable by the grader's side only
CPU = "/tmp/.cpu"           # the submission's CPU cgroup, which its programs join


PACKAGE = Path(__file__).resolve().parents[1]      # the suite, shown at its own path

# What the sandbox shows of the machine: the system's programs and
# libraries, the few files of /etc that the C library, the compiler's
# alternatives and Python read, the suite, the interpreter.  Nothing else
# is there: no /home, no /root, no /var, no /run with the host's sockets, no
# submissions or results but the one graded.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_SHOWN = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime",
             "services", "protocols", "gai.conf", "host.conf")
# Written for the sandbox rather than shown: the machine's own name its users,
# hosts and name services.
ETC_WRITTEN = {
    "passwd": "root:x:0:0:root:/tmp:/usr/sbin/nologin\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "group": "root:x:0:\nnogroup:x:65534:\n",
    "hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\nservices: files\n"
                     "protocols: files\n",
}
# Empty in the sandbox whatever the view above grows into: where a machine
# keeps its users' files, its daemons' sockets, its spools.
HIDDEN = ("/home", "/var/tmp", "/srv", "/run")

# The only variables inside (the grader's own, tokens included, stay out).
PATH_INSIDE = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

# What the grader's side keeps of root's capabilities, and why: run the
# submission's commands as its uid and borrow that uid for kill(-1)
# (SETUID, SETGID); give the submission its copy (CHOWN) read from a
# hand-in of any owner and mode (DAC_READ_SEARCH); end the server (KILL) and
# read its /proc/PID/fd (SYS_PTRACE); pin the submission's oom_score_adj
# high, where it cannot lower it again (SYS_RESOURCE).  No SYS_ADMIN (mounts,
# namespaces), no NET_ADMIN, no DAC_OVERRIDE (writing another's files).
CAPS = {"CAP_CHOWN": 0, "CAP_DAC_READ_SEARCH": 2, "CAP_KILL": 5, "CAP_SETGID": 6,
        "CAP_SETUID": 7, "CAP_SYS_PTRACE": 19, "CAP_SYS_RESOURCE": 24}
CAP_SYS_RESOURCE = CAPS["CAP_SYS_RESOURCE"]


def own_caps():
    """The numbers of this process's effective capabilities (a container
    may have withheld some from root)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            mask = int(line.split()[1], 16)
            return {n for n in range(64) if mask >> n & 1}
    return set()


# oom_score_adj: the grader's side close to never (never would leave the
# memory limit nothing to kill when it alone is over), the submission's
# processes first.
OOM_GRADER = -999
OOM_SUBMISSION = 1000


def environment(extra=None):
    """The whole environment of the sandbox: fixed, plus extra."""
    return {"PATH": PATH_INSIDE, "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", **(extra or {})}


def _data_fd(data):
    fd = os.memfd_create("echo-grade-etc")
    os.write(fd, data.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _hidden_parents(src, out):
    """The folders holding the submissions and the results, where the view
    could show them (under /tmp the sandbox has a /tmp of its own)."""
    found = []
    for path in (Path(src).parent, Path(out).parent):
        if path != Path("/") and not path.is_relative_to("/tmp") and str(path) not in found:
            found.append(str(path))
    return found


def view(src, out, fds):
    """bubblewrap's mounts: what the sandbox shows (see SYSTEM, ETC_SHOWN,
    HIDDEN).  Descriptors of the files it writes are appended to fds."""
    args = []
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--perms", "0755", "--dir", "/etc"]    # whatever the grader's umask
    for name in ETC_SHOWN:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for name, text in ETC_WRITTEN.items():
        fds.append(_data_fd(text))
        args += ["--perms", "0444", "--ro-bind-data", str(fds[-1]), f"/etc/{name}"]
    args += ["--dev", "/dev", "--proc", "/proc"]
    for path in (*HIDDEN, *_hidden_parents(src, out)):
        args += ["--tmpfs", path]
    # The interpreter, where it is not the system's, and the suite: shown
    # last, so that a hidden folder above them leaves them alone.
    for path in sorted({sys.base_prefix, sys.prefix} - {"/usr"}):
        args += ["--ro-bind", path, path]
    args += ["--ro-bind", str(PACKAGE), str(PACKAGE)]
    return args


def bwrap_argv(src, out, limits, argv, fds, cpu_dir=None):
    """bubblewrap around argv: loopback-only network, own PID namespace,
    the view(), a /tmp of limited size holding the submission (read-only),
    the results folder and, where the machine has one, the submission's CPU
    cgroup (its files are root's: the submission's uid can join it through
    command(), not change it); few capabilities, the seccomp filter.
    Descriptors bubblewrap reads are appended to fds."""
    cpu = ["--bind", str(cpu_dir), CPU] if cpu_dir else []
    have = own_caps()
    caps = ["--cap-drop", "ALL"] + [a for c, n in CAPS.items() if n in have
                                    for a in ("--cap-add", c)]
    filter_fd = seccomp.memfd()
    if filter_fd is not None:
        fds.append(filter_fd)
    bpf = ["--seccomp", str(filter_fd)] if filter_fd is not None else []
    return [shutil.which("bwrap") or "bwrap", *view(src, out, fds),
            "--size", str(limits.tmp_mib << 20), "--tmpfs", "/tmp",
            "--ro-bind", str(src), SRC, "--bind", str(out), OUT, *cpu,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", *caps, *bpf, "--chdir", "/tmp",
            "--", *argv]


def command(uid, limits, argv, file_mib=None, cwd=SUB):
    """argv as the submission runs it inside the sandbox: first in line for
    the memory limit, in its CPU cgroup, as uid, in cwd, with its rlimits.
    Every wrapper execs, so the pid is the program's own."""
    fsize = (file_mib or limits.file_mib) << 20
    # As root still: raised with CAP_SYS_RESOURCE, the score is also the
    # floor the submission cannot go below; "0" is the writing shell.
    join_cpu = (f"echo 0 > {CPU}/cgroup.procs || exit 125; "
                if os.path.exists(f"{CPU}/cgroup.procs") else "")
    prologue = f'echo {OOM_SUBMISSION} > /proc/self/oom_score_adj || exit 125; {join_cpu}exec "$@"'
    return ["/bin/sh", "-c", prologue, "sh",
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
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
    unset: list = field(default_factory=list)   # limits that could not be set, and why


def _enter_argv(group, argv):
    """argv, started in the sandbox's cgroups (all but the submission's CPU
    group) and protected from the memory limit: a shell does both to itself,
    then execs."""
    protect = (f"echo {OOM_GRADER} > /proc/self/oom_score_adj || exit 125; "
               if CAP_SYS_RESOURCE in own_caps() else "")
    script = (protect + 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; '
              'exec "$@"')
    return ["/bin/sh", "-c", script, "sh", *map(str, group.enter_files()), "--", *argv]


def protect_from_oom():
    """The grader's own process: close to the last the kernel kills for
    memory (where root here may lower its score)."""
    if CAP_SYS_RESOURCE in own_caps():
        Path("/proc/self/oom_score_adj").write_text(f"{OOM_GRADER}\n")


def _unset(group):
    unset = list(group.unset)
    if CAP_SYS_RESOURCE not in own_caps():
        unset.append(f"the grader's protection from the memory limit (oom_score_adj "
                     f"{OOM_GRADER}) and the submission's score kept at {OOM_SUBMISSION}: "
                     "root here lacks CAP_SYS_RESOURCE (the submission's processes still "
                     "start first in line, but may lower their score again)")
    if seccomp.program() is None:
        unset.append(f"seccomp filter: no system call numbers for {platform.machine()} here")
    for why in unset:
        if why not in _said:
            _said.add(why)
            print(f"\necho-conformance grade: WARNING: limit not set: {why}",
                  file=sys.stderr, flush=True)
    return unset


def events(group, limits):
    """What the limits stopped, in words, for the report."""
    forks, memory_max, oom_kills = group.counters()
    found = []
    if forks:
        found.append(f"the process limit stopped {forks} fork()s")
    if memory_max:
        found.append("memory reached its limit")
    if oom_kills:
        found.append(f"{oom_kills} of the submission's processes killed for memory "
                     f"(over {limits.memory_mib} MiB)")
    return found


def run(name, src, out, limits, argv, log, env=None):
    """Run argv in a fresh sandbox until it ends or the wall clock runs out,
    then end everything it left.  log: a file object for bwrap's own output;
    env: variables besides environment()'s."""
    group = cgroup.make(name, limits)
    unset = _unset(group)
    with _active_lock:
        _active.add(group)
    start = time.monotonic()
    timed_out = False
    fds = []
    try:
        try:
            argv = bwrap_argv(src, out, limits, argv, fds, group.cpu_dir)
            proc = subprocess.Popen(_enter_argv(group, argv), env=environment(env),
                                    pass_fds=fds, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=log, start_new_session=True)
        finally:
            for fd in fds:
                os.close(fd)
        try:
            rc = proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            group.kill_all()
            proc.kill()
            rc = proc.wait()
        found = events(group, limits)
        leftovers = not group.kill_all()
    finally:
        group.kill_all()
        group.remove()
        with _active_lock:
            _active.discard(group)
    return Outcome(rc, timed_out, time.monotonic() - start, found, leftovers, unset)


def sweep(prefix):
    """Remove this grader's cgroups left after an interrupted run."""
    cgroup.sweep(prefix)


def kill_active():
    """End every running sandbox (the grader was interrupted): their run()s
    return at once and clean up after themselves."""
    with _active_lock:
        groups = list(_active)
    for group in groups:
        group.kill_all()
