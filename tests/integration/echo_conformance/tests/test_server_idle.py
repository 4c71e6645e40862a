"""An idle server sleeps: waiting for connections, for silent clients, for a
client that does not read, or for descriptors to come free costs no CPU.
Seen in /proc/PID/stat, over the whole tree."""

import pytest

from echo_conformance import net
from echo_conformance.server import WAITING

pytestmark = pytest.mark.server


@pytest.mark.clause("S-IDLE-1")
def test_server_without_clients_sleeps(server):
    net.echo(server.connect(), b"warm up\n", "the echo before the idle time")
    server.close_all()
    server.assert_sleeps("no client was connected")
    server.assert_serving("the idle time")


@pytest.mark.clause("S-IDLE-1")
def test_server_with_silent_clients_sleeps(server):
    socks = server.connect_many(3)
    net.echo_many(socks, [b"then silence\n"] * 3)
    server.assert_sleeps("3 connected clients said nothing")
    server.assert_serving("the idle time")


@pytest.mark.clause("S-IDLE-1")
def test_server_with_a_client_that_never_reads_sleeps(server):
    # The server can neither write to this client nor, once its own buffer
    # is full, take more from it: a poll() that still asks for input from
    # it returns at once, for ever.
    _, sent = server.connect_hog()
    server.assert_sleeps(f"a client had written {sent >> 20} MiB without reading")
    server.assert_serving("a client wrote without reading")


@pytest.mark.clause("S-IDLE-1")
def test_server_out_of_descriptors_sleeps(server_with_few_descriptors):
    # accept() fails (EMFILE) while connections wait: retried at once, it
    # keeps a CPU busy until a client leaves.
    server = server_with_few_descriptors
    server.use_up_descriptors()
    server.assert_sleeps(f"it was started with {server.nofile} descriptors and {WAITING} "
                         f"more clients than it had left connected")
