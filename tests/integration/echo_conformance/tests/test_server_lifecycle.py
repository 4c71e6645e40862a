"""Lifecycle: a server that cannot listen says so and fails; SIGTERM ends
the server promptly, to the root or to its whole process group, leaves no
process behind once its clients are gone, and the port is free for the next
server at once."""

import os
import select
import signal
import socket
import subprocess
import time

import pytest

from echo_conformance import net, procfs, procs
from echo_conformance.budget import NotJudged
from echo_conformance.program import describe_status
from echo_conformance.server import Server

pytestmark = pytest.mark.server


def busy_when_signalled(server):
    """A silent client stays connected and the server is seen running a
    moment later, so that a stop after SIGTERM is the signal's doing, not a
    server that exits by itself once idle."""
    net.echo(server.connect(), b"serving\n", "the echo before SIGTERM")
    server.connect()        # connects, then says nothing: the server is not idle
    time.sleep(server.settings.prompt)
    server.assert_alive("its clients connected, before any SIGTERM")


def terminate(server):
    """SIGTERM; the exit status, or a failure when the server does not stop
    (S-LIFE-1's own verdict)."""
    status = server.terminate()
    assert status is not None, (f"the server still runs {server.timeout:.0f} s after SIGTERM, "
                                f"with a client connected; its output:\n{server.output()}")
    return status


def terminate_or_not_judged(server):
    """SIGTERM for the clauses about what follows it: when the server does
    not stop, they cannot be judged (S-LIFE-1 fails for that)."""
    status = server.terminate()
    if status is None:
        raise NotJudged(f"the server did not stop within {server.timeout:.0f} s of SIGTERM "
                        f"(S-LIFE-1), so what follows the stop cannot be observed")
    return status


def restart_on_same_port(server, start_server, situation):
    try:
        return start_server(server.port)
    except pytest.fail.Exception as e:
        pytest.fail(f"a new server could not use port {server.port} right after the old one "
                    f"exited, {situation}: {e}", pytrace=False)


@pytest.mark.clause("S-LIFE-1")
def test_sigterm_stops_the_server(server):
    busy_when_signalled(server)
    terminate(server)


@pytest.mark.clause("S-LIFE-6")
def test_sigterm_exit_status_is_zero(server):
    busy_when_signalled(server)
    status = terminate(server)
    assert status == 0, f"SIGTERM ended the server with {describe_status(status)}, not exit status 0"


@pytest.mark.clause("S-LIFE-2")
def test_port_is_reusable_after_sigterm_despite_time_wait(server, start_server):
    socks = server.connect_many(3)
    net.echo_many(socks, [b"soon in TIME_WAIT\n"] * 3)
    terminate_or_not_judged(server)
    # As a service manager stopping the service does: end what is left of
    # it, so that the server's side closes first and its end of each
    # connection waits in TIME_WAIT on the server's port.
    server.kill_family(server.timeout)
    for i, sock in enumerate(socks):
        net.recv_until_eof(sock, f"the end of connection {i}")
    server.close_all()
    # The clients' FINs reach the server's side a moment later (later still
    # on a loaded machine): only then does it enter TIME_WAIT.
    if not procs.wait_until(lambda: any(s.local_port == server.port and
                                        s.state == procfs.TCP_TIME_WAIT
                                        for s in procfs.tcp_sockets()), server.timeout):
        raise NotJudged("no connection of the old server entered TIME_WAIT on its port, so "
                        "the port's reuse despite TIME_WAIT cannot be observed")
    again = restart_on_same_port(server, start_server, "with its connections in TIME_WAIT")
    net.echo(again.connect(), b"new server\n", "the echo from the new server")


@pytest.mark.clause("S-LIFE-3")
def test_port_is_reusable_while_old_client_is_connected(server, start_server):
    net.echo(server.connect(), b"stay connected\n", "the echo before SIGTERM")
    terminate_or_not_judged(server)
    again = restart_on_same_port(server, start_server, "while one of its clients is still connected")
    net.echo(again.connect(), b"new server\n", "the echo from the new server")


def answer_after_sigterm(socks, timeout):
    """Send a line on every connection and collect each one's fate: its
    echo, b"" for an end of file, "reset", or None when nothing came for the
    timeout (a silence shared by all: one select() over the lot)."""
    fate = {}
    for sock in socks:
        try:
            sock.sendall(b"after\n")
        except (BrokenPipeError, ConnectionResetError):
            fate[sock] = "reset"
    got = {sock: b"" for sock in socks if sock not in fate}
    while len(fate) < len(socks):
        waiting = [sock for sock in socks if sock not in fate]
        readable = select.select(waiting, [], [], timeout)[0]
        if not readable:
            break
        for sock in readable:
            try:
                chunk = sock.recv(64)
            except ConnectionResetError:
                fate[sock] = "reset"
                continue
            got[sock] += chunk
            if not chunk or got[sock] == b"after\n":
                fate[sock] = got[sock]
    return [fate.get(sock) for sock in socks]


