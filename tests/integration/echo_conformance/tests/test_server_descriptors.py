"""Descriptor hygiene, seen in /proc/PID/fd: every process of the tree
closes what it does not serve, wherever the accepting happens (the root,
a worker under a supervisor, several prefork workers)."""

import time

import pytest

from echo_conformance import net, procfs, procs

pytestmark = pytest.mark.server

CONNECTIONS = 300
LANES = 4


@pytest.mark.clause("S-FD-1")
def test_tree_descriptor_count_returns_to_baseline(server, timeout):
    # A few connections first, so that descriptors opened once and kept
    # (a log file, a resolver socket, a worker started on demand) are
    # already in the baseline.
    for i in range(3):
        net.one_connection(server.port, server.timeout, i)
    time.sleep(0.2)     # let the server close the last of them
    # The processes there now accept, wherever they sit in the tree; those
    # that appear later serve connections, and outliving them is S-REAP-5's.
    lasting = [p for p in map(procfs.proc, procs.tree_pids(server)) if p]
    baseline = {p.pid: procfs.fd_count(p.pid) for p in lasting}
    served, failure = server.serve_in_lanes(range(CONNECTIONS), LANES)
    assert not failure, f"after {served} of {CONNECTIONS} connections: {failure}"

    def now():
        return {p.pid: procfs.fd_count(p.pid) for p in lasting if not procfs.ended(p)}
    back = procs.wait_until(lambda: sum(now().values()) <= sum(baseline.values()), timeout,
                            progress=lambda: sum(now().values()))
    server.assert_alive(f"{CONNECTIONS} connections")
    grown = [f"{pid} ({procfs.comm(pid)}) holds {n}, {baseline[pid]} before"
             for pid, n in now().items() if n > baseline[pid]]
    assert back, (f"the server's long-lived processes hold {sum(now().values())} descriptors "
                  f"after {CONNECTIONS} closed connections, {sum(baseline.values())} before "
                  f"them: {', '.join(grown[:10])}")
    server.assert_serving(f"{CONNECTIONS} connections")


def connected(server, n):
    """n clients, each proven served; returns the processes that were not
    there before them (those started to serve them)."""
    before = server.live_tree()
    net.echo_many(server.connect_many(n), [b"hold\n"] * n)
    return server.new_processes(before)


@pytest.mark.clause("S-FD-2")
def test_processes_started_for_connections_do_not_hold_the_listening_socket(server):
    # A process that was there before any client (the server, a worker
    # under a supervisor, a prefork worker) may accept; one started for a
    # connection must not keep the listening socket.
    started = connected(server, 3)
    listening = server.listen_inodes | {s.inode for s in procfs.listeners(server.port)}
    holders = [f"{p.pid} ({procfs.comm(p.pid)})" for p in started
               if procfs.socket_inodes(p.pid) & listening]
    assert not holders, (f"{len(holders)} of the {len(started)} processes started for the "
                         f"clients hold the listening socket: {', '.join(holders[:10])}")


@pytest.mark.clause("S-FD-3")
def test_each_connection_is_held_by_one_process(server):
    # A process may serve many connections (an epoll worker does), but
    # only those it accepted or was handed: one held by two processes was
    # inherited through fork() by a process that does not serve it.
    connected(server, 3)
    clients = procfs.connection_inodes(server.port)
    holders = {}
    for pid in procs.tree_pids(server):
        for inode in procfs.socket_inodes(pid) & clients:
            holders.setdefault(inode, []).append(pid)
    shared = {inode: pids for inode, pids in holders.items() if len(pids) > 1}
    assert not shared, (f"{len(shared)} of the {len(holders)} client connections are held "
                        f"by more than one process: " + "; ".join(
                            "one by " + ", ".join(f"{pid} ({procfs.comm(pid)})" for pid in pids)
                            for pids in list(shared.values())[:5]))
