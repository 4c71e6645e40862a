"""Drift: state that changes a little with each connection or each signal
shows only after many rounds (a count of children kept per SIGCHLD instead
of per child reaped, a thread never joined, a descriptor kept by a worker).
One run, shared by the tests of this module: ROUNDS bursts of N clients
connected at once, each served, then all closed at the same instant; in
every other round the server's long-lived processes are stopped while the
clients close, so that the SIGCHLDs of their children merge for certain.
Between two rounds the tree goes back to its processes before the first."""

import signal
from dataclasses import dataclass

import pytest

from echo_conformance import net, procfs, procs
from echo_conformance.budget import NotJudged

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("drift"), pytest.mark.budget(120)]

ROUNDS = 20
# Mappings may come and go by a few without any leak (an allocator's
# arena, a cache of thread stacks): what is judged is growth with the
# rounds, which a leak of one per client makes hundreds.
MAPPING_SLACK = 32


@dataclass
class Run:
    rounds: int = 0             # bursts served after the first
    failure: str = ""
    before: procfs.Footprint = None
    after: procfs.Footprint = None


def burst(server, n, number, stop):
    """n clients connected at once, each served its own data, then all
    closed at once; with stop, the processes there before them (those their
    SIGCHLDs go to) are stopped while the clients close and the processes
    serving them end.  Returns once the tree is back to its processes
    before the burst."""
    before = server.live_tree()
    socks = server.connect_many(n)
    net.echo_many(socks, [f"round {number}, client {i} of {n}\n".encode() for i in range(n)],
                  f"the echo in round {number} of {ROUNDS}")
    serving = server.new_processes(before)
    stopped = [server.pid, *before] if stop else []
    procs.signal_each(stopped, signal.SIGSTOP)
    try:
        server.close_all()
        procs.wait_until(lambda: all(procfs.ended(p) for p in serving), server.timeout,
                         progress=lambda: sum(procfs.ended(p) for p in serving))
    finally:
        procs.signal_each(stopped, signal.SIGCONT)
    assert server.wait_back_to(before), (
        f"round {number}: {len(server.new_processes(before))} of the processes that served "
        f"its clients still run {server.timeout:.0f} s after they closed")
    server.assert_alive(f"round {number} of {ROUNDS}")


@pytest.fixture(scope="module")
def drift(start_module_server, settings):
    server = start_module_server()
    run = Run()
    try:
        # A first round sets up what a server makes once and keeps (a
        # table grown to N, a cache of thread stacks): the baseline follows.
        burst(server, settings.clients, 0, stop=False)
        pids = procs.tree_pids(server)
        run.before = procfs.footprint(pids)
        for number in range(1, ROUNDS + 1):
            burst(server, settings.clients, number, stop=number % 2 == 1)
            run.rounds = number
    except AssertionError as e:
        run.failure = f"after {run.rounds} of {ROUNDS} rounds: {e}"
        return run

    def now():
        return procfs.footprint(procs.tree_pids(server))
    procs.wait_until(lambda: not now().exceeds(run.before, MAPPING_SLACK), server.timeout,
                     progress=now)
    run.after = now()
    return run


@pytest.mark.clause("S-DRIFT-1")
def test_capacity_does_not_drift_over_rounds_of_simultaneous_closes(drift, settings):
    assert not drift.failure, (f"rounds of {settings.clients} clients connected at once, "
                               f"then closing at the same instant: {drift.failure}")


@pytest.mark.clause("S-DRIFT-2")
def test_threads_descriptors_and_mappings_do_not_accumulate(drift, settings):
    if drift.failure:
        raise NotJudged("the rounds did not complete (see S-DRIFT-1)")
    grew = drift.after.exceeds(drift.before, MAPPING_SLACK)
    assert not grew, (f"after {ROUNDS} rounds of {settings.clients} clients, once every one "
                      f"has closed, the server's processes hold {grew}")
