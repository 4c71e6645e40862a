"""Concurrency: every client is served while others are connected, whatever
those others do (nothing, write without reading)."""

import pytest

from echo_conformance import net

pytestmark = pytest.mark.server


def serve_all_at_once(server, n):
    """n clients connect, each sends its own message while all are connected,
    then each must read exactly its own message back."""
    socks = server.connect_many(n)
    messages = [f"client {i} of {n}: {'x' * (i % 50)}\n".encode() for i in range(n)]
    for sock, msg in zip(socks, messages):
        net.send(sock, msg, "sending while every client is connected")
    for i, (sock, msg) in enumerate(zip(socks, messages)):
        got = net.recv_exactly(sock, len(msg), f"the echo for client {i} of {n} connected at once")
        assert got == msg, f"client {i} got another client's data or garbage: {got!r}"


@pytest.mark.clause("S-CONC-1")
def test_simultaneous_clients_each_get_their_own_data(server, settings):
    serve_all_at_once(server, settings.clients)


@pytest.mark.clause("S-CONC-2")
def test_silent_client_does_not_delay_others(server):
    server.connect()        # connects and never sends
    net.echo(server.connect(), b"next client\n",
             "the echo for a client that arrived after a silent one")


@pytest.mark.clause("S-CONC-3")
def test_non_reading_client_does_not_delay_others(server):
    _, sent = server.connect_hog()
    net.echo(server.connect(), b"am I served?\n",
             f"the echo for a client while another has written {sent >> 20} MiB "
             f"without reading")


@pytest.mark.clause("S-CONC-4")
def test_two_hundred_simultaneous_clients(server):
    serve_all_at_once(server, 200)
