"""Exhaustion: a server out of descriptors (started with a low
RLIMIT_NOFILE, and given more clients than that) waits for them to come
free: it keeps serving the clients it has, and serves new ones once some
leave.  A server whose fork() fails (forkgate.py) lives on, does not retry
at once, and serves again once fork() works."""

import time

import pytest

from echo_conformance import net, procs
from echo_conformance.budget import NotJudged
from echo_conformance.server import IDLE_WINDOW

REFUSED_CLIENTS = 4
# Tries to create a process or thread in IDLE_WINDOW while every one fails:
# more is a retry at once (a pause under about 60 ms between tries).
MAX_TRIES = 50
# Seconds (scaled) without a fork() that say a server has started all it
# starts by itself; the same again lets one that ends on a failed fork() end.
QUIET = 0.5

pytestmark = pytest.mark.server


@pytest.mark.clause("S-EXH-1")
def test_out_of_descriptors_connected_clients_are_still_served(server_with_few_descriptors):
    server = server_with_few_descriptors
    first = server.use_up_descriptors()
    net.echo(first, b"still served?\n", "the echo for a client connected before the server "
             "ran out of descriptors, while more wait")
    server.assert_alive("it ran out of descriptors")


@pytest.mark.clause("S-EXH-1")
def test_out_of_descriptors_server_serves_again_once_clients_leave(server_with_few_descriptors):
    server = server_with_few_descriptors
    server.use_up_descriptors()
    server.close_all()
    server.assert_serving("it ran out of descriptors and then every client left")


def refuse_forks(server):
    """A client served first; then every fork() and clone() of the server's
    tree fails with EAGAIN, and REFUSED_CLIENTS more connect.  Returns the
    first client, once the server has had a try at serving the others (none
    for a server that creates nothing per client)."""
    if server.gate.unavailable:
        raise NotJudged(server.gate.unavailable)
    first = server.connect()
    net.echo(first, b"before\n", "the echo for a client connected before fork() failed")
    # A server may still be starting processes of its own (prefork
    # workers): the gate closes once it has made none for a while.
    quiet = QUIET * server.settings.scale
    deadline = time.monotonic() + server.timeout
    calls = -1
    while calls != server.gate.calls and time.monotonic() < deadline:
        calls = server.gate.calls
        time.sleep(quiet)
    server.gate.open = False
    for _ in range(REFUSED_CLIENTS):
        server.connect()
    procs.wait_until(lambda: server.gate.refused > 0, server.timeout)
    time.sleep(quiet)
    return first


def refused(server):
    n = server.gate.refused
    return f"fork() failed with EAGAIN ({n} call{'s' if n != 1 else ''} refused)"


@pytest.mark.clause("S-EXH-2")
def test_fork_failing_server_keeps_serving_its_clients(server_with_fork_gate):
    server = server_with_fork_gate
    first = refuse_forks(server)
    server.assert_alive(refused(server))
    net.echo(first, b"still served?\n", "the echo for a client connected before fork() "
             "began to fail")


@pytest.mark.clause("S-EXH-2")
def test_fork_failing_server_does_not_retry_at_once(server_with_fork_gate):
    server = server_with_fork_gate
    refuse_forks(server)
    before = server.gate.refused
    time.sleep(IDLE_WINDOW)
    tries = server.gate.refused - before
    server.assert_alive(refused(server))
    assert tries <= MAX_TRIES, (
        f"the server's processes tried fork() (or clone()) {tries} times in "
        f"{IDLE_WINDOW:.0f} s while it failed with EAGAIN for {REFUSED_CLIENTS} waiting "
        f"clients: a failed fork() is not retried at once; close the client (or leave "
        f"it waiting) and pause before the next try")


@pytest.mark.clause("S-EXH-2")
def test_fork_failing_server_serves_again_once_it_can(server_with_fork_gate):
    server = server_with_fork_gate
    refuse_forks(server)
    server.gate.open = True
    server.assert_serving(f"{refused(server)} and then worked again")
