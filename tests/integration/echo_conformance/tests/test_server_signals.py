"""SIGCHLD and EINTR: a signal that interrupts the server's wait for
connections must not stop it accepting, disturb its children, or leave it
stuck in its handler.  Judged by behaviour alone, so any way of waiting
(accept, poll, a sleep between non-blocking accepts, on any machine) is
judged the same."""

import signal

import pytest

from echo_conformance import net, procfs, procs

pytestmark = pytest.mark.server

SIGNALS = 20


def send_sigchld(server):
    """SIGNALS times SIGCHLD, each once the server has handled the one
    before (seen in /proc where possible); stops early when the server
    dies: the checks that follow say what went wrong."""
    watch = server.wait_idle()
    for _ in range(SIGNALS):
        if not server.alive() or not server.signal_and_settle(signal.SIGCHLD, watch):
            return


def held_connections(server, n):
    """n connections, each proven served, kept open: their children live."""
    socks = server.connect_many(n)
    net.echo_many(socks, [f"child {i} alive\n".encode() for i in range(n)],
                  "the echo before the signals")
    return socks


@pytest.mark.clause("S-SIG-1")
def test_sigchld_while_idle_does_not_stop_accepting(server):
    # No child exists, so none has exited: only the interruption is tested.
    send_sigchld(server)
    server.assert_serving(f"{SIGNALS} SIGCHLD signals while waiting for connections")


@pytest.mark.clause("S-SIG-2")
def test_sigchld_with_live_children_does_not_disturb_them(server):
    socks = held_connections(server, 5)
    send_sigchld(server)
    server.assert_alive(f"{SIGNALS} SIGCHLD signals with children alive")
    net.echo_many(socks, [f"connection {i} after\n".encode() for i in range(len(socks))],
                  "the echo on a connection open during the signals")


@pytest.mark.clause("S-SIG-3")
def test_new_client_is_accepted_promptly_after_sigchld(server, settings):
    # With children alive, no child has exited: a handler that waits for
    # one (wait(), or waitpid() without WNOHANG) blocks until a child ends,
    # and meanwhile nobody is accepted.  Accepted is judged by the listen
    # queue emptying (sock_diag), so that how fast the echo comes back
    # (S-ECHO-3's business) does not matter here.
    held_connections(server, 3)
    server.signal_and_settle(signal.SIGCHLD, False)
    server.assert_alive("a SIGCHLD with 3 children alive")
    sock = server.connect()
    if not procs.wait_until(lambda: server.accept_queue() == 0, settings.prompt):
        blocked = (" It is blocked in a wait for a child (wait/waitpid)."
                   if server.alive() and procfs.blocked_in_wait_for_child(server.pid) else "")
        raise AssertionError(f"after a SIGCHLD with 3 children alive, a new client waited more "
                             f"than {settings.prompt:.1f} s in the listen queue: the server did "
                             f"not go back to accepting.{blocked}")
    net.echo_then_half_close(sock, b"accepted\n", "the echo for the client accepted after SIGCHLD")
