"""Time: a server judged over a few seconds shows nothing of what a timer,
an idle cut or a late busy loop does tens of seconds later.  Two servers
wait out one long silence (silence.py): one holds a client that says
nothing, the other has none.  The silence passes while the other tests run:
in one process these tests come last, under xdist one worker takes them
first.  --quick leaves this module out (the run is then never judged
conforming)."""

import pytest

from echo_conformance import net
from echo_conformance.settings import LONG_SILENCE

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("time"),
              pytest.mark.budget(LONG_SILENCE + 60)]


@pytest.mark.clause("S-TIME-2")
def test_server_alone_for_long_still_sleeps(long_silence):
    long_silence.alone.assert_sleeps(
        f"no client had connected for {long_silence.so_far():.0f} s")


@pytest.mark.clause("S-TIME-2")
def test_server_alone_for_long_still_serves(long_silence):
    long_silence.alone.assert_serving(f"{long_silence.so_far():.0f} s without a client")


@pytest.mark.clause("S-TIME-1")
def test_connection_silent_for_long_still_echoes(long_silence):
    silence = long_silence.so_far()
    long_silence.held.assert_alive(f"its client said nothing for {silence:.0f} s")
    net.echo(long_silence.silent, b"still there?\n",
             f"the echo on a connection silent for {silence:.0f} s")
