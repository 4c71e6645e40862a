"""Child reaping, seen in /proc: no zombie stays while the server sits idle,
and no child outlives its connection.  A server without children passes
trivially."""

import signal

import pytest

from echo_conformance import net, procfs, procs

pytestmark = pytest.mark.server

def connect_and_echo(server, n):
    """n connections, each proven served; returns them and the processes
    that serve them."""
    before = server.live_tree()
    socks = server.connect_many(n)
    net.echo_many(socks, [f"connection {i}\n".encode() for i in range(n)])
    return socks, server.new_processes(before)


@pytest.mark.clause("S-REAP-1")
def test_no_zombie_after_clients_close_one_by_one(server):
    served_by = []
    for _ in range(5):
        socks, serving = connect_and_echo(server, 1)
        socks[0].close()
        served_by += serving
    server.assert_no_zombies(served_by)


@pytest.mark.clause("S-REAP-2")
def test_no_zombie_after_simultaneous_closes(server, settings):
    socks, served_by = connect_and_echo(server, settings.clients)
    for sock in socks:      # all in one burst: their SIGCHLDs overlap
        sock.close()
    server.assert_no_zombies(served_by)


@pytest.mark.clause("S-REAP-2")
def test_no_zombie_after_children_end_while_the_server_is_stopped(server):
    # The burst above leaves the merging of signals to the scheduler.  Here
    # it is certain: the server and whichever processes of its tree forked
    # the children (a worker under a supervisor) are stopped while the
    # children end, so their SIGCHLDs can only merge into one, and one run
    # of the handler (or of whatever reaps) must collect them all.  Only
    # processes that were there before the clients came are stopped: one
    # that serves a connection and has a child of its own (socat or ncat
    # running cat) must stay free to see its client leave and end.
    before = server.live_tree()
    socks, served_by = connect_and_echo(server, 8)
    parents = sorted({server.pid} | {p.ppid for p in served_by if p.ppid in before})
    procs.signal_each(parents, signal.SIGSTOP)
    try:
        for sock in socks:
            sock.close()
        procs.wait_until(lambda: all(procfs.ended(p) for p in served_by), server.timeout,
                         progress=lambda: sum(procfs.ended(p) for p in served_by))
    finally:
        procs.signal_each(parents, signal.SIGCONT)
    server.assert_no_zombies(served_by)


@pytest.mark.clause("S-REAP-3")
def test_no_zombie_after_clients_killed_mid_transfer(server):
    before = server.live_tree()
    streamers = server.start_streamers(8)
    served_by = server.new_processes(before)
    procs.kill_all(streamers)
    server.assert_no_zombies(served_by)


@pytest.mark.clause("S-REAP-4")
def test_no_zombie_after_connections_reset(server):
    socks, served_by = connect_and_echo(server, 20)
    for sock in socks:
        net.reset(sock)
    server.assert_no_zombies(served_by)


@pytest.mark.clause("S-REAP-5")
def test_children_end_with_their_connections(server, timeout):
    baseline = server.live_tree()
    socks, _ = connect_and_echo(server, 10)
    server.close_all()
    ended = server.wait_back_to(baseline)
    extra = server.new_processes(baseline)
    assert ended, (f"{len(extra)} process(es) of the server's tree still run {timeout:.0f} s "
                   f"after every client closed (pids {', '.join(str(p.pid) for p in extra[:10])}"
                   f"; {len(baseline)} before the clients came)")
    server.assert_serving("its clients closed")


@pytest.mark.clause("S-REAP-5")
def test_children_end_when_their_clients_are_killed(server, timeout):
    before = server.live_tree()
    streamers = server.start_streamers(8)
    served_by = server.new_processes(before)
    procs.kill_all(streamers)
    ended = procs.wait_until(lambda: all(procfs.ended(p) for p in served_by), timeout,
                             progress=lambda: sum(procfs.ended(p) for p in served_by))
    left = [f"{p.pid} ({procfs.comm(p.pid)}, in {'/'.join(procfs.syscall_names(p.pid)) or 'no call'})"
            for p in served_by if not procfs.ended(p)]
    assert ended, (f"{len(left)} process(es) that served clients killed mid-transfer still run "
                   f"{timeout:.0f} s later: {', '.join(left[:10])}")
    server.assert_serving("its clients were killed")
