"""An idle server sleeps: waiting for connections, or for silent clients,
costs no CPU.  Seen in /proc/PID/stat, over the whole tree."""

import time

import pytest

from echo_conformance import net, procfs

pytestmark = pytest.mark.server

WINDOW = 3.0        # seconds watched
MAX_SHARE = 0.05    # of one CPU


def tree_cpu(server):
    """CPU seconds used by the server (with the children it reaped) and by
    every live process of its tree."""
    return procfs.cpu_seconds(server.pid, children=True) + sum(
        procfs.cpu_seconds(pid) for pid in server.live_tree())


def assert_sleeps(server, situation):
    """Watch the tree for WINDOW seconds; it must use under MAX_SHARE of
    one CPU.  A process that polls without blocking (a non-blocking accept
    in a loop, a poll with a zero timeout) uses a whole CPU instead."""
    before = tree_cpu(server)
    time.sleep(WINDOW)
    server.assert_alive(situation)
    used = tree_cpu(server) - before
    assert used <= MAX_SHARE * WINDOW, (
        f"the server's processes used {used:.2f} s of CPU in {WINDOW:.0f} s while {situation} "
        f"({100 * used / WINDOW:.0f}% of a CPU; at most {100 * MAX_SHARE:.0f}%): an idle server "
        f"blocks until there is work (accept, poll with a timeout), it does not spin")


@pytest.mark.clause("S-IDLE-1")
def test_server_without_clients_sleeps(server):
    net.echo(server.connect(), b"warm up\n", "the echo before the idle time")
    server.close_all()
    assert_sleeps(server, "no client was connected")
    server.assert_serving("the idle time")


@pytest.mark.clause("S-IDLE-1")
def test_server_with_silent_clients_sleeps(server):
    socks = server.connect_many(3)
    net.echo_many(socks, [b"then silence\n"] * 3)
    assert_sleeps(server, "3 connected clients said nothing")
    server.assert_serving("the idle time")