@pytest.mark.clause("S-LIFE-4")
def test_connected_clients_are_served_or_closed_after_sigterm(server, settings):
    socks = server.connect_many(settings.clients)
    net.echo_many(socks, [b"before\n"] * len(socks), "the echo before SIGTERM")
    terminate_or_not_judged(server)
    fates = answer_after_sigterm(socks, server.timeout)
    hanging = fates.count(None)
    assert not hanging, (f"after SIGTERM, {hanging} of {len(socks)} connected clients got neither "
                         f"their echo nor an end of file or a reset for {server.timeout:.0f} s: "
                         f"they hang")
    odd = [f for f in fates if f not in (b"after\n", b"", "reset")]
    assert not odd, f"after SIGTERM, clients got {odd[:3]!r} instead of their echo or an end"


@pytest.mark.clause("S-LIFE-5")
def test_no_process_outlives_sigterm_and_its_connections(server, settings, timeout):
    socks = server.connect_many(settings.clients)
    net.echo_many(socks, [b"before\n"] * len(socks), "the echo before SIGTERM")
    tree = list(server.tree().values())
    terminate_or_not_judged(server)
    server.close_all()
    gone = procs.wait_until(lambda: all(procfs.ended(p) for p in tree), timeout,
                            progress=lambda: sum(procfs.ended(p) for p in tree))
    left = [f"{p.pid} ({procfs.comm(p.pid)})" for p in tree if not procfs.ended(p)]
    assert gone, (f"{len(left)} process(es) of the old server still run {timeout:.0f} s after "
                  f"SIGTERM and the end of their connections: {', '.join(left[:10])}")


@pytest.mark.clause("S-LIFE-7")
def test_sigterm_to_the_process_group_ends_every_process(server, settings, timeout):
    # Each client echoed first, so that each has its process when the
    # signal goes: a connection still in the listen queue would be served
    # by a child born after it, which no group signal reached.
    for n, sock in enumerate(server.connect_many(3), 1):
        net.echo(sock, b"before\n", f"the echo for client {n} of 3, all connected, before SIGTERM")
    # As a service manager stopping the service: SIGTERM to every process
    # of the server's process group at once, clients still connected.  The
    # processes of the tree in that group get it (never the suite's own).
    group = os.getpgid(server.pid)
    tree = [p for p in server.tree().values() if not procfs.ended(p)]
    members = [server.pid, *(p.pid for p in tree if _group_of(p.pid) == group)]
    server.stopping = True
    for pid in members:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass        # ended already, by the SIGTERM of a process signalled before
    gone = procs.wait_until(lambda: not server.alive() and all(procfs.ended(p) for p in tree),
                            timeout, progress=lambda: sum(procfs.ended(p) for p in tree))
    left = [f"{p.pid} ({procfs.comm(p.pid)})" for p in tree if not procfs.ended(p)]
    if server.alive():
        left.insert(0, f"{server.pid} (the server itself)")
    assert gone, (f"{len(left)} process(es) of the server still run {timeout:.0f} s after SIGTERM "
                  f"was sent to its whole process group, with their clients still connected: "
                  f"{', '.join(left[:10])}")


def _group_of(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@pytest.mark.clause("S-START-1")
def test_server_that_cannot_listen_exits_non_zero_saying_why(settings, tmp_path, timeout):
    # Another socket holds the port, on every address.
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        srv = Server(settings.server_cmd, port, settings, tmp_path / f"server-{port}-taken.log")
        try:
            srv.spawn()
            try:
                status = srv.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                status = None
            where = sorted({s.local_port for s in procfs.tcp_sockets(listening_only=True)
                            if s.inode in srv.tree_socket_inodes()}) if status is None else []
        finally:
            srv.stop()
    elsewhere = f": it listens on port {', '.join(map(str, where))} instead" if where else ""
    assert status is not None, (f"the server still runs {timeout:.0f} s after it was started on "
                                f"port {port}, which another socket holds{elsewhere}; it must "
                                f"exit, saying why")
    assert status != 0, (f"the server could not listen on port {port} (another socket holds "
                         f"it) and exited with status 0, which scripts and service managers "
                         f"take for success")
    assert srv.output() not in ("(none)", "(nothing)"), (
        f"the server could not listen on port {port} and exited with {describe_status(status)} "
        f"without a word on its output: it must say why")
