"""Endurance: thousands of connections, each served.  One run, shared by the
tests of this module (keep them on one xdist worker: --dist loadgroup); and
a server that stays in the foreground to be watched at all.

The connections go in a few lanes side by side, each lane one connection
after another: a slow but correct server is then not failed for its
slowness (the run has a duration budget), while a leak still accumulates."""

from dataclasses import dataclass, field

import pytest

from echo_conformance import procfs, procs, sockdiag
from echo_conformance.budget import NotJudged

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("endurance"),
              pytest.mark.budget(120)]

CONNECTIONS = 4000
WARM = 1000         # connections before memory is first measured
LANES = 8
# Connections a listen queue must hold while the server is a moment late to
# accept: twice the lanes, far below the classic text's LISTENQ (1024).
BACKLOG = 16
# Less than any record kept per connection (a malloc()ed block takes 32
# bytes or more) times the connections after WARM: about 22 bytes each.
GROWTH_KIB = 64


@dataclass
class Run:
    served: int = 0
    failures: list = field(default_factory=list)
    rss_warm_kib: int = 0       # of the processes that live through the run
    rss_end_kib: int = 0
    left: list = field(default_factory=list)    # processes still running at the end


@pytest.fixture(scope="module")
def endurance(start_module_server):
    server = start_module_server()
    baseline = server.live_tree()
    run = Run()
    run.served, failure = server.serve_in_lanes(range(WARM), LANES)
    warm = {}
    if not failure:
        # The processes there now and still there at the end live through
        # the run, wherever they sit in the tree (the server, a worker
        # under a supervisor, prefork workers): what they keep accumulates.
        warm = {p: procfs.rss_kib(p.pid)
                for p in map(procfs.proc, procs.tree_pids(server)) if p}
        served, failure = server.serve_in_lanes(range(WARM, CONNECTIONS), LANES)
        run.served += served
    if failure:
        run.failures.append(failure)
    if why := server.gone(f"{run.served} connections"):
        run.failures.append(why)
        return run
    lived = [p for p in warm if not procfs.ended(p)]
    run.rss_warm_kib = sum(warm[p] for p in lived)
    run.rss_end_kib = sum(procfs.rss_kib(p.pid) for p in lived)
    server.wait_back_to(baseline)
    run.left = server.new_processes(baseline)
    return run


@pytest.mark.clause("S-END-1")
def test_thousands_of_connections_are_served(endurance, timeout):
    assert not endurance.failures, (f"after {endurance.served} of {CONNECTIONS} connections: "
                                    f"{endurance.failures[0]}")
    left = endurance.left
    assert not left, (f"{len(left)} process(es) that served the {CONNECTIONS} connections still "
                      f"run {timeout:.0f} s after the last one closed (pids "
                      f"{', '.join(str(p.pid) for p in left[:10])}): they pile up until a "
                      f"limit is reached")


@pytest.mark.clause("S-END-2")
def test_server_memory_stays_bounded(endurance, settings):
    if endurance.failures:
        raise NotJudged("the endurance run did not complete (see S-END-1)")
    if settings.valgrind_dir:
        raise NotJudged("under valgrind, resident memory says nothing of the program's own: "
                        "memory is judged by valgrind (S-MEM-1, S-MEM-2)")
    growth = endurance.rss_end_kib - endurance.rss_warm_kib
    assert growth < GROWTH_KIB, (
        f"the resident memory of the server's long-lived processes grew by {growth} KiB "
        f"between connection {WARM} and connection {CONNECTIONS}: about "
        f"{growth * 1024 // (CONNECTIONS - WARM)} bytes per connection, kept for good")


@pytest.mark.clause("S-END-3")
def test_server_runs_in_the_foreground(server, settings):
    # The server fixture fails a server that exits at start-up leaving an
    # orphan to serve, naming this clause; one that detaches a moment after
    # it listens is caught here.
    procs.wait_until(lambda: not server.alive(), settings.settle)
    server.assert_alive("start-up, with no client yet: it must run in the foreground")
    own = procfs.socket_inodes(server.pid)
    for pid in procfs.descendants(server.pid):
        own |= procfs.socket_inodes(pid)
    assert own & server.listen_inodes, (
        "the listening socket is held only by processes that left the server's tree "
        "(orphans the suite adopted): the server detached a process to serve")


@pytest.mark.clause("S-END-4")
def test_listen_backlog_holds_clients_that_connect_at_once(server):
    # Judged from the listening socket itself (sock_diag), not by overflowing
    # it: an overflow loses connections only when the scheduler makes the
    # server late, so a run would fail one time in two.
    small = sorted({q.backlog for q in sockdiag.listeners()
                    if q.inode in server.listen_inodes and q.backlog < BACKLOG})
    assert not small, (
        f"the server listens with a backlog of {small[0]}: when more clients than that "
        f"connect at once and the server is a moment late to accept, the kernel drops "
        f"their handshakes, and resets connections the clients already write to "
        f"(give listen() {BACKLOG} or more; the classic text uses 1024)")
