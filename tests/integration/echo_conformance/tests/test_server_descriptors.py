"""Descriptor hygiene, seen in /proc/PID/fd: the server closes what it hands
to its children, and children close the listening socket."""

import time

import pytest

from echo_conformance import net, procfs, procs

pytestmark = pytest.mark.server

CONNECTIONS = 300
LANES = 4


@pytest.mark.clause("S-FD-1")
def test_server_descriptor_count_returns_to_baseline(server, timeout):
    # A few connections first, so that descriptors opened once and kept
    # (a log file, a resolver socket) are already in the baseline.
    for i in range(3):
        net.one_connection(server.port, server.timeout, i)
    time.sleep(0.2)     # let the server close the last of them
    baseline = procfs.fd_count(server.pid)
    served, failure = server.serve_in_lanes(range(CONNECTIONS), LANES)
    assert not failure, f"after {served} of {CONNECTIONS} connections: {failure}"
    back = procs.wait_until(lambda: procfs.fd_count(server.pid) <= baseline, timeout,
                            progress=lambda: procfs.fd_count(server.pid))
    server.assert_alive(f"{CONNECTIONS} connections")
    now = procfs.fd_count(server.pid)
    assert back, (f"the server process holds {now} descriptors after {CONNECTIONS} closed "
                  f"connections, {baseline} before them: {now - baseline} leaked")
    server.assert_serving(f"{CONNECTIONS} connections")


def connected_children(server, n):
    net.echo_many(server.connect_many(n), [b"hold\n"] * n)
    return server.live_tree()


@pytest.mark.clause("S-FD-2")
def test_children_do_not_hold_the_listening_socket(server):
    tree = connected_children(server, 3)
    listening = server.listen_inodes | {s.inode for s in procfs.listeners(server.port)}
    holders = [f"{pid} ({procfs.comm(pid)})" for pid in tree
               if procfs.socket_inodes(pid) & listening]
    assert not holders, (f"{len(holders)} of the server's {len(tree)} child processes hold the "
                         f"listening socket: {', '.join(holders[:10])}")


@pytest.mark.clause("S-FD-3")
def test_each_child_holds_only_its_own_connection(server):
    tree = connected_children(server, 3)
    connections = procfs.connection_inodes()
    crowded = {pid: len(procfs.socket_inodes(pid) & connections) for pid in tree}
    crowded = {pid: n for pid, n in crowded.items() if n > 1}
    assert not crowded, ("child processes hold other clients' connections: " + ", ".join(
        f"{pid} ({procfs.comm(pid)}) holds {n}" for pid, n in list(crowded.items())[:10]))
