"""Scale, only with --scale N: N connections held at once, each served,
while the server still takes new clients; then all of them let go."""

import resource

import pytest

from echo_conformance import net
from echo_conformance.budget import NotJudged

pytestmark = [pytest.mark.server, pytest.mark.budget(600)]

# Descriptors the suite keeps for itself besides the held connections.
SPARE_DESCRIPTORS = 64


@pytest.mark.clause("S-SCALE-1")
def test_many_connections_held_at_once(server, settings, timeout):
    n = settings.scale_connections
    room = resource.getrlimit(resource.RLIMIT_NOFILE)[0] - SPARE_DESCRIPTORS
    if n > room:
        raise NotJudged(f"the suite may open only {room} descriptors here, fewer than the "
                        f"{n} connections asked for: raise `ulimit -n` (the hard limit)")
    baseline = server.live_tree()
    socks = server.connect_many(n)
    net.echo_many(socks, [f"held {i}\n".encode() for i in range(n)], "the echo while held")
    server.assert_serving(f"{n} connections were opened and are still held")
    server.close_all()
    back = server.wait_back_to(baseline)
    extra = server.new_processes(baseline)
    assert back, (f"{len(extra)} process(es) that served the {n} held connections still run "
                  f"{timeout:.0f} s after they closed")
    server.assert_serving(f"{n} held connections closed")
