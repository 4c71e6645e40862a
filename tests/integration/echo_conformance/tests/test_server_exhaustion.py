"""Exhaustion: a server out of descriptors (started with a low
RLIMIT_NOFILE, and given more clients than that) waits for them to come
free: it keeps serving the clients it has, and serves new ones once some
leave."""

import pytest

from echo_conformance import net

pytestmark = pytest.mark.server


@pytest.mark.clause("S-EXH-1")
def test_out_of_descriptors_connected_clients_are_still_served(server_with_few_descriptors):
    server = server_with_few_descriptors
    first = server.use_up_descriptors()[0]
    net.echo(first, b"still served?\n", "the echo for a client connected before the server "
             "ran out of descriptors, while more wait")
    server.assert_alive("it ran out of descriptors")


@pytest.mark.clause("S-EXH-1")
def test_out_of_descriptors_server_serves_again_once_clients_leave(server_with_few_descriptors):
    server = server_with_few_descriptors
    server.use_up_descriptors()
    server.close_all()
    server.assert_serving("it ran out of descriptors and then every client left")
