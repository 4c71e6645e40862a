"""Stopping the server: on SIGTERM or SIGINT it stops accepting, closes
the listening socket, ends the children (SIGTERM, then SIGKILL after a
grace period), reaps them all and exits 0, leaving no orphan and no
zombie.  SIGHUP is harmless.  --drain waits for the children instead of
ending them.

The suite is the subreaper of every server it starts, so a child the
server leaves behind would be re-parented here and found.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

import refkit
from echo_conformance import procfs, procs

GRACE = 5   # the reference's default -g


def open_served(server, n):
    """n connections, each echoed once, so that each has its child."""
    socks = []
    for i in range(n):
        sock = server.connect()
        sock.sendall(b"%d\n" % i)
        assert sock.recv(64) == b"%d\n" % i
        socks.append(sock)
    assert len(server.children()) == n
    return socks


def assert_all_ended(socks):
    """Each connection ends in EOF or a reset within a bound, then is closed."""
    for sock in socks:
        refkit.assert_ended(sock)
        sock.close()


def exit_status(server, seconds):
    try:
        return server.popen.wait(timeout=refkit.scaled(seconds))
    except subprocess.TimeoutExpired:
        pytest.fail(f"server still running {seconds} s after the signal: {server.log()}")


def tree_is_gone(server, tree):
    """No process of tree (Procs seen below the server) is running, and
    none is left re-parented to us, zombie or not."""
    return all(procfs.ended(p) for p in tree) and not procs.adopted()


def test_sigterm_with_100_connections_ends_everything_and_exits_0(start_server):
    """SIGTERM with 100 live connections: exit status 0 within the grace
    period, every client sees EOF or a reset (none hangs), no process of
    the server's tree remains."""
    # SPEC S-LIFE-1, S-LIFE-4, S-LIFE-5, S-LIFE-6, at 100 connections.
    server = start_server()
    socks = open_served(server, 100)
    tree = procfs.descendants(server.pid).values()
    server.signal(signal.SIGTERM)
    assert exit_status(server, GRACE + 5) == 0
    assert_all_ended(socks)
    assert refkit.wait_for(lambda: tree_is_gone(server, tree), 5)


def test_port_is_free_at_once_after_sigterm(start_server):
    """Right after the server has exited on SIGTERM (its connections ended
    by it), a new server binds the same port and serves."""
    # SPEC S-LIFE-2.
    server = start_server()
    socks = open_served(server, 10)
    server.signal(signal.SIGTERM)
    assert exit_status(server, GRACE + 5) == 0
    again = start_server(port=server.port)
    assert refkit.echo_once(again) == b"ping\n"
    for sock in socks:
        sock.close()


def test_sigint_ends_the_server_like_sigterm(start_server):
    """SIGINT (^C) ends the children, reaps them and exits 0."""
    server = start_server()
    socks = open_served(server, 3)
    tree = procfs.descendants(server.pid).values()
    server.signal(signal.SIGINT)
    assert exit_status(server, GRACE + 5) == 0
    assert tree_is_gone(server, tree)
    for sock in socks:
        sock.close()


def test_sigterm_at_the_child_cap_ends_queued_connections_too(start_server):
    """At its cap (-c 2) with two more clients waiting in the backlog, the
    server still obeys SIGTERM: exit 0, and the served and the queued
    clients all see EOF or a reset."""
    server = start_server("-c", "2")
    socks = open_served(server, 2)
    queued = [server.connect() for _ in range(2)]
    server.signal(signal.SIGTERM)
    assert exit_status(server, GRACE + 5) == 0
    assert_all_ended(socks + queued)


def test_child_that_survives_sigterm_is_killed_after_the_grace_period(start_server):
    """A child that does not act on SIGTERM (here: stopped with SIGSTOP,
    so the signal stays pending) is SIGKILLed once -g seconds have passed;
    the server still reaps it and exits 0."""
    server = start_server("-g", "1")
    socks = open_served(server, 2)
    stuck = server.children()[0]
    tree = procfs.descendants(server.pid).values()
    os.kill(stuck, signal.SIGSTOP)
    assert refkit.wait_for(lambda: refkit.state(stuck) == "T", 5)
    t0 = time.monotonic()
    server.signal(signal.SIGTERM)
    assert exit_status(server, 1 + 5) == 0
    assert time.monotonic() - t0 >= 0.9, "did not wait the grace period"
    assert tree_is_gone(server, tree)
    for sock in socks:
        sock.close()


def test_sigterm_does_not_sit_out_the_grace_period(start_server):
    """Children that end on SIGTERM are reaped as they go: with -g 60 the
    server still exits (0) within seconds, not after the grace period."""
    server = start_server("-g", str(int(refkit.scaled(60))))   # well past the bound below
    socks = open_served(server, 5)
    server.signal(signal.SIGTERM)
    assert exit_status(server, 10) == 0
    assert_all_ended(socks)


def test_drain_without_connections_exits_at_once(start_server):
    """With --drain and no client connected, SIGTERM ends the server (exit
    0) without waiting for anything."""
    server = start_server("--drain")
    server.signal(signal.SIGTERM)
    assert exit_status(server, 10) == 0


def test_drain_lets_open_connections_finish(start_server):
    """With --drain, SIGTERM closes the listening socket but leaves the
    children serving; the server exits 0 once the last client has left."""
    server = start_server("--drain")
    socks = open_served(server, 3)
    server.signal(signal.SIGTERM)
    assert refkit.wait_for(lambda: refused(server), 5), "still accepting"
    for i, sock in enumerate(socks):
        sock.sendall(b"after %d\n" % i)
        assert sock.recv(64) == b"after %d\n" % i
    socks.pop().close()
    socks.pop().close()
    assert server.wait_children(lambda kids: len(kids) == 1) != []
    assert server.popen.poll() is None, "exited with a client still connected"
    socks.pop().close()
    assert exit_status(server, 5) == 0


def test_second_sigterm_ends_a_draining_server(start_server):
    """A second SIGTERM during --drain ends the children after all: clients
    see EOF or a reset and the server exits 0."""
    server = start_server("--drain")
    socks = open_served(server, 2)
    server.signal(signal.SIGTERM)
    assert refkit.wait_for(lambda: refused(server), 5), "still accepting"
    server.signal(signal.SIGTERM)
    assert exit_status(server, GRACE + 5) == 0
    assert_all_ended(socks)


def refused(server):
    try:
        socket.create_connection(server.address(), timeout=refkit.scaled(5)).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sighup_is_harmless(start_server):
    """SIGHUP to the server's whole process group (as a hangup of its
    terminal would send) ends neither the server nor its children: an open
    connection keeps echoing and a new one is served."""
    server = start_server()
    with server.connect() as sock:
        sock.sendall(b"before\n")
        assert sock.recv(64) == b"before\n"
        os.killpg(server.pid, signal.SIGHUP)
        sock.sendall(b"after\n")
        assert sock.recv(64) == b"after\n"
        assert refkit.echo_once(server) == b"ping\n"
        assert server.popen.poll() is None
