"""Hostile and vanishing clients: resets by the thousand, half-closed
clients that never read, client processes killed mid-transfer, more clients
than the server serves at once."""

import os
import socket

import pytest

from echo_conformance import net, procs

pytestmark = pytest.mark.server

RESETS = 2000
BEYOND = 4      # times N clients connect at once for S-RES-4


@pytest.mark.budget(120)       # a storm of 2000 connections, like the endurance run
@pytest.mark.clause("S-RES-1")
def test_server_survives_thousands_of_resets(server, timeout):
    baseline = server.live_tree()
    for _ in range(RESETS):
        server.wait_accept_queue()
        net.reset(net.connect(server.port, timeout))

    # The server may still be working through the storm (slowly under
    # valgrind): wait while it makes progress, until it is back to idle.
    def load():
        return server.accept_queue(), len(server.live_tree())

    def idle():
        queued, processes = load()
        return queued == 0 and processes <= len(baseline)
    back = procs.wait_until(lambda: not server.alive() or idle(), timeout, progress=load)
    server.assert_serving(f"{RESETS} connections reset at once")
    assert back, (f"{load()[1] - len(baseline)} processes serving reset connections still "
                  f"run, and {load()[0]} connections wait to be accepted, after "
                  f"{timeout:.0f} s without progress")
    server.assert_no_zombies([])


@pytest.mark.clause("S-RES-2")
def test_half_closed_clients_do_not_delay_others(server):
    for i, sock in enumerate(server.connect_many(5)):
        net.send(sock, os.urandom(64 << 10), f"sending on half-closed connection {i}")
        sock.shutdown(socket.SHUT_WR)
    net.echo(server.connect(), b"am I served?\n",
             "the echo for a client while 5 half-closed clients never read")


@pytest.mark.clause("S-RES-3")
def test_server_serves_after_clients_killed_mid_transfer(server):
    procs.kill_all(server.start_streamers(8))
    server.assert_serving("8 clients were killed mid-transfer")


@pytest.mark.clause("S-RES-4")
def test_server_survives_more_clients_than_it_serves_at_once(server, settings):
    # Whatever a server's own limit on clients, the ones past it wait or
    # are refused: a fixed table that overflows must not end the server.
    n = settings.clients
    first = server.connect_many(n)[0]
    for _ in range((BEYOND - 1) * n):
        server.knock()
    procs.wait_until(lambda: not server.alive() or server.accept_queue() == 0,
                     settings.prompt, progress=server.accept_queue)
    situation = f"{BEYOND * n} clients connected at once"
    server.assert_alive(situation)
    net.echo(first, b"first\n", f"the echo for the first of {situation}")
    server.close_all()
    server.assert_serving(f"{situation} and left")
