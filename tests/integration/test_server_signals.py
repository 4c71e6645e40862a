"""SIGCHLD and EINTR: a signal that interrupts the server's wait for
connections must not stop it accepting, nor leave it stuck in its handler."""

import signal

import pytest

from conformance import net, procfs
from conformance.server import describe_status

pytestmark = pytest.mark.server

SIGNALS = 20


def assert_alive(server, after):
    assert server.alive(), (f"the server ended with {describe_status(server.popen.returncode)} "
                            f"after {after}. Its output:\n{server.output()}")


def send_sigchld(server):
    """SIGNALS times SIGCHLD, each once the server waits for connections
    again (when that can be seen); stops early when the server dies or does
    not come back to waiting: the checks that follow say what went wrong."""
    watch = server.wait_idle()
    for _ in range(SIGNALS):
        if not server.alive() or not server.signal_and_settle(signal.SIGCHLD, watch):
            return


@pytest.mark.clause("S-SIG-1")
def test_sigchld_while_idle_does_not_stop_accepting(server):
    # No child exists, so none has exited: only the interruption is tested.
    send_sigchld(server)
    assert_alive(server, f"{SIGNALS} SIGCHLD signals while waiting for connections")
    net.echo(server.connect(), b"still accepting?\n",
             f"the echo for a new client after {SIGNALS} SIGCHLD signals")


@pytest.mark.clause("S-SIG-2")
def test_sigchld_with_live_children_does_not_stop_service(server):
    socks = server.connect_many(5)
    for sock in socks:
        net.echo(sock, b"before\n", "the echo before the signals")
    send_sigchld(server)
    assert_alive(server, f"{SIGNALS} SIGCHLD signals with children alive")
    for i, sock in enumerate(socks):
        net.echo(sock, b"after\n", f"the echo on connection {i}, open during the signals")
    net.echo(server.connect(), b"new\n", "the echo for a new client after the signals")


@pytest.mark.clause("S-SIG-3")
def test_sigchld_handler_does_not_block(server):
    for sock in server.connect_many(3):
        net.echo(sock, b"alive\n", "the echo before the signal")
    if not server.wait_idle():
        pytest.skip(f"cannot see the server wait for connections: it is in "
                    f"{', '.join(procfs.syscall_names(server.pid)) or 'no system call'}")
    back = server.signal_and_settle(signal.SIGCHLD, True)
    stuck = "a wait for a child (wait/waitpid)" if procfs.blocked_in_wait_for_child(
        server.pid) else ", ".join(procfs.syscall_names(server.pid)) or "no system call"
    assert back, (f"after a SIGCHLD with 3 children alive, the server did not return to "
                  f"waiting for connections for {server.timeout:.0f} s: it is blocked in {stuck}")
