"""Endurance: thousands of connections, each served.  One run, shared by the
tests of this module (keep them on one xdist worker: --dist loadgroup).

The connections go in a few lanes side by side, each lane one connection
after another: a slow but correct server is then not failed for its
slowness (the run has a duration budget), while a leak still accumulates."""

from dataclasses import dataclass, field

import pytest

from echo_conformance import procfs
from echo_conformance.budget import NotJudged

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("endurance"),
              pytest.mark.budget(120)]

CONNECTIONS = 2000
WARM = 500          # connections before memory is first measured
LANES = 8


@dataclass
class Run:
    served: int = 0
    failures: list = field(default_factory=list)
    rss_warm_kib: int = 0
    rss_end_kib: int = 0
    left: list = field(default_factory=list)    # processes still running at the end


@pytest.fixture(scope="module")
def endurance(start_module_server):
    server = start_module_server()
    baseline = server.live_tree()
    run = Run()
    run.served, failure = server.serve_in_lanes(range(WARM), LANES)
    if not failure:
        run.rss_warm_kib = procfs.rss_kib(server.pid)
        served, failure = server.serve_in_lanes(range(WARM, CONNECTIONS), LANES)
        run.served += served
    if failure:
        run.failures.append(failure)
    if why := server.gone(f"{run.served} connections"):
        run.failures.append(why)
        return run
    run.rss_end_kib = procfs.rss_kib(server.pid)
    server.wait_back_to(baseline)
    run.left = server.new_processes(baseline)
    return run


@pytest.mark.clause("S-END-1")
def test_thousands_of_connections_are_served(endurance, timeout):
    assert not endurance.failures, (f"after {endurance.served} of {CONNECTIONS} connections: "
                                    f"{endurance.failures[0]}")
    left = endurance.left
    assert not left, (f"{len(left)} process(es) that served the {CONNECTIONS} connections still "
                      f"run {timeout:.0f} s after the last one closed (pids "
                      f"{', '.join(str(p.pid) for p in left[:10])}): they pile up until a "
                      f"limit is reached")


@pytest.mark.clause("S-END-2")
def test_server_memory_stays_bounded(endurance, settings):
    if endurance.failures:
        raise NotJudged("the endurance run did not complete (see S-END-1)")
    if settings.valgrind_dir:
        raise NotJudged("under valgrind, resident memory says nothing of the program's own: "
                        "memory is judged by valgrind (S-MEM-1, S-MEM-2)")
    growth = endurance.rss_end_kib - endurance.rss_warm_kib
    assert growth < 1024, (f"the server's resident memory grew by {growth} KiB between "
                           f"connection {WARM} and connection {CONNECTIONS}: "
                           f"about {growth * 1024 // (CONNECTIONS - WARM)} bytes per connection")
