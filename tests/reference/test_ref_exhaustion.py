"""Running out of descriptors and processes: on EMFILE or ENFILE from
accept the server logs once, keeps serving and recovers by itself without
a busy loop; when fork fails it closes that connection, logs, backs off
and recovers.

The parent closes each connection once it has forked, so it never holds
more than four descriptors of its own: 0-2 and the listening socket, 3.
Under `prlimit --nofile=4` every accept() therefore fails with EMFILE while
the connection stays queued - the case where a naive retry spins.  ENFILE
(the system-wide table) is not provoked: that would starve every other
process on the machine.
"""
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

import refkit
from echo_conformance import procfs

BACKING_OFF = "accept (backing off until resources free up)"
FORK_FAILED = "fork (dropping connections until it works again)"


# Soft limits only: raising them back needs no privilege (this machine's
# root may lack CAP_SYS_RESOURCE), so the hard limits are set well above.
HARD = 1024


def prlimit_pid(pid, wrapper=(), **limits):
    """Raises the soft limits of a running process."""
    args = [f"--{name}={soft}:{HARD}" for name, soft in limits.items()]
    subprocess.run([*wrapper, "prlimit", "--pid", str(pid), *args],
                   check=True, timeout=refkit.scaled(10))


def connect_and_send(server, data=b"queued\n"):
    sock = server.connect()
    sock.sendall(data)
    return sock


@pytest.fixture
def exhausted(start_server):
    """A server that has no descriptor left for accept(), with three
    clients queued and its first EMFILE logged."""
    server = start_server(wrapper=("prlimit", f"--nofile=4:{HARD}"))
    clients = [connect_and_send(server) for _ in range(3)]
    assert refkit.wait_for(lambda: BACKING_OFF in server.log(), 10), server.log()
    yield server, clients
    for sock in clients:
        sock.close()


def test_descriptor_exhaustion_does_not_spin(exhausted):
    """While accept() fails with EMFILE and connections stay queued, the
    server uses under 20% of one core (utime+stime from /proc) over two
    seconds, stays alive, forks nothing, and logs the condition once."""
    server, _ = exhausted
    used, elapsed = refkit.cpu_while_idle(server.pid)
    assert used < 0.2 * elapsed, f"{used:.2f} s of CPU in {elapsed:.2f} s"
    assert server.popen.poll() is None
    assert server.children() == []
    assert server.log().count("accept") == 1, server.log()


def test_queued_clients_are_served_once_descriptors_free_up(exhausted):
    """Raising the running server's descriptor limit ends the exhaustion:
    the clients queued meanwhile are all served, and the recovery is logged."""
    server, clients = exhausted
    prlimit_pid(server.pid, nofile=64)
    for sock in clients:
        sock.shutdown(socket.SHUT_WR)
        assert refkit.recv_all(sock) == b"queued\n"
    assert "accepting again" in server.log()


def test_sigterm_ends_a_server_out_of_descriptors(exhausted):
    """Backing off from EMFILE does not deafen the server to SIGTERM: it
    exits 0, leaving its queued clients with EOF or a reset."""
    server, clients = exhausted
    server.signal(signal.SIGTERM)
    assert server.popen.wait(timeout=refkit.scaled(10)) == 0
    for sock in clients:
        refkit.assert_ended(sock)


def test_tiny_descriptor_limit_serves_more_clients_than_descriptors(start_server):
    """Under --nofile=5 the parent needs just one spare descriptor per
    accept, so 20 clients connected at once are all served at once: the
    parent keeps no connection open after fork."""
    server = start_server(wrapper=("prlimit", f"--nofile=5:{HARD}"))
    clients = [connect_and_send(server, b"%d\n" % i) for i in range(20)]
    for i, sock in enumerate(clients):
        assert sock.recv(64) == b"%d\n" % i
    assert len(server.children()) == 20
    assert procfs.fd_count(server.pid) <= 5
    for sock in clients:
        sock.close()
    assert server.wait_children(lambda kids: not kids) == []
    assert BACKING_OFF not in server.log()


# ---- fork failure ----------------------------------------------------------
#
# Root ignores RLIMIT_NPROC, so the server runs as a user of its own: a
# numeric uid no one else has (this process's pid is unique, so is the uid),
# since the limit counts every process of that user on the machine.  Its
# process limit leaves room for `spare` children.

UID = 2_000_000 + os.getpid()
AS_UID = ("setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--")


def processes_of(uid):
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(line for line in status.read_text().splitlines()
                            if line.startswith("Uid:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
        count += int(uid_line.split()[1]) == uid
    return count


def start_limited(start_server, spare):
    if os.geteuid() != 0:
        pytest.skip("needs root to switch users")
    assert processes_of(UID) == 0
    return start_server(wrapper=("prlimit", f"--nproc={1 + spare}:{HARD}", *AS_UID))


def assert_dropped(server):
    """A connection the server could not fork for is closed, not left hanging."""
    with server.connect() as sock:
        refkit.assert_ended(sock)


def test_fork_failure_drops_the_connection_and_logs_once(start_server):
    """With no process left to fork, each connection is closed (EOF or
    reset, within a bound), the server survives, and logs the failure
    once however many connections it drops."""
    server = start_limited(start_server, spare=0)
    for _ in range(3):
        assert_dropped(server)
    assert server.popen.poll() is None
    assert server.log().count("fork") == 1, server.log()
    assert FORK_FAILED in server.log()


def test_fork_failure_ends_when_the_process_limit_is_raised(start_server):
    """After fork has failed, raising the running server's process limit
    is enough: the next client is served, and the recovery is logged."""
    server = start_limited(start_server, spare=0)
    assert_dropped(server)
    # Only a process of the same user may change the limits of another.
    prlimit_pid(server.pid, wrapper=AS_UID, nproc=10)
    assert refkit.echo_once(server) == b"ping\n"
    assert "forking again" in server.log()


def test_fork_failure_ends_when_a_child_exits(start_server):
    """With room for one child: a second client is dropped while the first
    is served, and once the first leaves a third is served again."""
    server = start_limited(start_server, spare=1)
    with server.connect() as first:
        first.sendall(b"first\n")
        assert first.recv(64) == b"first\n"
        assert_dropped(server)
    assert server.wait_children(lambda kids: not kids) == []
    assert refkit.echo_once(server) == b"ping\n"
    assert server.log().count(FORK_FAILED) == 1, server.log()
