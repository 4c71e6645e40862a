"""Endurance: thousands of connections one after another.  One run, shared
by the tests of this module (keep them on one xdist worker: --dist loadgroup)."""

from dataclasses import dataclass

import pytest

from conformance import net, procfs

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("endurance")]

CONNECTIONS = 2000
WARM = 500          # connections before memory is first measured


@dataclass
class Run:
    served: int = 0
    failure: str = ""
    rss_warm_kib: int = 0
    rss_end_kib: int = 0


@pytest.fixture(scope="module")
def endurance(start_module_server):
    server = start_module_server()
    run = Run()
    try:
        for i in range(CONNECTIONS):
            if i == WARM:
                run.rss_warm_kib = procfs.rss_kib(server.pid)
            with net.connect(server.port, server.timeout) as sock:
                net.echo(sock, f"connection {i}\n".encode(), f"the echo on connection {i}")
            run.served += 1
        run.rss_end_kib = procfs.rss_kib(server.pid)
    except AssertionError as e:
        run.failure = str(e)
    if not server.alive():
        run.failure += f" The server is gone. Its output:\n{server.output()}"
    return run


@pytest.mark.clause("S-END-1")
def test_thousands_of_sequential_connections_are_served(endurance):
    assert not endurance.failure, (f"after {endurance.served} of {CONNECTIONS} sequential "
                                   f"connections: {endurance.failure}")


@pytest.mark.clause("S-END-2")
def test_server_memory_stays_bounded(endurance, settings):
    if endurance.failure:
        pytest.skip("the endurance run did not complete (S-END-1)")
    if settings.valgrind_dir:
        pytest.skip("under valgrind, memory is judged by valgrind (S-MEM-1)")
    growth = endurance.rss_end_kib - endurance.rss_warm_kib
    assert growth < 1024, (f"the server's resident memory grew by {growth} KiB between "
                           f"connection {WARM} and connection {CONNECTIONS}: "
                           f"about {growth * 1024 // (CONNECTIONS - WARM)} bytes per connection")
