"""What the suite learns about a server from /proc: its process tree, zombies,
descriptors, sockets and the system call it is blocked in.  No ps, no ss:
only files the kernel provides, so the answers are exact and need no tools."""

import os
import platform
from dataclasses import dataclass

# TCP states as /proc/net/tcp prints them (include/net/tcp_states.h).
TCP_ESTABLISHED = 0x01
TCP_TIME_WAIT = 0x06
TCP_LISTEN = 0x0A

# System calls in which a server waits for connections, by machine.
# (asm/unistd_64.h on x86_64; the generic table on aarch64.)
_WAITING_SYSCALLS = {
    "x86_64": {43: "accept", 288: "accept4", 7: "poll", 271: "ppoll", 23: "select",
               270: "pselect6", 232: "epoll_wait", 281: "epoll_pwait", 441: "epoll_pwait2"},
    "aarch64": {202: "accept", 242: "accept4", 73: "ppoll", 72: "pselect6",
                22: "epoll_pwait", 441: "epoll_pwait2"},
}
WAITING_SYSCALLS = _WAITING_SYSCALLS.get(platform.machine(), {})
_WAIT_FOR_CHILD = {"x86_64": {61: "wait4", 247: "waitid"},
                   "aarch64": {260: "wait4", 95: "waitid"}}.get(platform.machine(), {})
# Other calls a stuck process is often found in, to name them in messages.
_OTHER_NAMES = {"x86_64": {0: "read", 1: "write", 34: "pause", 35: "nanosleep", 130: "rt_sigsuspend",
                           202: "futex", 230: "clock_nanosleep"},
                "aarch64": {63: "read", 64: "write", 98: "futex", 101: "nanosleep",
                            115: "clock_nanosleep", 133: "rt_sigsuspend"}}.get(platform.machine(), {})


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str       # R, S, D, Z, T, ...
    start: int       # start time in clock ticks since boot: tells a reused pid apart
    session: int     # its session id: a program the suite starts leads a session of its own

    @property
    def zombie(self):
        return self.state == "Z"


def stat_fields(pid):
    """/proc/PID/stat as a list of fields from the state on (the state is
    [0], the parent [1], utime [11]: proc(5)'s field numbers minus 3), or
    None when no such process exists.  The command name before them is in
    parentheses and may itself hold spaces or ')', so it is cut off at the
    last one."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return data[data.rindex(")") + 2:].split()


def proc(pid):
    """The Proc for pid, or None when no such process exists."""
    fields = stat_fields(pid)
    return Proc(pid, int(fields[1]), fields[0], int(fields[19]), int(fields[3])) if fields else None


def children(pid):
    """Pids of pid's children, zombies included.  One small file, not a
    walk of /proc: cheap enough to sample in a loop."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(p) for p in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def cmdline(pid):
    """The process's arguments as one line, or "" for a zombie or a kernel
    thread, whose command line is empty."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().rstrip(b"\0").split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return ""
    return " ".join(a.decode(errors="replace") for a in argv if a)


def free_pids():
    """How many more processes the machine can start before fork fails for
    want of a pid (kernel.pid_max, shared by every container on the host),
    less a margin of 300 for what starts meanwhile."""
    with open("/proc/sys/kernel/pid_max", encoding="ascii") as f:
        pid_max = int(f.read())
    with open("/proc/loadavg", encoding="ascii") as f:
        tasks = int(f.read().split()[3].split("/")[1])
    return pid_max - 300 - tasks


def all_procs():
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (p := proc(int(name))):
            procs[p.pid] = p
    return procs


def descendants(pid, everyone=None):
    """Every process below pid, following parent links; pid itself excluded.
    everyone: a snapshot from all_procs() to reuse."""
    return below([pid], everyone)


def below(roots, everyone=None):
    """Every process below any of the pids in roots (roots excluded), from
    one snapshot: with thousands of processes, a scan of /proc per root
    would take minutes."""
    children = {}
    for p in (everyone or all_procs()).values():
        children.setdefault(p.ppid, []).append(p)
    found, todo = {}, list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child.pid not in found:
                found[child.pid] = child
                todo.append(child.pid)
    return found


def ended(p):
    """True when the process p has exited: gone, a zombie, or its pid reused."""
    now = proc(p.pid)
    return now is None or now.zombie or now.start != p.start


def _entry_count(pid, folder):
    """Entries of /proc/PID/folder; 0 once pid is gone (callers check that)."""
    try:
        return len(os.listdir(f"/proc/{pid}/{folder}"))
    except (FileNotFoundError, ProcessLookupError):
        return 0


def fd_count(pid):
    """Descriptors pid holds open; 0 once it is gone (callers check that)."""
    return _entry_count(pid, "fd")


def socket_inodes(pid):
    """Inodes of the sockets pid holds open."""
    inodes = set()
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return inodes
    for name in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue    # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


@dataclass(frozen=True)
class TcpSocket:
    local_addr: str     # hex, as in /proc/net/tcp
    local_port: int
    remote_port: int
    state: int
    rx_queue: int       # for a listening socket: connections waiting for accept()
    inode: int


def tcp_sockets(listening_only=False):
    """Every TCP socket of this network namespace.  The kernel lists the
    listening ones first, so listening_only stops reading there: cheap even
    with thousands of connections in TIME_WAIT."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                next(f)     # the header
                for line in f:
                    sock = _parse(line)
                    if listening_only and sock.state != TCP_LISTEN:
                        break
                    found.append(sock)
        except FileNotFoundError:
            continue
    return found


