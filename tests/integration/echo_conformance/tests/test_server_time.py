"""Time: a server judged over a few seconds shows nothing of what a timer,
an idle cut or a late busy loop does tens of seconds later.  Two servers
wait out one long silence, shared by the tests of this module (one xdist
group, which the suite hands out first so that the rest of the run goes on
beside it): one holds a client that says nothing, the other has none.
--quick leaves this module out (the run is then never judged conforming)."""

import time

import pytest

from echo_conformance import net
from echo_conformance.server import IDLE_WINDOW
from echo_conformance.settings import LONG_SILENCE

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("time"),
              pytest.mark.budget(LONG_SILENCE + 60)]


@pytest.fixture(scope="module")
def quiet(start_module_server, settings):
    """(server holding a silent client, that client, server left alone, the
    silence in seconds), once the silence is over but for the window in
    which the lonely server's CPU is watched (the first test)."""
    held = start_module_server()
    silent = held.connect()
    net.echo(silent, b"then silence\n", "the echo before the long silence")
    alone = start_module_server()
    net.echo(alone.connect(), b"then nobody\n", "the echo before the long silence")
    alone.close_all()
    silence = settings.long_silence
    time.sleep(silence - IDLE_WINDOW)
    return held, silent, alone, silence


@pytest.mark.clause("S-TIME-2")
def test_server_alone_for_long_still_sleeps(quiet):
    _, _, alone, silence = quiet
    alone.assert_sleeps(f"no client had connected for {silence:.0f} s")


@pytest.mark.clause("S-TIME-2")
def test_server_alone_for_long_still_serves(quiet):
    _, _, alone, silence = quiet
    alone.assert_serving(f"{silence:.0f} s without a client")


@pytest.mark.clause("S-TIME-1")
def test_connection_silent_for_long_still_echoes(quiet):
    held, silent, _, silence = quiet
    held.assert_alive(f"its client said nothing for {silence:.0f} s")
    net.echo(silent, b"still there?\n", f"the echo on a connection silent for {silence:.0f} s")
