"""Starting the implementation under test and ending everything it started.

The suite process becomes a child subreaper, so a server's children that
outlive their parent are reparented to it instead of to init: it can see them,
end them and reap them.  Processes are only ever signalled by pid."""

import ctypes
import os
import resource
import signal
import subprocess
import time

from . import procfs

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
_spawned = []       # Popen objects of this process, for reaping and cleanup


def become_subreaper():
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


# The soft descriptor limit the suite was given, which the programs it
# starts get back (raise_own_descriptor_limit): a server is judged with the
# limit its user gave it, never with the suite's hard limit.  Kept in the
# environment, so that xdist workers, which start with the raised limit of
# the process that started them, know it too.
_GIVEN_NOFILE = int(os.environ.setdefault(
    "ECHO_CONFORMANCE_GIVEN_NOFILE", str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])))


def raise_own_descriptor_limit():
    """The suite's own soft descriptor limit up to the hard one, for the
    many connections some tests hold."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# Signals a program under test gets at their default action and unblocked,
# as from a shell at a terminal, whatever the suite was started with: under
# nohup, or as a background job of a script, SIGHUP or SIGINT is ignored,
# and an ignored disposition outlives exec (a server that ends its group
# with SIGINT survived its own defect so).
_DEFAULT_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                    signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD,
                    signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)


def _die_with_suite(nofile, before_exec):
    # Runs in the child between fork and exec: if the suite is killed outright,
    # the kernel ends the implementation too.  (Popen is only called from the
    # main thread: the signal follows the thread that forked.)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    for signo in _DEFAULT_SIGNALS:
        signal.signal(signo, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    if nofile is None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(_GIVEN_NOFILE, hard), hard))
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    if before_exec is not None:
        before_exec()


def spawn(argv, nofile=None, before_exec=None, **kwargs):
    """Popen without a shell, so that the pid is the implementation's own,
    in a session and process group of its own: whatever the program sends
    to its group (kill(0, ...), as a server that leads its group ends its
    children) or whatever a terminal sends to the suite's (Ctrl-C, a
    hangup) reaches one side only.  The suite still ends the program's
    whole tree, by pid, when it is done or interrupted.  nofile: the
    program's descriptor limit, soft and hard (a lowered hard limit is one
    the program can never raise again); None: the soft limit the suite
    was given.  before_exec: called last in the child before exec
    (forkgate.ForkGate.install)."""
    kwargs.setdefault("start_new_session", True)
    try:
        p = subprocess.Popen(argv, preexec_fn=lambda: _die_with_suite(nofile, before_exec),
                             **kwargs)
    except FileNotFoundError as e:
        raise RuntimeError(f"cannot run {argv[0]!r}: no such program") from e
    except PermissionError as e:
        raise RuntimeError(f"cannot run {argv[0]!r}: not executable") from e
    _spawned.append(p)
    return p


def _owned_pids():
    """Pids of spawned processes not yet waited for: Popen reaps those itself."""
    _spawned[:] = [p for p in _spawned if p.poll() is None]
    return {p.pid for p in _spawned}


def adopted(everyone=None, whose=None):
    """Processes this suite adopted as subreaper, with everything below them.

    An orphan of the program under test (a double-fork grandchild, a child
    that outlived its parent) is reparented here, out of its old tree: it
    still belongs to that program, for every clause about processes that
    outlive their connection and for the cleanup.  Only this process's own
    spawns are its children otherwise, so any other child was adopted.
    everyone: a snapshot from procfs.all_procs() to reuse.  whose: keeps
    only the orphans for whose owner (owner_of: a pid, or None when
    unknown) it returns true."""
    everyone = everyone or procfs.all_procs()
    live = _owned_pids()
    roots = {pid: p for pid, p in everyone.items()
             if p.ppid == os.getpid() and pid not in live
             and (whose is None or whose(owner_of(p, live)))}
    return {**roots, **procfs.below(roots, everyone)}


def orphans_of(pid, everyone=None):
    """adopted() for the program this process spawned as pid: its orphans,
    and those no program is known to own."""
    return adopted(everyone, lambda owner: owner in (pid, None))


# (pid, start time) -> pid of the spawned program the process was seen
# under.  Several servers run side by side in one process (the time
# clauses' pair lives through the whole run), and an orphan's parent link
# no longer says whose it is: what the suite saw of it before, or its
# session, does.
_claims = {}


def claim(owner, found):
    """Record the processes found (a dict of Proc) as owner's, unless known
    to be another program's already."""
    for p in found.values():
        _claims.setdefault((p.pid, p.start), owner)