def _parse(line):
    fields = line.split()
    addr, port = fields[1].split(":")
    return TcpSocket(addr, int(port, 16), int(fields[2].split(":")[1], 16),
                     int(fields[3], 16), int(fields[4].split(":")[1], 16), int(fields[9]))


# Listening addresses through which 127.0.0.1 reaches the server: 127.0.0.1,
# 0.0.0.0, :: and ::ffff:127.0.0.1 (hex, in the kernel's byte order).
_REACHABLE_FROM_LOOPBACK = {"0100007F", "00000000", "0" * 32,
                            "0000000000000000FFFF00000100007F"}


def listeners(port):
    """Listening sockets on port, whatever their address."""
    return [s for s in tcp_sockets(listening_only=True) if s.local_port == port]


def reachable_from_loopback(sock):
    return sock.local_addr in _REACHABLE_FROM_LOOPBACK


def connection_inodes(port=None):
    """Inodes of every TCP socket that is not listening (connections); with
    port, only those whose local end is on it (a server's clients)."""
    return {s.inode for s in tcp_sockets() if s.state != TCP_LISTEN and s.inode
            and port in (None, s.local_port)}


def waiting_syscalls(pid):
    """Names of the connection-waiting calls pid's threads are blocked in."""
    return {WAITING_SYSCALLS[n] for n in _syscalls(pid) if n in WAITING_SYSCALLS}


def blocked_in_wait_for_child(pid):
    return any(n in _WAIT_FOR_CHILD for n in _syscalls(pid))


def syscall_names(pid):
    """Every thread's current system call, for messages."""
    names = {**WAITING_SYSCALLS, **_WAIT_FOR_CHILD, **_OTHER_NAMES}
    return sorted({names.get(n, f"syscall {n}") for n in _syscalls(pid)})


def _syscalls(pid):
    """Numbers of the system calls pid's threads are blocked in."""
    numbers = []
    for text in _task_files(pid, "syscall"):
        first = text.split(maxsplit=1)
        # "running", or -1 when blocked outside a system call.
        if first and first[0].isdigit():
            numbers.append(int(first[0]))
    return numbers


def _task_files(pid, name):
    """The contents of /proc/PID/task/TID/name for each thread of pid."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/{name}", encoding="ascii") as f:
                yield f.read()
        except OSError:
            continue    # the thread ended meanwhile


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, children=False):
    """CPU time pid has used, user and system; with children, also that of
    the children it has waited for.  0 once it is gone."""
    fields = stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def rss_kib(pid):
    """Resident memory of pid; 0 once it is gone (callers check that)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def thread_count(pid):
    """Threads of pid; 0 once it is gone."""
    return _entry_count(pid, "task")


def mapping_count(pid):
    """Memory mappings of pid (lines of /proc/PID/maps); 0 once it is gone.
    A thread that ends without being joined or detached leaves its stack
    mapped (and its guard page), though it is gone from /proc/PID/task."""
    try:
        with open(f"/proc/{pid}/maps", "rb") as f:
            return sum(1 for _ in f)
    except (FileNotFoundError, ProcessLookupError):
        return 0


@dataclass(frozen=True)
class Footprint:
    """What a set of processes holds, summed: what drifts when a server
    keeps a little of each connection."""
    processes: int
    threads: int
    descriptors: int
    mappings: int

    def exceeds(self, other, mapping_slack):
        """What grew beyond other (mappings beyond mapping_slack), in words."""
        grew = [f"{now - then} more {what} ({then} before, {now} now)"
                for what, now, then, slack in (
                    ("processes", self.processes, other.processes, 0),
                    ("threads", self.threads, other.threads, 0),
                    ("open descriptors", self.descriptors, other.descriptors, 0),
                    ("memory mappings", self.mappings, other.mappings, mapping_slack))
                if now > then + slack]
        return "; ".join(grew)


def footprint(pids):
    """The Footprint of the processes pids (those gone count for nothing)."""
    pids = list(pids)
    return Footprint(sum(1 for pid in pids if (p := proc(pid)) and not p.zombie),
                     sum(map(thread_count, pids)),
                     sum(map(fd_count, pids)), sum(map(mapping_count, pids)))


def comm(pid):
    """The process's command name, for messages."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return "?"


def catches(pid, signo):
    """True when pid has a handler installed for signo (SigCgt in its status)."""
    return _signal_set(pid, "SigCgt", signo)


def ignores(pid, signo):
    """True when pid ignores signo (SigIgn in its status)."""
    return _signal_set(pid, "SigIgn", signo)


def _signal_set(pid, name, signo):
    for text in _task_files(pid, "status"):
        for line in text.splitlines():
            if line.startswith(name + ":"):
                return bool(int(line.split()[1], 16) >> (signo - 1) & 1)
    return False


def context_switches(pid):
    """Voluntary context switches of all pid's threads: it grows each time
    the process blocks, so a change shows that it woke up and slept again."""
    total = 0
    for text in _task_files(pid, "status"):
        for line in text.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total