def owner_of(p, live=None):
    """The pid of the spawned program the process p belongs to: the one it
    was seen under, else the one whose session it is in (a program the
    suite starts leads its own, and an orphan keeps it unless it calls
    setsid()); None when neither is known."""
    owner = _claims.get((p.pid, p.start))
    if owner is None and p.session in (_owned_pids() if live is None else live):
        owner = p.session
    return owner


def forget(found):
    """Drop the claims on processes that have ended (a dict of Proc)."""
    for p in found.values():
        _claims.pop((p.pid, p.start), None)


def reap_adopted(everyone=None):
    """Collect orphans that were reparented to this process and have exited."""
    for p in adopted(everyone).values():
        if p.ppid == os.getpid() and p.zombie:
            try:
                os.waitpid(p.pid, os.WNOHANG)
            except ChildProcessError:
                pass


def end_adopted(timeout, keep=()):
    """SIGKILL every adopted orphan and its descendants, and reap them; a
    test leaves none behind for the next one.  keep: pids of programs that
    outlive the test, whose orphans are spared."""
    victims = list(adopted(whose=lambda owner: owner not in keep).values())
    for p in victims:
        _kill(p.pid)
    wait_until(lambda: all(procfs.ended(p) for p in victims), timeout)
    reap_adopted()


def wait_until(condition, timeout, progress=None, interval=0.02):
    """Poll condition() until it is true; return False once timeout seconds
    pass with no progress.  progress() returns any value that changes while
    the awaited thing advances: each change restarts the clock, so a slow
    but moving implementation is never given up on."""
    last = progress() if progress else None
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if progress:
            value = progress()
            if value != last:
                last, deadline = value, time.monotonic() + timeout
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_tree(root_pid):
    """SIGKILL root_pid and everything below it."""
    kill_trees([root_pid])


def kill_trees(roots):
    """SIGKILL every pid in roots and everything below them."""
    for pid in [*roots, *procfs.below(roots)]:
        _kill(pid)


def kill_all(popens):
    """SIGKILL spawned processes all at once, then reap them."""
    for p in popens:
        p.kill()
    for p in popens:
        p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            if f:
                f.close()


def end_everything():
    """Last resort at exit or interrupt: kill all this process started or
    adopted, and reap it.  Runs in every process of a run (each xdist worker
    and the controller, which adopts what a worker leaves when it exits)."""
    for p in list(_spawned):
        if p.poll() is None:
            kill_tree(p.pid)
            p.wait()
    for _ in range(10):     # kill, reap, and look again: a fork may race the kill
        left = procfs.descendants(os.getpid())
        if not left:
            break
        for p in left.values():
            _kill(p.pid)
        wait_until(lambda: all(procfs.ended(p) for p in left.values()), 5.0)
        reap_adopted()


def tree_pids(server):
    """The server's own pid and those of its live tree: every process whose
    descriptors, threads and mappings count as the server's, wherever in
    the tree it accepts (the root, a worker under a supervisor, several
    prefork workers)."""
    return [server.pid, *server.live_tree()]


def signal_each(pids, signo):
    """Send signo to each of pids, one at a time; one already gone is skipped."""
    for pid in pids:
        try:
            os.kill(pid, signo)
        except ProcessLookupError:
            pass
